"""The ASGI application factory. Nothing is built at import time: call :func:`create_app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from parkhq import __version__
from parkhq.settings import Settings, get_settings
from parkhq.store.db import Database
from parkhq.web.errors import ERROR_RESPONSES, install_error_handlers
from parkhq.web.nav import nav_for

__all__ = ["CONTENT_SECURITY_POLICY", "create_app"]

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

#: Pages load nothing from outside the app: users' networks are often closed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["nav_for"] = nav_for
    templates.env.globals["version"] = __version__
    templates.env.filters["num"] = _format_number
    return templates


def _format_number(value: object, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app for ``settings``; pass ``database`` to share one (tests, the CLI)."""
    settings = settings or get_settings()
    db = database or Database.from_settings(settings)
    owns_db = database is None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_db:
            db.dispose()

    app = FastAPI(
        title="ParkHQ 工业园区高质量发展平台 API",
        version=__version__,
        description=(
            "园区、企业、用地与月报数据，角色与权限范围，审计日志。"
            "所有接口需登录（会话 Cookie），"
            "修改类请求需携带 `X-CSRF-Token` 请求头（登录接口返回）。"
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.templates = _templates()

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from parkhq.web.api import ROUTERS as API_ROUTERS
    from parkhq.web.pages import ROUTERS as PAGE_ROUTERS

    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    return app
