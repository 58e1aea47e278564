"""/docs in headless Chromium (Debian's `chromium`), with the network limited to the service itself.

Every request the page makes to any other origin is refused and recorded, and so is every breach of
the page's Content-Security-Policy the browser reports: the page must need neither. Playwright drives
the system's browser (`executable_path`); it downloads none of its own.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, sync_playwright

from adapters.http.routes.docs import CONTENT_SECURITY_POLICY
from tests.e2e.servers import Server, servers
from tests.tools import chromium

pytestmark = pytest.mark.e2e

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("docs")
    with servers(folder) as serve:
        yield serve(f"sqlite:///{folder / 'tasks.sqlite3'}")


@pytest.fixture
def page(server: Server) -> Iterator[Page]:
    executable = chromium()
    outside: list[str] = []
    refused: list[str] = []

    def only_the_service(route: Route) -> None:
        if route.request.url.startswith(f"{server.base_url}/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def note_policy_breach(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_the_service)
        page = context.new_page()
        page.on("console", note_policy_breach)
        yield page
        browser.close()
    assert outside == [], "the page asked for something outside the service"
    assert refused == [], "the page breaches its own Content-Security-Policy"


def test_docs_list_every_operation_and_try_one_out(server: Server, page: Page, tmp_path: Path) -> None:
    httpx.post(f"{server.base_url}/api/alice/tasks", json={"title": "Buy milk"}).raise_for_status()
    document = httpx.get(f"{server.base_url}/docs/openapi.json").json()
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method in METHODS
    }

    response = page.goto(f"{server.base_url}/docs")
    assert response is not None
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_selector(".opblock")
    listed = {
        (
            block.locator(".opblock-summary-method").inner_text(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.locator(".opblock").all()
    }
    assert listed == operations

    listing = page.locator(".opblock-get", has=page.locator('.opblock-summary-path[data-path="/api/{user_id}/tasks"]'))
    listing.locator(".opblock-summary").click()
    listing.locator(".try-out__btn").click()
    listing.locator('tr[data-param-name="user_id"] input').fill("alice")
    listing.locator(".execute").click()
    status = listing.locator(".live-responses-table .response .response-col_status")
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "Buy milk" in listing.locator(".live-responses-table .response .response-col_description").inner_text()

    screenshot = tmp_path / "docs.png"  # the getting-started page's picture (docs/swagger-ui.png) is this one
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshot)
    assert screenshot.stat().st_size > 10_000
    print(f"\n{len(listed)} operations listed; Try it out on GET /api/{{user_id}}/tasks: 200; screenshot {screenshot}")


def test_with_authentication_on_authorize_takes_a_token_that_try_it_out_sends(page: Page, tmp_path: Path) -> None:
    secret, issuer = "a-secret-of-at-least-32-bytes-for-hs256", "https://auth.example.com"
    settings = {"TODO_AUTH": "jwt", "TODO_JWT_SECRET": secret, "TODO_JWT_ISSUER": issuer, "TODO_JWT_AUDIENCE": issuer}
    token = jwt.encode({"sub": "alice", "iss": issuer, "aud": issuer, "exp": int(time.time()) + 600}, secret)
    with servers(tmp_path) as serve:
        server = serve(None, env=settings)
        httpx.post(f"{server.base_url}/api/alice/tasks", json={"title": "Buy milk"}, headers=_bearer(token))
        page.context.unroute("**/*")
        page.goto(f"{server.base_url}/docs")
        page.wait_for_selector(".opblock")
        page.locator(".auth-wrapper .authorize").click()
        page.locator(".modal-ux input").fill(token)
        page.locator(".modal-ux .auth-btn-wrapper .authorize").click()
        page.locator(".modal-ux .btn-done").click()

        listing = page.locator(
            ".opblock-get", has=page.locator('.opblock-summary-path[data-path="/api/{user_id}/tasks"]')
        )
        listing.locator(".opblock-summary").click()
        listing.locator(".try-out__btn").click()
        listing.locator('tr[data-param-name="user_id"] input').fill("alice")
        listing.locator(".execute").click()
        status = listing.locator(".live-responses-table .response .response-col_status")
        status.wait_for()
        assert status.inner_text().strip() == "200"
        assert "Buy milk" in listing.locator(".live-responses-table .response .response-col_description").inner_text()
    assert token not in server.output()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
