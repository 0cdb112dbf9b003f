"""What one SQL statement does, as far as the risk rules care.

:func:`analyze` turns a statement into :class:`Facts`: a tuple of (kind, table)
pairs such as ``("drop_column", "users")`` plus whether the statement is DDL and
whether it writes. The rules in :mod:`migrator.lint.rules` only read facts, so
they need not know how the statement was understood.

Two readers produce facts. The first parses with sqlglot for the target dialect
and reads the tree. Where sqlglot gives up (a ``ParseError``, or a statement it
keeps as an opaque ``Command`` such as ``RENAME TABLE``, ``REINDEX`` or ``ALTER
TABLE ... VALIDATE CONSTRAINT``), the second reads the token stream, clause by
clause, so that the rules still fire. Neither ever raises on odd SQL.
"""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace

from migrator.sql.split import sqlglot_dialect, tokenize

# Fact kinds.
DROP_TABLE = "drop_table"
DROP_SCHEMA = "drop_schema"  # DROP SCHEMA / DROP DATABASE: every table in it goes
DROP_COLUMN = "drop_column"
TRUNCATE = "truncate"
ADD_NOT_NULL_NO_DEFAULT = "add_not_null_no_default"
SET_NOT_NULL = "set_not_null"
CREATE_INDEX = "create_index"  # without CONCURRENTLY
CONCURRENTLY = "concurrently"  # a statement that may not run in a transaction block
ADD_FOREIGN_KEY = "add_foreign_key"  # validated at once (no NOT VALID)
TYPE_CHANGE = "type_change"
RENAME = "rename"
UNBOUNDED_DML = "unbounded_dml"
CREATE_TABLE = "create_table"
CREATE_TEMP_TABLE = "create_temp_table"  # a scratch table: gone at the end of the session

