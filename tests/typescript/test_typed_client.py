"""The OpenAPI document makes a typed TypeScript client: openapi-typescript generates the types from
/docs/openapi.json, and `tsc --noEmit` accepts client.ts, which lists, creates, patches and completes a
task with openapi-fetch, and refuses it once a task field is typed `any`.

The tools are pinned in package.json and package-lock.json here; `npm ci` installs them into
node_modules/ when it is missing or older than the lock (from npm's cache when offline).
"""

import json
import subprocess
from pathlib import Path

import pytest
from litestar.testing import TestClient

from entrypoints.app import create_app
from entrypoints.settings import Settings
from tests.tools import npm_installed

HERE = Path(__file__).parent
GENERATED = HERE / "generated"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=False, cwd=HERE, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def node() -> str:
    return npm_installed(HERE)


def generate_types(document: dict[str, object], node: str) -> str:
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "openapi.json").write_text(json.dumps(document))
    # A field with a default may be left out of a request: --default-non-nullable false keeps it optional.
    cli = "node_modules/openapi-typescript/bin/cli.js"
    done = run(node, cli, "generated/openapi.json", "-o", "generated/api.ts", "--default-non-nullable", "false")
    assert done.returncode == 0, done.stderr
    return (GENERATED / "api.ts").read_text()


def type_check(node: str) -> subprocess.CompletedProcess[str]:
    return run(node, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json")


def test_the_document_types_a_client_that_compiles_and_a_loose_field_does_not(node: str) -> None:
    with TestClient(create_app(Settings(database_url="memory://", access_log=False))) as client:
        document = client.get("/docs/openapi.json").json()
    types = generate_types(document, node)

    checked = type_check(node)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    task = types.index("TaskOutput: {")
    loose = types[:task] + types[task:].replace("title: string;", "title: any;", 1)
    (GENERATED / "api.ts").write_text(loose)
    try:
        refused = type_check(node)
    finally:
        (GENERATED / "api.ts").write_text(types)
    assert refused.returncode != 0
    assert "client.ts(" in refused.stdout, refused.stdout
    assert '"title"' in refused.stdout, refused.stdout
