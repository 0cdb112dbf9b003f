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
from dataclasses import dataclass

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

    def kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind, _ in self.facts)


def analyze(statement: str, dialect: str) -> Facts:
    """The facts of one statement for ``dialect`` (an SQLAlchemy dialect name)."""
    tree = _parse(statement, dialect)
    if tree is not None:
        facts = _facts_from_tree(tree)
        if facts is not None:
            return Facts(statement, tuple(facts), _tree_writes(tree), True)
    words = _words(statement, dialect)
    first = words[0] if words else ""
    writes = bool(words) and not (first in _READ_ONLY_WORDS and not _DML_WORDS & set(words))
    return Facts(statement, tuple(_facts_from_words(words)), writes, False)


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
    elif isinstance(tree, (exp.Update, exp.Delete)):
        if not tree.args.get("where") and not tree.args.get("limit") and not _joined_on_a_condition(tree):
            facts.append((UNBOUNDED_DML, _name(tree.this)))
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
        if "CONCURRENTLY" not in words:
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
    if verb == "MODIFY":
        return [TYPE_CHANGE]
    if verb == "CHANGE":  # CHANGE [COLUMN] old new type: a rename too when the names differ
        names = clause[2:4] if nxt == "COLUMN" else clause[1:3]
        renamed = len(names) == 2 and names[0].lower() != names[1].lower()
        return [TYPE_CHANGE, RENAME] if renamed else [TYPE_CHANGE]
    if verb == "RENAME" and nxt not in ("CONSTRAINT", "INDEX", "KEY"):
        return [RENAME]
    return []
