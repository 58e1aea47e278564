"""requirements.lock holds what the service runs on, and only that: every distribution the service's
packages import is in it, and everything in it is needed by the service's own dependencies
(pyproject.toml's `dependencies`, followed through the installed packages' metadata), so no test tool
reaches `bash scripts/serve.sh`. requirements-test.lock pins the same versions, plus the test tools.
"""

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
SERVICE_PACKAGES = ("domain", "application", "adapters", "entrypoints", "migrations")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pinned(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    return {canonicalize_name(name): version for name, version in re.findall(r"^([\w.-]+)==(\S+)", text, re.MULTILINE)}


def imported_modules() -> set[str]:
    modules = set()
    for package in SERVICE_PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - set(SERVICE_PACKAGES)


def needed(requirements: list[str]) -> set[str]:
    """The distributions these requirements bring in on this platform, through their metadata."""
    followed: set[tuple[str, str]] = set()  # (distribution, extra)
    waiting = [(Requirement(text), "") for text in requirements]  # with the extra each was asked under
    while waiting:
        requirement, extra = waiting.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        for wanted in ["", *requirement.extras]:
            if (name, wanted) not in followed:
                followed.add((name, wanted))
                waiting += [(Requirement(text), wanted) for text in metadata.requires(name) or []]
    return {name for name, _ in followed}


def test_everything_the_service_imports_is_in_the_runtime_lock() -> None:
    distributions = metadata.packages_distributions()
    runtime = pinned("requirements.lock")
    missing = {
        module: distributions.get(module)
        for module in imported_modules()
        if not any(canonicalize_name(name) in runtime for name in distributions.get(module, []))
    }
    assert missing == {}
    assert {"litestar", "prometheus_client", "swagger_ui_bundle", "psycopg_pool"} <= imported_modules()


def test_the_runtime_lock_holds_only_what_the_service_needs() -> None:
    runtime = set(pinned("requirements.lock"))
    assert runtime == needed(PROJECT["dependencies"])
    test_tools = {canonicalize_name(Requirement(text).name) for text in PROJECT["optional-dependencies"]["test"]}
    assert test_tools & runtime == {"httpx"}  # Litestar's own dependency: the service runs with it installed
    assert {"pytest", "hypothesis", "schemathesis", "playwright", "mypy", "ruff"} <= test_tools


def test_the_test_lock_pins_the_runtime_versions_and_adds_the_test_tools() -> None:
    runtime, test = pinned("requirements.lock"), pinned("requirements-test.lock")
    assert {name: test.get(name) for name in runtime} == runtime
    assert {"pytest", "hypothesis", "schemathesis", "playwright"} <= set(test) - set(runtime)
