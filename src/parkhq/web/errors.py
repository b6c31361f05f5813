"""The one place where ParkHQ errors become HTTP responses (JSON for the API, pages otherwise)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from parkhq.errors import AuthenticationFailed, ParkHQError

__all__ = ["ERROR_RESPONSES", "ErrorOut", "install_error_handlers"]

log = logging.getLogger(__name__)


class ErrorOut(BaseModel):
    """Every API error: a stable code, a Chinese message, and structured detail when useful."""

    error: str
    message: str
    detail: dict[str, Any] | None = None


#: Documented on every API route (OpenAPI), so clients and schemathesis know them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "未登录或登录已失效"},
    403: {"model": ErrorOut, "description": "角色无权执行此操作，或 CSRF 校验失败"},
    404: {"model": ErrorOut, "description": "对象不存在或不在权限范围内"},
    409: {"model": ErrorOut, "description": "与现有数据冲突"},
    422: {"model": ErrorOut, "description": "输入不合法"},
    429: {"model": ErrorOut, "description": "登录尝试过多"},
}

HTTP_MESSAGES = {
    404: "页面或接口不存在",
    405: "不支持该请求方法",
    400: "请求不合法",
    413: "上传内容过大",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


def _page(request: Request, status: int, message: str) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ParkHQError)
    async def parkhq_error(request: Request, exc: ParkHQError) -> Response:
        if exc.status_code >= 500:
            log.error("server error: %s", exc.message, exc_info=exc)
        if _is_api(request):
            return _json(exc.status_code, exc.code, exc.message, exc.detail)
        if isinstance(exc, AuthenticationFailed) and exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return _page(request, exc.status_code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        where = "；".join(f"{'.'.join(e['loc'])}：{e['msg']}" for e in errors[:5])
        message = f"请求参数不合法：{where}"
        if _is_api(request):
            return _json(422, "invalid_input", message, {"errors": errors})
        return _page(request, 422, message)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # A value the database cannot store (a NUL character, a number out of range): the
        # transaction was rolled back; the client sent something no field accepts.
        log.info("rejected by the database: %s", exc.orig)
        message = "输入包含数据库无法保存的值（如空字符 \\x00 或超出范围的数字）"
        if _is_api(request):
            return _json(422, "invalid_input", message)
        return _page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        if _is_api(request):
            return _json(exc.status_code, f"http_{exc.status_code}", message)
        return _page(request, exc.status_code, message)
