"""`pip install` of the built wheel, away from the source tree: `todo` works, migrations included."""

import sqlite3
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_wheel_gives_a_working_todo_command_with_its_migrations(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(tmp_path), str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("todo_task_service-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "migrations/env.py" in names
    assert "migrations/script.py.mako" in names
    assert sum(name.startswith("migrations/versions/0") for name in names) == len(
        list((ROOT / "migrations/versions").glob("0*.py"))
    )

    # A new environment with only the wheel; the runtime dependencies come from this one's site-packages,
    # added behind it (its editable install of the source tree is not: that .pth is not read from there).
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    site = target / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip, "--python", str(target / "bin/python"), "install", "--no-deps", str(wheel)], check=True)
    todo = target / "bin" / "todo"

    version = subprocess.run([todo, "--version"], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert version.stdout.strip() == f"todo {VERSION}"
    env = {"DATABASE_URL": "sqlite:///installed.sqlite3", "PATH": "/usr/bin:/bin"}
    subprocess.run([todo, "migrate"], capture_output=True, check=True, cwd=tmp_path, env=env)
    where = subprocess.run(
        [target / "bin/python", "-c", "import migrations; print(migrations.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert where.stdout.startswith(str(site))  # the installed package's migrations, not the source tree's
    with sqlite3.connect(tmp_path / "installed.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"tasks", "task_events", "alembic_version"} <= tables