_READ_ONLY_WORDS = frozenset({"SELECT", "SHOW", "EXPLAIN", "DESCRIBE", "DESC", "VALUES", "TABLE"})
_DML_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT"})
# Column types that carry their own default, so NOT NULL without DEFAULT is fine.
_SELF_FILLING_TYPES = frozenset({"SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL4", "SERIAL8", "SERIAL2"})
_SELF_FILLING_WORDS = frozenset({"DEFAULT", "GENERATED", "AUTO_INCREMENT", "AUTOINCREMENT", "IDENTITY", "AS"})
# After ALTER TABLE t DROP: these words mean something other than a column goes.
_DROP_NOT_COLUMN = frozenset(
    {"CONSTRAINT", "INDEX", "KEY", "FOREIGN", "PRIMARY", "CHECK", "PARTITION", "DEFAULT", "UNIQUE",
     "TRIGGER", "PERIOD", "SYSTEM"}
)
_LITERAL_TOKENS = (
    "STRING", "HEREDOC_STRING", "NATIONAL_STRING", "BYTE_STRING", "BIT_STRING", "HEX_STRING",
    "RAW_STRING", "UNICODE_STRING",
)
_ADD_NOT_COLUMN = frozenset(
    {"CONSTRAINT", "FOREIGN", "PRIMARY", "UNIQUE", "INDEX", "KEY", "CHECK", "FULLTEXT", "SPATIAL",
     "PARTITION", "EXCLUDE"}
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What a statement does: ``facts`` are (kind, table) pairs in statement order."""

    statement: str
    facts: tuple[tuple[str, str], ...]
    writes: bool
    parsed: bool  # True when sqlglot understood it; False when the tokens were read
    # What :func:`migrator.lint.lint_step` reads across statements and steps (the
    # recipes that make a risky statement safe), from ALTER TABLE and RENAME TABLE:
    renames: tuple[tuple[str, str], ...] = ()  # (old, new) table names
    not_null_checks: tuple[tuple[str, str, str], ...] = ()  # (table, constraint, column) of CHECK (c IS NOT NULL) NOT VALID
    validated: tuple[tuple[str, str], ...] = ()  # (table, constraint) of VALIDATE CONSTRAINT
    dropped_constraints: tuple[tuple[str, str], ...] = ()  # (table, constraint)
    set_not_null: tuple[tuple[str, str], ...] = ()  # (table, column)

    def kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind, _ in self.facts)


def analyze(statement: str, dialect: str) -> Facts:
    """The facts of one statement for ``dialect`` (an SQLAlchemy dialect name)."""
    if dialect == "postgresql":
        body = _do_block_body(statement)
        if body is not None:
            return _do_block_facts(statement, body)
    if dialect == "mysql" and "/*!" in statement:
        # MySQL runs the text of /*! ... */ and /*!50100 ... */ comments (mysqldump's
        # version-gated DDL; older servers skip it): the facts of both readings.
        as_code = analyze(_MYSQL_CODE_COMMENT.sub(r" \1 ", statement), dialect)
        as_comment = analyze(statement.replace("/*!", "/* "), dialect)
        return replace(
            as_comment,
            statement=statement,
            facts=as_comment.facts + tuple(f for f in as_code.facts if f not in as_comment.facts),
            writes=as_comment.writes or as_code.writes,
            **{k: getattr(as_comment, k) + getattr(as_code, k) for k in _DETAIL_FIELDS},
        )
    words = _words(statement, dialect)
    details = _details(words)
    tree = _parse(statement, dialect)
    if tree is not None:
        facts = _facts_from_tree(tree)
        if facts is not None:
            return Facts(statement, tuple(facts), _tree_writes(tree), True, **details)
    first = words[0] if words else ""
    writes = bool(words) and not (first in _READ_ONLY_WORDS and not _DML_WORDS & set(words))
    return Facts(statement, tuple(_facts_from_words(words)), writes, False, **details)


_MYSQL_CODE_COMMENT = re.compile(r"/\*!(?:\d{5,6})?(.*?)\*/", re.S)
_DO_BODY = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*|)\$(.*?)\$\1\$", re.S)
# Words after which a PL/pgSQL block starts a statement of its own.
_PLPGSQL_STARTS = frozenset({"BEGIN", "THEN", "ELSE", "LOOP"})
_PLPGSQL_VERBS = frozenset({"ALTER", "DROP", "TRUNCATE", "CREATE", "UPDATE", "DELETE", "RENAME", "INSERT"})


def _do_block_body(statement: str) -> str | None:
    """The body of a PostgreSQL ``DO $$ ... $$`` block (PL/pgSQL), else None.

    A DO block runs its statements now, unlike a function body: ORMs such as
    Drizzle wrap ``ADD CONSTRAINT ... FOREIGN KEY`` in one to make it idempotent."""
    words = _words(statement, "postgresql")
    if words[:1] != ["DO"] or ("LANGUAGE" in words and words[words.index("LANGUAGE") + 1:][:1] != ["PLPGSQL"]):
        return None
    match = _DO_BODY.search(statement)
    return match.group(2) if match else None


def _do_block_facts(statement: str, body: str) -> Facts:
    """The facts of the SQL statements a DO block runs (dynamic SQL in EXECUTE aside)."""
    from migrator.sql.split import split_statements

    inner: list[Facts] = []
    try:
        pieces = split_statements(body, "postgresql")
    except Exception:  # an odd body: nothing to say about it, never a crash
        pieces = []
    for piece in pieces:
        try:
            tokens = tokenize(piece, "postgresql")
        except Exception:
            continue
        for n, tok in enumerate(tokens):
            word = tok.text.upper()
            before = tokens[n - 1].text.upper() if n else ""
            if word in _PLPGSQL_VERBS and (n == 0 or before in _PLPGSQL_STARTS):
                inner.append(analyze(piece[tok.start :], "postgresql"))
                break
    return Facts(
        statement,
        tuple(f for i in inner for f in i.facts),
        True,
        False,
        **{k: tuple(x for i in inner for x in getattr(i, k)) for k in _DETAIL_FIELDS},
    )


@contextmanager
def _quiet_sqlglot():
    # sqlglot logs a warning for every statement it keeps as a Command; we handle
    # those ourselves, so the warning would only be noise on the user's terminal.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _parse(statement: str, dialect: str):
    """sqlglot's tree, or None when it cannot read the statement as one statement."""
    import sqlglot

    try:
        with _quiet_sqlglot():
            trees = [t for t in sqlglot.parse(statement, read=sqlglot_dialect(dialect) or None) if t]
    # Any exception: a third-party parser must not stop lint on odd SQL; the
    # token reader below takes over.
    except Exception:
        return None
    return trees[0] if len(trees) == 1 else None


def _name(node) -> str:
    """``schema.table`` (or ``column``), lower-cased: names only ever compare to each other."""
    from sqlglot import exp

    if node is None:
        return ""
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        parts = [p for p in (node.args.get("db"), node.this) if p is not None]
        return ".".join(_ident(p) for p in parts)
    return _ident(node)


def _ident(node) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Identifier):
        return node.name.lower()
    if isinstance(node, exp.Column):
        return _ident(node.this)
    return node.name.lower() if hasattr(node, "name") else str(node).lower()


