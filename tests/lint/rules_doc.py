"""Writes docs/lint-rules.md from the rule table; run ``python tests/lint/rules_doc.py`` after editing a rule."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "lint-rules.md"


def rules_markdown() -> str:
    from migrator.lint import RULES

    lines = [
        "# Risk rules",
        "",
        "`migrator plan` shows these findings for every step it would run; `migrator lint PLAN... "
        "[--dialect NAME]` checks them offline and exits 1 when an `error` finding is not accepted. "
        "A step accepts a rule with `allow: [rule-id]`: the finding is still shown, marked accepted.",
        "",
        "Statements are parsed with sqlglot for the target dialect; where sqlglot cannot parse one, "
        "migrator reads its tokens, so the rules still fire. Changes to a table created earlier in the "
        "same step are exempt from the locking rules (the table is new and empty), as in squawk, and a "
        "temporary table created in the same step is scratch that no rule is about. "
        "A table rebuilt in one step (a copy created and filled, the old table dropped, the copy renamed "
        "to its name, as Django, Prisma and Drizzle alter a table on SQLite; or MySQL's `RENAME TABLE t "
        "TO t_old, t_new TO t`) is neither dropped nor renamed for `drop-table` and `rename`. "
        "`set-not-null` stays quiet on a column whose `CHECK (column IS NOT NULL) NOT VALID` an earlier "
        "step added and a later step (or the same one with `transaction: false`) validated: its own safer "
        "way, as in squawk. The statements of a PostgreSQL `DO` block are checked (a function body is "
        "only stored, so it is not), and MySQL's `/*! ... */` comments are read as the code they are. "
        "`lint` judges each step for the dialect it runs on: `--dialect`, or the first dialect of the "
        "step's `when` when that excludes `--dialect`.",
        "",
        "| rule | severity | dialects | finds |",
        "|---|---|---|---|",
    ]
    for rule in RULES.values():
        dialects = ", ".join(rule.dialects) if rule.dialects else "all"
        lines.append(f"| `{rule.id}` | {rule.severity} | {dialects} | {rule.summary} |")
    for rule in RULES.values():
        lines += ["", f"## `{rule.id}`", "", f"**{rule.severity}** — {rule.summary}", "", f"Why: {rule.why}"]
        for dialect, why in rule.why_by_dialect.items():
            lines += ["", f"On {dialect}: {why}"]
        lines += ["", f"Safer: {rule.safer}"]
    return "\n".join(lines).replace("<", "&lt;") + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    DOC.write_text(rules_markdown(), encoding="utf-8")
