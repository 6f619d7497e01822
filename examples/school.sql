-- refint's example database: a small school, with a few planted integrity problems.
-- Build it with:  python -m refint.examples  (or: sqlite3 school.db < school.sql)
-- The rows below were loaded the way real data often is: with foreign-key checks off (SQLite's default)
-- and CHECK constraints ignored, so `refint check examples/school.db` has something to find.
PRAGMA foreign_keys = OFF;
PRAGMA ignore_check_constraints = ON;

CREATE TABLE department (
    dept_id         INTEGER PRIMARY KEY,
    name            TEXT NOT NULL CONSTRAINT uq_department_name UNIQUE,
    head_teacher_id INTEGER CONSTRAINT fk_department_head REFERENCES teacher (teacher_id) ON DELETE SET NULL
);

CREATE TABLE teacher (
    teacher_id INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT CONSTRAINT uq_teacher_email UNIQUE,
    dept_id    INTEGER NOT NULL,
    CONSTRAINT fk_teacher_dept FOREIGN KEY (dept_id) REFERENCES department (dept_id) ON DELETE RESTRICT
);

CREATE TABLE student (
    student_id INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CONSTRAINT ck_student_name CHECK (length(name) > 0),
    birth_date TEXT,
    advisor_id INTEGER,
    CONSTRAINT fk_student_advisor FOREIGN KEY (advisor_id) REFERENCES teacher (teacher_id) ON DELETE SET NULL
);

CREATE TABLE course (
    course_id INTEGER PRIMARY KEY,
    code      TEXT NOT NULL CONSTRAINT uq_course_code UNIQUE,
    title     TEXT NOT NULL,
    dept_id   INTEGER NOT NULL CONSTRAINT fk_course_dept REFERENCES department ON DELETE CASCADE,
    credits   INTEGER NOT NULL CONSTRAINT ck_course_credits CHECK (credits BETWEEN 1 AND 10)
);

-- one offering of a course in a term; composite primary key
CREATE TABLE section (
    course_id  INTEGER NOT NULL,
    term       TEXT NOT NULL,
    teacher_id INTEGER,
    room       TEXT,
    CONSTRAINT pk_section PRIMARY KEY (course_id, term),
    CONSTRAINT fk_section_course FOREIGN KEY (course_id) REFERENCES course (course_id) ON DELETE CASCADE,
    CONSTRAINT fk_section_teacher FOREIGN KEY (teacher_id) REFERENCES teacher (teacher_id) ON DELETE SET NULL
);

CREATE TABLE enrollment (
    student_id INTEGER NOT NULL,
    course_id  INTEGER NOT NULL,
    term       TEXT NOT NULL,
    grade      TEXT CONSTRAINT ck_enrollment_grade CHECK (grade IN ('A', 'B', 'C', 'D', 'F')),
    CONSTRAINT pk_enrollment PRIMARY KEY (student_id, course_id, term),
    CONSTRAINT fk_enrollment_student FOREIGN KEY (student_id) REFERENCES student (student_id)
        ON DELETE CASCADE,
    CONSTRAINT fk_enrollment_section FOREIGN KEY (course_id, term) REFERENCES section (course_id, term)
        ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX ix_enrollment_section ON enrollment (course_id, term);

INSERT INTO department (dept_id, name, head_teacher_id) VALUES
    (1, 'Mathematics', 1),
    (2, 'Physics', 3),
    (3, 'History', NULL);

INSERT INTO teacher (teacher_id, name, email, dept_id) VALUES
    (1, 'Ada Lovelace', 'ada@school.example', 1),
    (2, 'Emmy Noether', 'emmy@school.example', 1),
    (3, 'Lise Meitner', 'lise@school.example', 2),
    (4, 'Marc Bloch', 'marc@school.example', 3);

INSERT INTO student (student_id, name, birth_date, advisor_id) VALUES
    (1, 'Alice', '2007-03-14', 1),
    (2, 'Bob', '2006-11-02', 2),
    (3, 'Chloé', '2007-07-21', 3),
    (4, 'Dmitri', '2006-01-30', NULL),
    (5, 'Eun-ji', '2007-05-05', 4),
    (6, 'Farid', '2006-09-17', 9);   -- planted: advisor 9 does not exist

INSERT INTO course (course_id, code, title, dept_id, credits) VALUES
    (10, 'MATH101', 'Calculus I', 1, 5),
    (11, 'MATH201', 'Linear Algebra', 1, 5),
    (20, 'PHYS101', 'Mechanics', 2, 6),
    (30, 'HIST101', 'The Annales School', 3, 12);  -- planted: credits outside 1..10

INSERT INTO section (course_id, term, teacher_id, room) VALUES
    (10, '2026-fall', 1, 'A1'),
    (11, '2026-fall', 2, 'A2'),
    (20, '2026-fall', 3, 'L1'),
    (30, '2026-fall', 4, 'H1'),
    (10, '2027-spring', 1, 'A1');

INSERT INTO enrollment (student_id, course_id, term, grade) VALUES
    (1, 10, '2026-fall', 'A'),
    (1, 20, '2026-fall', 'B'),
    (2, 10, '2026-fall', 'B'),
    (2, 11, '2026-fall', NULL),
    (3, 20, '2026-fall', 'A'),
    (4, 30, '2026-fall', 'C'),
    (5, 10, '2027-spring', NULL),
    (7, 10, '2026-fall', 'F'),          -- planted: student 7 does not exist
    (3, 11, '2027-spring', NULL),       -- planted: MATH201 is not offered in 2027-spring
    (5, 30, '2026-fall', 'E');          -- planted: 'E' is not a grade
