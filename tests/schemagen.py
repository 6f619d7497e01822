"""Random schemas for property tests: a neutral spec, hypothesis strategies, and DDL per engine.

The spec is the source of truth a test compares refint's model against; the DDL is what a user would
write on each engine, so that refint reads schemas it was not designed around.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

ACTIONS = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
ENGINE_ACTIONS = {
    "sqlite": ACTIONS,
    "postgresql": ACTIONS,
    "mariadb": ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL"],
    "duckdb": ["NO ACTION", "RESTRICT"],
    # Spark declares no keys: they come from a relations file, which has no actions
    "spark-files": ["NO ACTION"],
    "spark-catalog": ["NO ACTION"],
}

SPARK = ("spark-files", "spark-catalog")

# names that bite: reserved words, spaces, quotes, mixed case, Korean, long
SPECIAL_NAMES = ["order", "select", "group", "key", "check", "line item", 'we"ird', "Mixed Case", "MiXeD",
                 "학생", "과목 번호", "x" * 60, "table", "user", "from", "a-b", "dollar$", "50off"]


def quote(engine: str, name: str) -> str:
    if engine == "mariadb":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


@dataclass
class ColSpec:
    name: str
    nullable: bool = True
    text: bool = False


@dataclass
class FKSpec:
    name: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str | None  # None: not declared
    on_update: str | None
    omit_columns: bool = False
    match_full: bool = False
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass
class TableSpec:
    name: str
    columns: list[ColSpec]
    pk: tuple[str, ...] = ()
    pk_name: str | None = None
    uniques: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (name, column): CHECK (col > -1000)
    fks: list[FKSpec] = field(default_factory=list)

    def col(self, name: str) -> ColSpec:
        return next(c for c in self.columns if c.name == name)


@dataclass
class SchemaSpec:
    tables: list[TableSpec]

    def table(self, name: str) -> TableSpec:
        return next(t for t in self.tables if t.name == name)


def _ident() -> st.SearchStrategy[str]:
    plain = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
    return st.one_of(plain, st.sampled_from(SPECIAL_NAMES), plain.map(lambda s: s.upper()),
                     st.text(alphabet="가나다라마바사아자차카타파하", min_size=1, max_size=6))


def _catalog_ident() -> st.SearchStrategy[str]:
    """Table names Spark's session catalog takes (letters, digits, _; folded to lower case); their
    columns stay as hostile as anywhere."""
    plain = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
    return st.one_of(plain, st.sampled_from([n for n in SPECIAL_NAMES if n.isascii() and n.replace("_", "").isalnum()
                                             and n == n.lower()]))


@st.composite
def schemas(draw: st.DrawFn, engine: str, max_tables: int = 4) -> SchemaSpec:
    """A random schema that ``engine`` accepts: globally unique names (case-insensitively)."""
    used: set[str] = set()

    def fresh(prefix: str = "", table: bool = False) -> str:
        while True:
            name = draw(_catalog_ident() if table and engine == "spark-catalog" else _ident())
            name = (prefix + name)[:60].strip() or "n"
            if name.lower() not in used:
                used.add(name.lower())
                return name

    actions = ENGINE_ACTIONS[engine]
    tables: list[TableSpec] = []
    for _ in range(draw(st.integers(1, max_tables))):
        tname = fresh(table=True)
        col_used: set[str] = set()
        cols = []
        for _ in range(draw(st.integers(1, 4))):
            while True:
                cname = draw(_ident())[:60].strip() or "c"
                if cname.lower() not in col_used:
                    col_used.add(cname.lower())
                    break
            cols.append(ColSpec(cname, nullable=draw(st.booleans())))
        t = TableSpec(tname, cols)
        names = [c.name for c in cols]
        if draw(st.booleans()):
            k = draw(st.integers(1, min(2, len(names))))
            t.pk = tuple(draw(st.permutations(names))[:k])
            t.pk_name = fresh("pk ") if engine != "mariadb" and draw(st.booleans()) else None
        if len(names) >= 1 and draw(st.booleans()):
            k = draw(st.integers(1, min(2, len(names))))
            ucols = tuple(draw(st.permutations(names))[:k])
            if ucols != t.pk:
                t.uniques.append((fresh("uq "), ucols))
        if draw(st.booleans()):
            t.checks.append((fresh("ck "), draw(st.sampled_from(names))))
        tables.append(t)

    # foreign keys: to any table (earlier, later or itself) with a key of the same width
    for t in tables:
        for _ in range(draw(st.integers(0, 2))):
            parent = draw(st.sampled_from(tables))
            keys = ([parent.pk] if parent.pk else []) + [u[1] for u in parent.uniques]
            if not keys:
                continue
            pcols = draw(st.sampled_from(keys))
            if len(pcols) > len(t.columns):
                continue
            ccols = tuple(draw(st.permutations([c.name for c in t.columns]))[: len(pcols)])
            if engine == "mariadb" and parent is t and set(ccols) & set(pcols):
                continue  # InnoDB: a column cannot reference itself with an action that cascades into it
            nullable = all(effective_nullable(engine, t, c) for c in ccols)
            choices = [a for a in actions if a != "SET NULL" or nullable]
            if engine == "mariadb":
                choices = [a for a in choices if not (a == "CASCADE" and parent is t)]
            on_delete = draw(st.one_of(st.none(), st.sampled_from(choices)))
            update_choices = choices
            if engine == "mariadb" and any(
                    effective_nullable(engine, parent, p) and not effective_nullable(engine, t, c)
                    for c, p in zip(ccols, pcols)):
                # errno 150: ON UPDATE CASCADE could copy a parent's NULL into a NOT NULL child column
                update_choices = [a for a in choices if a != "CASCADE"]
            on_update = draw(st.one_of(st.none(), st.sampled_from(update_choices)))
            omit = engine in ("sqlite", "postgresql", *SPARK) and pcols == parent.pk and draw(st.booleans())
            fk = FKSpec(fresh("fk "), ccols, parent.name, pcols, on_delete, on_update, omit_columns=omit)
            if engine in ("postgresql", *SPARK):
                fk.match_full = len(ccols) > 1 and draw(st.booleans())
            if engine in ("postgresql", "sqlite"):
                fk.deferrable = draw(st.booleans())
                fk.initially_deferred = fk.deferrable and draw(st.booleans())
            t.fks.append(fk)
    if engine == "mariadb":  # error 1901: a CHECK may not use a column an FK action writes to
        for t in tables:
            written = {c for fk in t.fks for c in fk.columns
                       if {fk.on_delete, fk.on_update} & {"CASCADE", "SET NULL"}}
            t.checks = [(n, c) for n, c in t.checks if c not in written]
    return SchemaSpec(tables)


def rowid_alias(engine: str, t: TableSpec) -> bool:
    """SQLite: a one-column INTEGER PRIMARY KEY is the rowid and can never be NULL."""
    return engine == "sqlite" and len(t.pk) == 1 and not t.col(t.pk[0]).text


def effective_nullable(engine: str, t: TableSpec, col: str) -> bool:
    """Whether the engine lets ``col`` hold NULL: SQLite keeps non-rowid PK columns nullable."""
    if not t.col(col).nullable:
        return False
    if col in t.pk:
        return engine == "sqlite" and not rowid_alias(engine, t)
    return True


def fk_clause(engine: str, fk: FKSpec) -> str:
    q = lambda n: quote(engine, n)  # noqa: E731
    cols = ", ".join(q(c) for c in fk.columns)
    ref = q(fk.parent)
    if not fk.omit_columns:
        ref += " (" + ", ".join(q(c) for c in fk.parent_columns) + ")"
    sql = f"CONSTRAINT {q(fk.name)} FOREIGN KEY ({cols}) REFERENCES {ref}"
    if fk.match_full:
        sql += " MATCH FULL"
    if fk.on_delete:
        sql += f" ON DELETE {fk.on_delete}"
    if fk.on_update:
        sql += f" ON UPDATE {fk.on_update}"
    if fk.deferrable:
        sql += " DEFERRABLE INITIALLY " + ("DEFERRED" if fk.initially_deferred else "IMMEDIATE")
    return sql


def ddl(engine: str, spec: SchemaSpec) -> list[str]:
    """CREATE TABLE statements (FKs inline on SQLite, ALTER TABLE ADD elsewhere)."""
    q = lambda n: quote(engine, n)  # noqa: E731
    out, alters = [], []
    for t in spec.tables:
        parts = []
        for c in t.columns:
            typ = "VARCHAR(20)" if c.text else "INTEGER"
            parts.append(f"{q(c.name)} {typ}" + ("" if c.nullable else " NOT NULL"))
        if t.pk:
            name = f"CONSTRAINT {q(t.pk_name)} " if t.pk_name else ""
            parts.append(f"{name}PRIMARY KEY (" + ", ".join(q(c) for c in t.pk) + ")")
        for uname, ucols in t.uniques:
            parts.append(f"CONSTRAINT {q(uname)} UNIQUE (" + ", ".join(q(c) for c in ucols) + ")")
        for cname, col in t.checks:
            parts.append(f"CONSTRAINT {q(cname)} CHECK ({q(col)} > -1000)")
        for fk in t.fks:
            if engine in ("sqlite", "duckdb"):
                parts.append(fk_clause(engine, fk))
            else:
                alters.append(f"ALTER TABLE {q(t.name)} ADD {fk_clause(engine, fk)}")
        suffix = " ENGINE=InnoDB" if engine == "mariadb" else ""
        out.append(f"CREATE TABLE {q(t.name)} (\n  " + ",\n  ".join(parts) + f"\n){suffix}")
    return out + alters
