"""The README's "Behind Better Auth", run as written: its Better Auth set-up served by Node.js, the
service started with its variables (the front end's address filled in), and its EventSource line
run in headless Chromium (Debian's `chromium`, driven by Playwright); and the API guide's
EventSource that follows a user across expiring tokens."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests import tools
from tests.auth.better_auth import HERE, better_auth
from tests.e2e.servers import servers

pytestmark = pytest.mark.e2e

README = Path(__file__).parents[2] / "README.md"
API_GUIDE = Path(__file__).parents[2] / "docs" / "api.md"
FRONT_END = "https://app.example.com"


def blocks(language: str) -> list[str]:
    section = README.read_text().split("## Behind Better Auth", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def readme_settings(front_end: str) -> dict[str, str]:
    command = blocks("sh")[0].replace("\\\n", " ")
    assert command.strip().endswith("bash scripts/serve.sh")
    return {name: value.replace(FRONT_END, front_end) for name, value in re.findall(r"(TODO_\w+)=(\S+)", command)}


@pytest.fixture
def chromium() -> str:
    return tools.chromium()


def test_the_readmes_better_auth_set_up_signs_tokens_the_readmes_settings_accept(tmp_path: Path, chromium: str) -> None:
    set_up, event_source = blocks("js")
    (HERE / "readme-auth.mjs").write_text(set_up)
    with better_auth(tmp_path, "readme_server.mjs") as front_end, servers(tmp_path) as serve:
        settings = readme_settings(front_end.base_url)
        assert set(settings) == {"TODO_AUTH", "TODO_JWT_JWKS_URL", "TODO_JWT_ISSUER", "TODO_JWT_AUDIENCE"}
        service = serve(None, env=settings)
        user = front_end.sign_up("reader")
        token = front_end.token(user)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            page = browser.new_page()
            page.goto(f"{service.base_url}/health")
            page.evaluate(
                "([api, userId, token, line]) => { window.shown = []; const show = (task) => window.shown.push(task);"
                " window.events = eval(line + '; events'); }",
                [service.base_url, user.id, token, event_source.strip().replace("const events = ", "var events = ")],
            )
            page.wait_for_function("window.events.readyState === 1")
            created = httpx.post(
                f"{service.base_url}/api/{user.id}/tasks",
                json={"title": "seen in the browser"},
                headers={"Authorization": f"Bearer {token}"},
            )
            page.wait_for_function("window.shown.length > 0")
            shown = page.evaluate("window.shown")
            browser.close()
    assert created.status_code == 201
    assert [task["title"] for task in shown] == ["seen in the browser"]
    assert token not in service.output()


def test_the_api_guides_event_source_follows_across_expiring_tokens_losing_and_repeating_nothing(
    tmp_path: Path, chromium: str
) -> None:
    follow = re.findall(r"```js\n(let last = null;.*?)```", API_GUIDE.read_text(), re.DOTALL)[0]
    with better_auth(tmp_path, EXPIRATION_TIME="3s") as front_end, servers(tmp_path) as serve:
        service = serve(None, env={**front_end.service_settings(), "TODO_JWT_LEEWAY": "0"})
        user = front_end.sign_up("follower")
        tokens_handed = [front_end.token(user)]

        def fresh_token() -> str:
            tokens_handed.append(front_end.token(user))
            return tokens_handed[-1]

        def create(title: str) -> None:
            headers = {"Authorization": f"Bearer {front_end.token(user)}"}
            httpx.post(f"{service.base_url}/api/{user.id}/tasks", json={"title": title}, headers=headers)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            page = browser.new_page()
            page.goto(f"{service.base_url}/health")
            page.expose_function("freshToken", fresh_token)
            page.evaluate(
                "([api, userId, token, code]) => { window.shown = []; const show = (task) => window.shown.push(task);"
                " eval(code + '; follow(token)'); }",
                [service.base_url, user.id, tokens_handed[0], follow],
            )
            create("first")
            page.wait_for_function("window.shown.length === 1")
            page.wait_for_timeout(4000)  # the first token expires: the stream ends, follow() takes a fresh one
            create("second")
            create("third")
            page.wait_for_function("window.shown.length === 3")
            page.wait_for_timeout(300)
            titles = page.evaluate("window.shown.map((task) => task.title)")
            browser.close()
    assert titles == ["first", "second", "third"]
    assert len(tokens_handed) >= 2