def _facts_from_tree(tree) -> list[tuple[str, str]] | None:
    """Facts read from sqlglot's tree; None when the tree is an opaque Command."""
    from sqlglot import exp

    if isinstance(tree, exp.Command):
        return None
    facts: list[tuple[str, str]] = []
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        # MySQL's DROP TEMPORARY TABLE drops only a session's scratch table, never data.
        if kind == "TABLE" and not tree.args.get("temporary"):
            facts += [(DROP_TABLE, _name(t)) for t in tree.args.get("tables") or [tree.this]]
        elif kind in ("SCHEMA", "DATABASE"):
            # sqlglot keeps the name as a Table: a schema's in db, a database's in this.
            facts += [(DROP_SCHEMA, (_ident(t.args.get("db") or t.this) if isinstance(t, exp.Table) else _name(t)))
                      for t in tree.args.get("tables") or [tree.this]]
        if tree.args.get("concurrently"):
            facts.append((CONCURRENTLY, ""))
    elif isinstance(tree, exp.TruncateTable):
        facts += [(TRUNCATE, _name(t)) for t in tree.expressions]
    elif isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            properties = tree.args.get("properties")
            temporary = properties is not None and properties.find(exp.TemporaryProperty) is not None
            facts.append((CREATE_TEMP_TABLE if temporary else CREATE_TABLE, _name(tree.this)))
        elif kind == "INDEX":
            table = _name(tree.this.args.get("table"))
            facts.append((CONCURRENTLY, table) if tree.args.get("concurrently") else (CREATE_INDEX, table))
    elif isinstance(tree, exp.Alter):
        if str(tree.args.get("kind") or "").upper() != "TABLE":
            return facts
        actions = tree.args.get("actions") or []
        if any(isinstance(a, exp.Command) for a in actions):
            return None  # an action sqlglot kept as text (SQLite's DROP without COLUMN)
        table = _name(tree.this)
        for n, action in enumerate(actions, 1):
            # sqlglot reads NOT VALID only at the end of the statement, where it belongs
            # to the last action; PostgreSQL takes it per constraint.
            not_valid = n == len(actions) and bool(tree.args.get("not_valid"))
            facts += _alter_action_facts(action, table, not_valid)
    elif isinstance(tree, (exp.Update, exp.Delete, exp.Insert, exp.Query)):
        # The statement itself, and the UPDATE/DELETE in its WITH clauses (PostgreSQL's
        # data-modifying CTEs: WITH d AS (DELETE FROM t RETURNING *) INSERT ...).
        for node in tree.find_all(exp.Update, exp.Delete):
            if not node.args.get("where") and not node.args.get("limit") and not _joined_on_a_condition(node):
                facts.append((UNBOUNDED_DML, _name(node.this)))
    return facts


def _joined_on_a_condition(tree) -> bool:
    """Whether a multi-table UPDATE/DELETE (MySQL's ``UPDATE t JOIN o ON ... SET``,
    ``DELETE t FROM t JOIN o ON ...``, ``DELETE FROM t USING t JOIN o ON ...``) bounds its
    target by an inner join on a condition, as a WHERE would.

    An outer join alone keeps every row of its preserved side, and a join without a
    condition (CROSS JOIN, a comma) pairs every row with every row, so either leaves the
    statement unbounded. PostgreSQL's ``UPDATE t ... FROM o`` and ``DELETE FROM t USING o``
    never join ``t`` itself: without WHERE they are cross joins, and stay unbounded.
    """
    from sqlglot import exp

    target = tree.this
    if not isinstance(target, exp.Table):
        return False
    chain = target
    using = tree.args.get("using") or []
    if isinstance(tree, exp.Delete) and using:
        # DELETE FROM t USING ...: t is bounded only where it is one of the USING tables
        # (MySQL); a comma between USING tables is a join without a condition.
        name = target.alias_or_name.lower()
        if len(using) != 1 or not isinstance(using[0], exp.Table):
            return False
        chain = using[0]
        members = [chain, *(j.this for j in chain.args.get("joins") or [])]
        if name not in {m.alias_or_name.lower() for m in members}:
            return False
    joins = chain.args.get("joins") or []
    conditioned = [j for j in joins if j.args.get("on") or j.args.get("using")]
    return len(conditioned) == len(joins) and any(not j.args.get("side") for j in conditioned)


