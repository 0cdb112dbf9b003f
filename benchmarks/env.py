"""The benchmark's surroundings: the virtualenv whose commands are timed, the
PostgreSQL server (one fresh database per measurement), timing and the
machine's description.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
#: Where ``python -m benchmarks`` builds its virtualenv (ignored by git).
DEFAULT_VENV = REPO / ".benchmarks" / "venv"
#: Same variable and default as tests/conftest.py, so CI points both at one server.
PG_ADMIN_URL = os.environ.get("MIGRATOR_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PEERS = ("yoyo-migrations", "alembic")


class BenchError(Exception):
    """A benchmark could not run (a command failed, a tool is missing)."""


# --- the virtualenv ---------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """The commands whose wall time is measured, and where they come from."""

    bin_dir: Path
    description: str

    def exe(self, name: str) -> Path:
        return self.bin_dir / name

    def has(self, name: str) -> bool:
        return self.exe(name).exists()

    @property
    def migrator(self) -> list[str]:
        return [str(self.exe("migrator"))]


def _venv_ok(venv: Path) -> bool:
    return (venv / "bin" / "migrator").exists()


def _run_quiet(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{what} failed ({' '.join(cmd)}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def build_venv(venv: Path, *, peers: bool, log) -> None:
    """Create ``venv`` the README's way (``python3 -m venv`` + ``pip install -e '.[test]'``),
    plus the peers from PyPI."""
    if not _venv_ok(venv):
        log(f"creating {venv} the README's way (python3 -m venv; pip install -e '.[test]')")
        _run_quiet([sys.executable, "-m", "venv", str(venv)], "python -m venv")
        _run_quiet([str(venv / "bin" / "pip"), "install", "-q", "-e", ".[test]"], "pip install -e '.[test]'")
    if peers and not all((venv / "bin" / tool).exists() for tool in ("yoyo", "alembic")):
        log(f"installing the peers into {venv}: pip install {' '.join(PEERS)}")
        _run_quiet([str(venv / "bin" / "pip"), "install", "-q", *PEERS], "pip install the peers")


def find_tools(venv_arg: str | None, *, quick: bool, peers: bool, log) -> Tools:
    """The virtualenv to time: ``--venv``, else .benchmarks/venv (built when missing).

    ``--quick`` never builds one: without .benchmarks/venv it times the
    interpreter running the benchmarks (start-up figures are then not the README's).
    """
    if venv_arg:
        venv = Path(venv_arg).resolve()
        if not _venv_ok(venv):
            raise BenchError(f"--venv {venv_arg}: no bin/migrator there (pip install -e '.[test]' into it first)")
        return Tools(venv / "bin", f"the virtualenv {venv_arg} (given with --venv)")
    if _venv_ok(DEFAULT_VENV) or not quick:
        build_venv(DEFAULT_VENV, peers=peers and not quick, log=log)
        return Tools(DEFAULT_VENV / "bin", "a virtualenv built the README's way in .benchmarks/venv "
                     "(python3 -m venv; pip install -e '.[test]'; plus the peers from PyPI)")
    here = Path(sys.executable).parent
    if not (here / "migrator").exists():
        raise BenchError(f"no migrator command beside {sys.executable}; pip install -e . first")
    return Tools(here, f"the running interpreter's environment ({sys.prefix}), not a fresh virtualenv")


# --- timing ----------------------------------------------------------------------------


def run_timed(cmd: list[str], *, stdin_path: Path | None = None, env: dict | None = None,
              ok_codes=(0,), cwd: Path | None = None) -> float:
    """Wall seconds of ``cmd`` as a user sees it (process start to exit)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, cwd=cwd)
        elapsed = time.perf_counter() - start
    finally:
        if stdin_path:
            stdin.close()
    if proc.returncode not in ok_codes:
        out = (proc.stdout + proc.stderr).decode(errors="replace")
        raise BenchError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{out[-3000:]}")
    return elapsed


def median(values) -> float:
    values = sorted(values)
    if not values:
        raise ValueError("median of nothing")
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


#: Bytecode of the timed commands goes here, not into the source tree.
PYCACHE = REPO / ".benchmarks" / "pycache"


