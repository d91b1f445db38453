"""The Litestar application factory (all wiring is in `server.plugin.ThiduaPlugin`)."""

from __future__ import annotations

from litestar import Litestar

from sync.http import keep_db_slashes

from .plugin import ThiduaPlugin
from .settings import Settings, load_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; `settings` defaults to the environment's (`load_settings()`)."""
    app = Litestar(plugins=[ThiduaPlugin(settings or load_settings())])
    app.asgi_handler = keep_db_slashes(app.asgi_handler)  # before routing: `a%2Fb` is one db
    return app
