"""Checks shared by the browser tests (tests/e2e)."""

from __future__ import annotations

from typing import Any


def only_loopback(visit: Any, live_server: Any) -> None:
    """The page requested nothing outside the app (no CDN, no external request of any kind)."""
    outside = [
        u for u in visit.requests if not u.startswith((live_server.base_url, "data:", "blob:"))
    ]
    assert outside == [], f"页面请求了外部地址：{outside}"


def chart_drawn(page: Any, selector: str) -> None:
    """The ECharts chart in ``selector`` was drawn onto a canvas of a sensible size."""
    page.wait_for_selector(f"{selector}[data-chart-ready='1'] canvas", timeout=10_000)
    box = page.locator(f"{selector} canvas").first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
