"""The core stays plain Python over the database: no front end or scheduler inside it."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "governance"
FORBIDDEN = {"discord", "github", "aiohttp", "apscheduler", "bot"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_adapter() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_roots(path) & FORBIDDEN)
        for path in CORE.rglob("*.py")
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_pure_modules_import_no_database() -> None:
    """Rules, policies and the status builder must stay importable without the ORM."""
    for name in ("rules.py", "policy.py", "status.py", "fastread.py", "refs.py", "digest.py"):
        assert not imported_roots(CORE / name) & {"sqlalchemy", "sqlmodel", "alembic"}, name


def test_console_fast_path_loads_no_orm() -> None:
    """`vote status` answers without importing SQLAlchemy: checked in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import sys, bot.cli, governance.fastread, governance.digest;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy','sqlmodel'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE.parent
    )
    assert out.stdout.strip() == "[]"
