-- Identifiers that bite: reserved words, spaces, quotes, mixed case, Korean, 63 characters.
-- Runs unchanged on every engine (MariaDB with sql_mode ANSI_QUOTES).
CREATE TABLE "order" (
    "id"     INTEGER NOT NULL,
    "select" VARCHAR(20),
    CONSTRAINT "pk order" PRIMARY KEY ("id")
);
CREATE TABLE "line item" (
    "order"   INTEGER NOT NULL,
    "line no" INTEGER NOT NULL,
    "we""ird" VARCHAR(10),
    CONSTRAINT "pk line item" PRIMARY KEY ("order", "line no"),
    CONSTRAINT "fk line item order" FOREIGN KEY ("order") REFERENCES "order" ("id")
);
CREATE TABLE "학생" (
    "학번"      INTEGER NOT NULL,
    "이름"      VARCHAR(30) NOT NULL,
    "MixedCase" INTEGER,
    CONSTRAINT "학생_pk" PRIMARY KEY ("학번"),
    CONSTRAINT "학생_이름_uq" UNIQUE ("이름")
);
CREATE TABLE "MixedCase Table" (
    "Id"       INTEGER NOT NULL,
    "학생 ref"  INTEGER,
    "llllllllllllllllllllllllllllllllllllllllllllllllllllllll_column" INTEGER,
    CONSTRAINT "pk MixedCase" PRIMARY KEY ("Id"),
    CONSTRAINT "fk_to_학생" FOREIGN KEY ("학생 ref") REFERENCES "학생" ("학번"),
    CONSTRAINT "llllllllllllllllllllllllllllllllllllllllllllllllllllllll_fk_col" FOREIGN KEY ("llllllllllllllllllllllllllllllllllllllllllllllllllllllll_column") REFERENCES "order" ("id")
);
