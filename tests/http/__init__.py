"""HTTP tests: the service's API, driven through Litestar's TestClient (`clients.py`); fixtures in conftest.py."""