def _alter_action_facts(action, table: str, not_valid: bool) -> list[tuple[str, str]]:
    from sqlglot import exp

    facts: list[tuple[str, str]] = []
    if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
        facts.append((DROP_COLUMN, table))
    elif isinstance(action, exp.ColumnDef):  # ADD [COLUMN]
        kinds = [c.args.get("kind") for c in action.args.get("constraints") or []]
        # A primary key column is NOT NULL too, and needs a value in every existing row.
        not_null = any(
            isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null")
            or isinstance(k, exp.PrimaryKeyColumnConstraint)
            for k in kinds
        )
        fills = any(
            isinstance(
                k,
                (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint,
                 exp.ComputedColumnConstraint, exp.AutoIncrementColumnConstraint),
            )
            for k in kinds
        )
        dtype = action.args.get("kind")
        if dtype is not None and dtype.sql().upper() in _SELF_FILLING_TYPES:
            fills = True
        if not_null and not fills:
            facts.append((ADD_NOT_NULL_NO_DEFAULT, table))
        if any(isinstance(k, exp.Reference) for k in kinds) and not not_valid:
            facts.append((ADD_FOREIGN_KEY, table))
    elif isinstance(action, exp.AlterColumn):
        if action.args.get("allow_null") is False and not action.args.get("drop"):
            facts.append((SET_NOT_NULL, table))
        if action.args.get("dtype") is not None:
            facts.append((TYPE_CHANGE, table))
    elif isinstance(action, exp.AddConstraint):
        if action.find(exp.ForeignKey) is not None and not not_valid:
            facts.append((ADD_FOREIGN_KEY, table))
    elif isinstance(action, exp.ModifyColumn):  # MySQL MODIFY / CHANGE
        facts.append((TYPE_CHANGE, table))
        old = action.args.get("rename_from")
        if old is not None and _ident(old) != _ident(action.this.this):
            facts.append((RENAME, table))
    elif isinstance(action, (exp.AlterRename, exp.RenameColumn)):
        facts.append((RENAME, table))
    return facts


def _tree_writes(tree) -> bool:
    from sqlglot import exp

    if isinstance(tree, (exp.Query, exp.Show, exp.Describe)):
        return tree.find(exp.Insert, exp.Update, exp.Delete, exp.Merge) is not None
    return True


# --- the token reader ---------------------------------------------------------


def _words(statement: str, dialect: str) -> list[str]:
    """Upper-cased bare words and punctuation, without literals or comments.

    Quoted identifiers keep their text (so names still read as names).
    """
    try:
        from sqlglot.tokens import TokenType

        tokens = tokenize(statement, dialect)
    except Exception:  # unterminated string or a tokenizer bug: read raw words
        return [w.upper() for w in re.findall(r"\w+|[(),.]", statement)]
    literals = {getattr(TokenType, n) for n in _LITERAL_TOKENS if hasattr(TokenType, n)}
    words = []
    for tok in tokens:
        if tok.token_type == TokenType.STRING and tok.end - tok.start + 1 < len(tok.text) + 2:
            # Shorter in the source than a quoted literal could be: this is the rest
            # of a command sqlglot does not parse (RENAME, REINDEX, VACUUM...),
            # which it keeps as one bare string. Read its words.
            words += _words(tok.text, dialect)
        elif tok.token_type == TokenType.IDENTIFIER:
            words.append(tok.text)
        elif tok.token_type not in literals:
            # sqlglot keeps some keyword pairs as one token ("PRIMARY KEY", "FOREIGN KEY");
            # the clause readers below look for the single words.
            words += tok.text.upper().split()
    return words


