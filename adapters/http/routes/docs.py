"""The interactive documentation at /docs: Swagger UI served by the service itself, nothing from elsewhere.

Swagger UI's files come from the `swagger-ui-bundle-v2` package (swagger-ui's own dist folder, pinned
in requirements.lock) and are served under /docs/swagger-ui/. The page has no inline script or style
(its start-up code is /docs/swagger-ui-start.js), so every response under /docs carries a
Content-Security-Policy that allows the service's own origin only: the page works offline, behind a
proxy that blocks CDNs, and tells no third party that someone opened it.
"""

from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS = "/swagger-ui"
# This origin only; `data:` images too, for the icons swagger-ui.css embeds (they come from no origin).
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:"

# Reads the document's address from the page, so the page itself needs no script of its own.
START_SCRIPT = b"""\
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.url,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "BaseLayout",
  validatorUrl: null,  // no badge fetched from swagger.io: the page asks nothing of anyone else
});
"""


class SwaggerUIPage(OpenAPIRenderPlugin):
    """Swagger UI's page, from files the service serves itself."""

    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        assets = f"{DOCS_PATH}{ASSETS}"
        title = openapi_schema["info"]["title"]
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-url="{self.get_openapi_json_route(request)}"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-ui-standalone-preset.js"></script>
  <script src="{DOCS_PATH}/swagger-ui-start.js"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        assets = create_static_files_router(
            ASSETS, directories=[swagger_ui_path], include_in_schema=False, after_request=_with_policy
        )
        router.register(assets)
        router.register(swagger_ui_start)


async def _with_policy(response: Response[Any]) -> Response[Any]:
    # Static files are answered without the documentation router's response headers: set the policy here.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@get("/swagger-ui-start.js", media_type="text/javascript", sync_to_thread=False, include_in_schema=False)
def swagger_ui_start() -> bytes:
    return START_SCRIPT


def docs_router() -> Router:
    """The router Litestar puts the documentation's routes on: each answer carries the policy."""
    return Router(
        DOCS_PATH,
        route_handlers=[],
        include_in_schema=False,
        response_headers=[ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY)],
    )
