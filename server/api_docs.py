"""The API reference at `/schema`: Swagger UI served by thidua itself, never from a CDN.

The viewer's files come from the pinned npm package `swagger-ui-dist` (`package.json`,
installed by `make setup`) and are served at `/schema-assets/`; the page loads nothing from
another host (no CDN, no web fonts, no favicon from elsewhere). `/schema/openapi.json` is
the schema itself.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.params import FromPath

__all__ = ["ASSETS_DIR", "ASSET_PATH", "api_assets", "openapi_config"]

#: Where `npm ci` puts the pinned Swagger UI distribution.
ASSETS_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"
ASSET_PATH = "/schema-assets"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_FAVICON = f"<link rel='icon' type='image/png' href='{ASSET_PATH}/favicon-32x32.png'>"


@get(f"{ASSET_PATH}/{{name:str}}", include_in_schema=False, cache=3600)
async def api_assets(name: FromPath[str]) -> Response[bytes]:
    """One file of the Swagger UI distribution (only the few the page uses)."""
    media_type = _ASSETS.get(name)
    path = ASSETS_DIR / name
    if media_type is None or not path.is_file():
        raise NotFoundException(f"No API reference asset {name!r} (run `make setup`).")
    return Response(path.read_bytes(), media_type=media_type)


def openapi_config(title: str, version: str) -> OpenAPIConfig:
    """`/schema` (Swagger UI, local assets), `/schema/openapi.json` and `.yaml`."""
    swagger = SwaggerRenderPlugin(
        js_url=f"{ASSET_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSET_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSET_PATH}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"],
        favicon=_FAVICON,
    )
    return OpenAPIConfig(
        title=title,
        version=version,
        path="/schema",
        use_handler_docstrings=True,
        render_plugins=[swagger, JsonRenderPlugin(), YamlRenderPlugin()],
    )