def _clauses(words: list[str]) -> list[list[str]]:
    """Split at commas outside parentheses (ALTER TABLE's comma-separated actions)."""
    clauses: list[list[str]] = [[]]
    depth = 0
    for w in words:
        if w == "(":
            depth += 1
        elif w == ")":
            depth = max(depth - 1, 0)
        elif w == "," and depth == 0:
            clauses.append([])
            continue
        clauses[-1].append(w)
    return [c for c in clauses if c]


def _has(words: list[str], *seq: str) -> bool:
    n = len(seq)
    return any(tuple(words[i : i + n]) == seq for i in range(len(words) - n + 1))


def _outside_parentheses(words: list[str]) -> list[str]:
    out = []
    depth = 0
    for w in words:
        if w == "(":
            depth += 1
        elif w == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(w)
    return out


def _name_at(words: list[str], i: int) -> tuple[str, int]:
    """The (possibly ``schema.``-qualified) name at ``words[i]``, and the index after it."""
    while i < len(words) and words[i] in ("IF", "NOT", "EXISTS", "ONLY", "TABLE"):
        i += 1
    if i >= len(words):
        return "", i
    parts = [words[i]]
    i += 1
    while i + 1 < len(words) and words[i] == ".":
        parts.append(words[i + 1])
        i += 2
    return ".".join(parts).lower(), i


def _name_after(words: list[str], keyword: str) -> str:
    return _name_at(words, words.index(keyword) + 1)[0] if keyword in words else ""


def _facts_from_words(words: list[str]) -> list[tuple[str, str]]:
    if not words:
        return []
    first = words[0]
    facts: list[tuple[str, str]] = []
    if "CONCURRENTLY" in words and words[:3] != ["REFRESH", "MATERIALIZED", "VIEW"]:
        facts.append((CONCURRENTLY, ""))
    if first == "DROP" and words[1:2] == ["TABLE"]:
        facts.append((DROP_TABLE, _name_at(words, 1)[0]))
    elif first == "DROP" and words[1:2] in (["SCHEMA"], ["DATABASE"]):
        facts.append((DROP_SCHEMA, _name_at(words, 2)[0]))
    elif first == "TRUNCATE":
        facts.append((TRUNCATE, _name_at(words, 1)[0]))
    elif first == "RENAME" and words[1:2] == ["TABLE"]:
        facts.append((RENAME, _name_at(words, 1)[0]))
    elif first == "CREATE" and "INDEX" in words[:4]:
        # ON ONLY a partitioned table: builds nothing, the recipe for partitions
        # (CREATE INDEX CONCURRENTLY on each, then ALTER INDEX ... ATTACH PARTITION).
        on_only = "ON" in words and words[words.index("ON") + 1 :][:1] == ["ONLY"]
        if "CONCURRENTLY" not in words and not on_only:
            facts.append((CREATE_INDEX, _name_after(words, "ON")))
    elif first == "CREATE" and "TABLE" in words[:4]:
        temporary = bool({"TEMP", "TEMPORARY"} & set(words[1:3]))
        facts.append((CREATE_TEMP_TABLE if temporary else CREATE_TABLE, _name_after(words, "TABLE")))
    elif first == "ALTER" and words[1:2] == ["TABLE"]:
        table, i = _name_at(words, 1)
        for clause in _clauses(words[i:]):
            facts += [(kind, table) for kind in _alter_clause_kinds(clause)]
    elif first in ("UPDATE", "DELETE") and "WHERE" not in words and "LIMIT" not in words:
        facts.append((UNBOUNDED_DML, ""))
    return facts


