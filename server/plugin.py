"""`ThiduaPlugin`: all the wiring of the app (routes, lifespan, errors, auth, logs, limits)."""

from __future__ import annotations

import gc
from pathlib import Path

from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.plugins import InitPlugin
from litestar.static_files import create_static_files_router

from sync.http import couch_router

from . import __version__
from .access import visible_dbs
from .api_docs import api_assets, openapi_config
from .audit_hooks import audit_lifespan
from .auth import AuthMiddleware
from .awards.pages import BranchController
from .awards.pages_decisions import DecisionPages
from .awards.pages_layout import LayoutPages
from .awards.pages_people import PeoplePages
from .awards.pages_report import ReportPages
from .consolidated.controller import ResultsController
from .controllers import SessionController, health
from .controllers.admin import AdminController
from .controllers.admin_audit import AuditController
from .controllers.me import MeController
from .errors import exception_handlers
from .gatekeeper import store_for
from .lifespan import make_lifespan
from .logs import access_log_hook, configure_logging
from .proxies import ProxyHeadersMiddleware
from .public.controller import PublicController
from .review.controller import ReviewController
from .review.workflow_api import WorkflowController
from .security import SecurityMiddleware
from .settings import Settings
from .traffic import Traffic
from .worker.lifespan import worker_lifespan

__all__ = ["PWA_DIR", "ThiduaPlugin", "freeze_heap"]

#: The built PWA (`make setup` runs `pwa/build.mjs`), served at `/`.
PWA_DIR = Path(__file__).resolve().parent.parent / "pwa" / "dist"


def freeze_heap() -> None:
    """After start-up: move everything allocated so far (modules, routes, the store's engine)
    out of the garbage collector's reach, so its full collections while serving walk only
    what requests allocate (a full collection of the start-up heap pauses every request
    for ~30 ms). `gc.unfreeze` at shutdown gives it back."""
    gc.freeze()


class ThiduaPlugin(InitPlugin):
    """Fills the `AppConfig` from `Settings`; `create_app` only adds this plugin."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        configure_logging(self.settings.log_level)
        app_config.logging_config = None  # our JSON handler on the root logger instead
        app_config.debug = False  # never an HTML traceback
        app_config.state["settings"] = self.settings
        app_config.state["db_filter"] = visible_dbs  # for `_all_dbs` (see server.access)
        app_config.state["store_for"] = store_for  # every /db route's store (server.gatekeeper)
        app_config.state["traffic"] = Traffic()  # requests in flight: the worker yields to them
        if "write_observers" not in app_config.state:
            app_config.state["write_observers"] = []  # async callables, see server.gatekeeper
        app_config.lifespan.append(make_lifespan(self.settings))
        app_config.lifespan.append(audit_lifespan)  # after: it needs accounts and auth
        app_config.lifespan.append(worker_lifespan)  # after: it needs the store and audit log
        app_config.on_startup.append(freeze_heap)
        app_config.on_shutdown.append(gc.unfreeze)
        app_config.request_max_body_size = self.settings.max_request_size
        self._configure_routes(app_config)
        app_config.exception_handlers = {**exception_handlers(), **app_config.exception_handlers}
        app_config.middleware.insert(0, AuthMiddleware())
        app_config.middleware.insert(0, SecurityMiddleware(self.settings.cors_origins))
        app_config.middleware.insert(0, ProxyHeadersMiddleware(self.settings.trusted_proxies))
        app_config.before_send.append(access_log_hook)
        app_config.openapi_config = openapi_config("thidua", __version__)  # local assets
        if self.settings.cors_origins:
            app_config.cors_config = CORSConfig(
                allow_origins=list(self.settings.cors_origins),
                allow_credentials=True,
                allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "Accept"],
            )
        return app_config

    @staticmethod
    def _configure_routes(app_config: AppConfig) -> None:
        app_config.route_handlers.extend([health, SessionController, couch_router(), api_assets])
        app_config.route_handlers.extend([AdminController, AuditController, MeController])
        app_config.route_handlers.extend([BranchController, DecisionPages, PeoplePages, ReportPages,
                                          LayoutPages])  # /branch/ pages
        app_config.route_handlers.append(ReviewController)
        app_config.route_handlers.append(ResultsController)  # /api/results (server.consolidated)
        app_config.route_handlers.append(WorkflowController)  # /api/workflow (server.review)
        app_config.route_handlers.append(PublicController)  # /public/rankings (server.public)
        if PWA_DIR.is_dir():
            app_config.route_handlers.append(
                create_static_files_router(
                    path="/",
                    directories=[PWA_DIR],
                    html_mode=True,
                    include_in_schema=False,
                    name="pwa",
                )
            )