def clean_env() -> dict:
    """The environment for timed commands, as on a user's machine.

    No MIGRATOR_DATABASE_URL surprises, and bytecode caching on: with
    PYTHONDONTWRITEBYTECODE (set on some CI and dev machines) every start
    compiles migrator's modules from source again, which no user pays.
    """
    env = dict(os.environ)
    env.pop("MIGRATOR_DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


# --- PostgreSQL -----------------------------------------------------------------------------


class Postgres:
    """The PostgreSQL server: fresh ``bench_<random>`` databases, dropped afterwards."""

    def __init__(self, admin_url: str = PG_ADMIN_URL):
        self.admin_url = admin_url
        self._reason: str | None | bool = False  # False: not asked yet

    def _engine(self):
        import sqlalchemy as sa

        from migrator.db import parse_url

        return sa.create_engine(parse_url(self.admin_url), isolation_level="AUTOCOMMIT",
                                poolclass=sa.pool.NullPool)

    def unavailable(self) -> str | None:
        """Why the server cannot be used (None when it can); asked once."""
        if self._reason is False:
            from migrator.db import mask
            from migrator.urls import first_line

            try:
                with self._engine().connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                self._reason = None
            except Exception as e:  # any failure to reach the server means: not available
                self._reason = f"PostgreSQL server at {mask(self.admin_url)} unavailable: {first_line(e)}"
        return self._reason

    def version(self) -> str:
        with self._engine().connect() as conn:
            return str(conn.exec_driver_sql("SHOW server_version").scalar())

    @contextmanager
    def database(self) -> Iterator[Database]:
        """A fresh database, dropped afterwards (never one of the server's own)."""
        from migrator.db import parse_url

        name = f"bench_{uuid.uuid4().hex[:10]}"
        engine = self._engine()
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        url = parse_url(self.admin_url).set(database=name)
        try:
            yield Database(name, url.render_as_string(hide_password=False), url)
        finally:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            engine.dispose()


@dataclass(frozen=True)
class Database:
    name: str
    url: str  # for migrator and alembic (SQLAlchemy URL, driver psycopg)
    parsed: object  # sqlalchemy URL

    def psql_args(self) -> list[str]:
        """Connection arguments for the ``psql`` client."""
        u = self.parsed
        args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-d", self.name]
        if u.username:
            args += ["-U", u.username]
        return args

    def psql_env(self) -> dict:
        env = clean_env()
        if self.parsed.password:
            env["PGPASSWORD"] = self.parsed.password
        return env

    @property
    def yoyo_url(self) -> str:
        """yoyo's URL: its ``postgresql+psycopg`` backend uses psycopg 3, like migrator."""
        return self.url

    def execute(self, statements, *, autocommit: bool = False) -> None:
        """Run set-up SQL (never timed) through psycopg."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=autocommit) as conn:
            for s in statements:
                conn.execute(s)

    @property
    def dsn(self) -> str:
        u = self.parsed
        parts = [f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}", f"dbname={self.name}"]
        if u.username:
            parts.append(f"user={u.username}")
        if u.password:
            parts.append(f"password={u.password}")
        return " ".join(parts)


# --- the machine ------------------------------------------------------------------------------


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _meminfo_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _tool_version(cmd: list[str]) -> str:
    exe = shutil.which(cmd[0])
    if not exe:
        return "not installed"
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def machine(tools: Tools, pg: Postgres | None) -> list[tuple[str, str]]:
    """The machine's description for RESULTS.md."""
    import sqlite3

    import sqlalchemy

    from migrator import __version__

    def pip_version(package: str) -> str:
        py = tools.exe("python")
        if not py.exists():
            return "not installed"
        code = f"import importlib.metadata as m\ntry: print(m.version({package!r}))\nexcept Exception: print('not installed')"
        return subprocess.run([str(py), "-c", code], capture_output=True, text=True).stdout.strip() or "unknown"

    if pg is None:
        pg_version = "not requested"
    else:
        pg_version = pg.unavailable() or pg.version()
    return [
        ("CPU", f"{os.cpu_count()} cores (nproc), {_cpu_model()}"),
        ("memory", _meminfo_gib()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("migrator", __version__),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("PostgreSQL server", pg_version),
        ("psql", _tool_version(["psql", "--version"])),
        ("SQLite (library)", sqlite3.sqlite_version),
        ("sqlite3 CLI", _tool_version(["sqlite3", "--version"]).split(" ")[0]),
        ("yoyo-migrations", pip_version("yoyo-migrations")),
        ("alembic", pip_version("alembic")),
        ("commands timed from", tools.description),
        ("bytecode", "cached, as on a user's machine (PYTHONDONTWRITEBYTECODE unset, "
                     "PYTHONPYCACHEPREFIX=.benchmarks/pycache); one untimed warm-up run per command"),
    ]