def _alter_clause_kinds(clause: list[str]) -> list[str]:
    verb, nxt = clause[0], clause[1] if len(clause) > 1 else ""
    # NOT VALID belongs to its own clause: PostgreSQL takes it per constraint.
    not_valid = _has(clause, "NOT", "VALID")
    if verb == "DROP":
        return [DROP_COLUMN] if nxt == "COLUMN" or (nxt and nxt not in _DROP_NOT_COLUMN) else []
    if verb == "ADD":
        if nxt in _ADD_NOT_COLUMN:
            return [ADD_FOREIGN_KEY] if "FOREIGN" in clause and not not_valid else []
        kinds = []
        # Outside parentheses: a CHECK (c IS NOT NULL) says nothing of the column itself.
        top = _outside_parentheses(clause)
        required = _has(top, "NOT", "NULL") or _has(top, "PRIMARY", "KEY")
        if required and not (_SELF_FILLING_WORDS | _SELF_FILLING_TYPES) & set(clause):
            kinds.append(ADD_NOT_NULL_NO_DEFAULT)
        if "REFERENCES" in clause and not not_valid:
            kinds.append(ADD_FOREIGN_KEY)
        return kinds
    if verb == "ALTER":
        # ALTER [COLUMN] name ...: what follows the name says what changes (a column
        # may well be called "type").
        rest = clause[3:] if nxt == "COLUMN" else clause[2:]
        kinds = []
        if rest[:3] == ["SET", "NOT", "NULL"]:
            kinds.append(SET_NOT_NULL)
        if rest[:1] == ["TYPE"] or rest[:3] == ["SET", "DATA", "TYPE"]:
            kinds.append(TYPE_CHANGE)
        return kinds
    if verb == "TRUNCATE":  # MySQL: TRUNCATE PARTITION p, ... empties those partitions
        return [TRUNCATE]
    if verb == "MODIFY":
        return [TYPE_CHANGE]
    if verb == "CHANGE":  # CHANGE [COLUMN] old new type: a rename too when the names differ
        names = clause[2:4] if nxt == "COLUMN" else clause[1:3]
        renamed = len(names) == 2 and names[0].lower() != names[1].lower()
        return [TYPE_CHANGE, RENAME] if renamed else [TYPE_CHANGE]
    if verb == "RENAME" and nxt not in ("CONSTRAINT", "INDEX", "KEY"):
        return [RENAME]
    return []


# --- what lint_step reads across statements ---------------------------------

_DETAIL_FIELDS = ("renames", "not_null_checks", "validated", "dropped_constraints", "set_not_null")


def _details(words: list[str]) -> dict[str, tuple]:
    """Table renames and the steps of the SET NOT NULL recipe, read from the words of an
    ``ALTER TABLE`` or ``RENAME TABLE`` statement (keyword arguments for :class:`Facts`)."""
    out: dict[str, list] = {k: [] for k in _DETAIL_FIELDS}
    if words[:2] == ["RENAME", "TABLE"]:  # MySQL: RENAME TABLE a TO b, c TO d
        for clause in _clauses(words[2:]):
            old, i = _name_at(clause, 0)
            if clause[i : i + 1] == ["TO"]:
                out["renames"].append((old, _name_at(clause, i + 1)[0]))
    elif words[:2] == ["ALTER", "TABLE"]:
        table, i = _name_at(words, 1)
        for clause in _clauses(words[i:]):
            _clause_details(clause, table, out)
    return {k: tuple(v) for k, v in out.items() if v}


def _clause_details(clause: list[str], table: str, out: dict[str, list]) -> None:
    verb, nxt = clause[0], clause[1] if len(clause) > 1 else ""
    if verb == "RENAME" and nxt in ("TO", "AS") and len(clause) > 2:
        out["renames"].append((table, _name_at(clause, 2)[0]))
    elif verb == "VALIDATE" and nxt == "CONSTRAINT" and len(clause) > 2:
        out["validated"].append((table, clause[2].lower()))
    elif verb == "DROP" and nxt == "CONSTRAINT":
        rest = clause[2:]
        if rest[:2] == ["IF", "EXISTS"]:
            rest = rest[2:]
        if rest:
            out["dropped_constraints"].append((table, rest[0].lower()))
    elif verb == "ALTER":
        column = clause[2] if nxt == "COLUMN" and len(clause) > 2 else nxt
        rest = clause[3:] if nxt == "COLUMN" else clause[2:]
        if rest[:3] == ["SET", "NOT", "NULL"]:
            out["set_not_null"].append((table, column.lower()))
    elif verb == "ADD" and nxt == "CONSTRAINT" and _has(clause, "NOT", "VALID"):
        # ADD CONSTRAINT name CHECK ( column IS NOT NULL ) NOT VALID: the first step of
        # the recipe that lets a later SET NOT NULL skip its scan.
        name, body = clause[2:3], clause[3:]
        if name and body[:2] == ["CHECK", "("] and ")" in body:
            end = len(body) - 1 - body[::-1].index(")")
            inner = [w for w in body[1:end] if w not in ("(", ")")]
            if len(inner) == 4 and inner[1:] == ["IS", "NOT", "NULL"]:
                out["not_null_checks"].append((table, name[0].lower(), inner[0].lower()))
