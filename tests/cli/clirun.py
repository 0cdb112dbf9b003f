"""What the CLI tests share: run ``migrator`` in-process and capture its output."""
from __future__ import annotations

from migrator.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``migrator ARGS...``: (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_plan_file(tmp_path, text: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return str(path)
