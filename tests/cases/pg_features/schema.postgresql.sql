-- PostgreSQL only: cross-schema keys, DEFERRABLE, NOT VALID, MATCH FULL, partitions, inheritance.
CREATE SCHEMA hr;
CREATE SCHEMA "Sales Dept";
CREATE TABLE hr.dept (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE hr.emp (
    id INTEGER PRIMARY KEY,
    dept_id INTEGER REFERENCES hr.dept DEFERRABLE INITIALLY DEFERRED,
    manager_id INTEGER,
    CONSTRAINT emp_manager_fk FOREIGN KEY (manager_id) REFERENCES hr.emp (id) DEFERRABLE
);
CREATE TABLE "Sales Dept"."Order" (
    id INTEGER PRIMARY KEY,
    seller INTEGER,
    region INTEGER,
    CONSTRAINT order_seller_fk FOREIGN KEY (seller) REFERENCES hr.emp (id) ON DELETE SET NULL
);
ALTER TABLE "Sales Dept"."Order" ADD CONSTRAINT order_seller_nv FOREIGN KEY (seller) REFERENCES hr.emp (id) NOT VALID;
CREATE TABLE "Sales Dept".region (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
ALTER TABLE "Sales Dept"."Order" ADD COLUMN rb INTEGER;
ALTER TABLE "Sales Dept"."Order" ADD CONSTRAINT order_region_full FOREIGN KEY (region, rb) REFERENCES "Sales Dept".region MATCH FULL;
ALTER TABLE "Sales Dept"."Order" ADD CONSTRAINT order_region_rb FOREIGN KEY (region, rb) REFERENCES "Sales Dept".region ON DELETE SET NULL (rb);
CREATE TABLE hr.log (id INTEGER, at DATE NOT NULL, emp_id INTEGER REFERENCES hr.emp, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE hr.log_2026 PARTITION OF hr.log FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE hr.contractor (agency TEXT) INHERITS (hr.emp);
