"""Signing keys for the tests, and a real HTTP server that publishes their public halves as a JWKS
(on a free loopback port, in a thread), counting how often it is asked and able to go down."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ISSUER = "https://auth.example.com"
AUDIENCE = "https://auth.example.com"


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    @classmethod
    def made(cls, kid: str, algorithm: str = "EdDSA") -> "SigningKey":
        private: Any
        if algorithm == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid, algorithm, private)

    def public_jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        return {**json.loads(algorithm.to_jwk(self.private.public_key())), "kid": self.kid, "alg": self.algorithm}

    def token(self, subject: str, *, lifetime: float = 600, **claims: Any) -> str:
        now = int(time.time())
        payload = {"sub": subject, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + lifetime, **claims}
        return jwt.encode(payload, self.private, algorithm=self.algorithm, headers={"kid": self.kid})


@dataclass
class JwksServer:
    keys: list[SigningKey]
    url: str = ""
    fetches: int = 0
    down: bool = False  # answers 503
    delay: float = 0.0  # seconds before each answer
    body: bytes | None = None  # answered instead of the keys
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def document(self) -> bytes:
        with self._lock:
            self.fetches += 1
        if self.body is not None:
            return self.body
        return json.dumps({"keys": [key.public_jwk() for key in self.keys]}).encode()


@contextmanager
def jwks_server(*keys: SigningKey) -> Iterator[JwksServer]:
    published = JwksServer(list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = published.document()
            time.sleep(published.delay)
            self.send_response(503 if published.down else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    published.url = f"http://127.0.0.1:{server.server_address[1]}/api/auth/jwks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield published
    finally:
        server.shutdown()
        server.server_close()
