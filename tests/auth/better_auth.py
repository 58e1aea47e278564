"""A real Better Auth server (the npm package, pinned in better_auth/package-lock.json) run by Node.js
on a free loopback port, and what a front end does with it: sign a user up and take their JWT.
"""

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.servers import free_port
from tests.tools import npm_installed

HERE = Path(__file__).parent / "better_auth"
START_TIMEOUT = 20.0


@dataclass
class User:
    id: str
    email: str
    session: httpx.Cookies


@dataclass
class BetterAuth:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/api/auth/jwks"

    def service_settings(self) -> dict[str, str]:
        """The service's TODO_* settings for tokens from this server (Better Auth's `iss` and `aud`
        are both its base URL)."""
        return {
            "TODO_AUTH": "jwt",
            "TODO_JWT_JWKS_URL": self.jwks_url,
            "TODO_JWT_ISSUER": self.base_url,
            "TODO_JWT_AUDIENCE": self.base_url,
        }

    def sign_up(self, name: str) -> User:
        email = f"{name}-{secrets.token_hex(4)}@example.com"
        answer = httpx.post(
            f"{self.base_url}/api/auth/sign-up/email",
            json={"email": email, "password": "correct horse battery staple", "name": name},
            headers={"Origin": self.base_url},
        )
        assert answer.status_code == 200, answer.text
        return User(answer.json()["user"]["id"], email, answer.cookies)

    def token(self, user: User) -> str:
        """The user's JWT, as the front end takes it from `/api/auth/token`."""
        answer = httpx.get(f"{self.base_url}/api/auth/token", cookies=user.session)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@contextmanager
def better_auth(log_dir: Path, script: str = "server.mjs", **env: str) -> Iterator[BetterAuth]:
    """A running Better Auth server; `env`: EXPIRATION_TIME, ROTATION_SECONDS (see server.mjs)."""
    node = npm_installed(HERE)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_dir / f"better-auth-{port}.log"
    settings = {"PORT": str(port), "BETTER_AUTH_URL": base_url, "BETTER_AUTH_SECRET": secrets.token_urlsafe(32), **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, script], cwd=HERE, env={**os.environ, **settings}, stdout=out, stderr=subprocess.STDOUT
        )
    server = BetterAuth(base_url, process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while b"listening" not in log.read_bytes():
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.05)
        yield server
    finally:
        server.stop()
