"""The HTTP adapter: Litestar routes that turn requests into use-case calls and results into JSON."""
