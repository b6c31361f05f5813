"""Rendering helper shared by the page modules."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from parkhq.services.access import Principal

__all__ = ["chart_json", "render"]


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        template,
        {"principal": principal, "path": request.url.path, **context},
        status_code=status_code,
    )
    return response


def chart_json(option: dict[str, Any]) -> str:
    """ECharts options as JSON for a ``<script type="application/json">`` block (no inline JS)."""
    return json.dumps(option, ensure_ascii=False).replace("</", "<\\/")
