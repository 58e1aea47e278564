"""The OpenAPI document makes a typed TypeScript client: openapi-typescript generates the types from
/docs/openapi.json, and `tsc --noEmit` accepts client.ts, which lists, creates, patches and completes a
task with openapi-fetch, and refuses it once a task field is typed `any`.

The tools are pinned in package.json and package-lock.json here; `npm ci` installs them into
node_modules/ when it is missing or older than the lock (from npm's cache when offline).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from litestar.testing import TestClient

from entrypoints.app import create_app
from entrypoints.settings import Settings

HERE = Path(__file__).parent
GENERATED = HERE / "generated"
NODE, NPM = shutil.which("node"), shutil.which("npm")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=False, cwd=HERE, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tools() -> None:
    if NODE is None or NPM is None:
        message = "Node.js and npm are not installed: apt-get install nodejs npm"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    installed = HERE / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (HERE / "package-lock.json").stat().st_mtime:
        done = run(NPM, "ci", "--prefer-offline", "--no-audit", "--no-fund")
        assert done.returncode == 0, done.stderr


def generate_types(document: dict[str, object]) -> str:
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "openapi.json").write_text(json.dumps(document))
    # A field with a default may be left out of a request: --default-non-nullable false keeps it optional.
    cli = "node_modules/openapi-typescript/bin/cli.js"
    done = run(str(NODE), cli, "generated/openapi.json", "-o", "generated/api.ts", "--default-non-nullable", "false")
    assert done.returncode == 0, done.stderr
    return (GENERATED / "api.ts").read_text()


def type_check() -> subprocess.CompletedProcess[str]:
    return run(str(NODE), "node_modules/typescript/bin/tsc", "-p", "tsconfig.json")


def test_the_document_types_a_client_that_compiles_and_a_loose_field_does_not(tools: None) -> None:
    with TestClient(create_app(Settings(database_url="memory://", access_log=False))) as client:
        document = client.get("/docs/openapi.json").json()
    types = generate_types(document)

    checked = type_check()
    assert checked.returncode == 0, checked.stdout + checked.stderr

    task = types.index("TaskOutput: {")
    loose = types[:task] + types[task:].replace("title: string;", "title: any;", 1)
    (GENERATED / "api.ts").write_text(loose)
    try:
        refused = type_check()
    finally:
        (GENERATED / "api.ts").write_text(types)
    assert refused.returncode != 0
    assert "client.ts(" in refused.stdout, refused.stdout
    assert '"title"' in refused.stdout, refused.stdout
