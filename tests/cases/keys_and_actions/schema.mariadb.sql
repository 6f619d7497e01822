-- Composite keys, a self-reference, several keys to one parent, a key without a column list,
-- and every referential action on DELETE and on UPDATE.
CREATE TABLE parent (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    code VARCHAR(10) NOT NULL,
    d INTEGER DEFAULT 0,
    CONSTRAINT pk_parent PRIMARY KEY (a, b),
    CONSTRAINT uq_parent_code UNIQUE (code)
);
CREATE TABLE child (
    id INTEGER NOT NULL,
    pa INTEGER,
    pb INTEGER,
    code VARCHAR(10),
    code2 VARCHAR(10),
    code3 VARCHAR(10),
    boss INTEGER,
    CONSTRAINT pk_child PRIMARY KEY (id),
    CONSTRAINT fk_child_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT fk_child_code_setnull FOREIGN KEY (code) REFERENCES parent (code) ON DELETE SET NULL ON UPDATE SET NULL,
    CONSTRAINT fk_child_code_restrict FOREIGN KEY (code2) REFERENCES parent (code) ON DELETE RESTRICT ON UPDATE RESTRICT,
    CONSTRAINT fk_child_code_noaction FOREIGN KEY (code3) REFERENCES parent (code) ON DELETE NO ACTION,
    CONSTRAINT fk_child_boss FOREIGN KEY (boss) REFERENCES child (id) ON DELETE SET NULL ON UPDATE NO ACTION
);
CREATE TABLE grandchild (
    id INTEGER NOT NULL PRIMARY KEY,
    child_id INTEGER NOT NULL,
    CONSTRAINT fk_grandchild_child FOREIGN KEY (child_id) REFERENCES child (id)
);
