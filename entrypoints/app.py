"""The app factory: configuration in, a ready Litestar application out (tests and benchmarks call it;
`todo serve` builds the container itself, to hold on to what it must stop)."""

from litestar import Litestar

from entrypoints.container import Container
from entrypoints.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    return Container(settings=settings or Settings.from_env()).app()
