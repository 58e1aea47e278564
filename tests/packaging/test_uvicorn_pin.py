"""The edge's protocol (entrypoints/server/protocol.py) subclasses uvicorn's internal httptools protocol,
which a new minor release may change without notice: uvicorn is pinned below its next minor release,
and this says so when the installed one, or the pin, moves."""

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROJECT = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
# What LimitedHttpProtocol overrides or calls by name.
RELIED_ON = ("data_received", "on_message_begin", "on_headers_complete", "on_response_complete", "send_400_response")


def test_uvicorn_is_pinned_below_its_next_minor_release_and_installed_within_the_pin() -> None:
    (pin,) = [Requirement(text) for text in PROJECT["dependencies"] if Requirement(text).name == "uvicorn"]
    installed = metadata.version("uvicorn")
    upper = [spec.version for spec in pin.specifier if spec.operator == "<"]

    assert upper, "uvicorn must be pinned below its next minor release (protocol.py subclasses its internals)"
    assert pin.specifier.contains(installed), (
        f"uvicorn {installed} is outside the pin {pin.specifier}: check entrypoints/server/protocol.py "
        "against its HttpToolsProtocol, then move the pin and the lock files together"
    )


def test_the_protocol_methods_the_edge_relies_on_are_uvicorns_own() -> None:
    assert all(callable(getattr(HttpToolsProtocol, name, None)) for name in RELIED_ON)
