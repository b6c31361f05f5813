"""A real server (uvicorn on a free loopback port, SQLite) and Debian's Chromium via Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from factories import World, build_world
from parkhq.services import access
from parkhq.services.reference import load_reference
from parkhq.settings import Settings
from parkhq.store.db import Database

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@dataclass
class LiveServer:
    base_url: str
    world: World
    db: Database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from parkhq.web import create_app

    path: Path = tmp_path_factory.mktemp("e2e") / "parkhq.db"
    settings = Settings(
        environment="test", database_url=f"sqlite:///{path}", secret_key="e2e-secret"
    )
    db = Database(settings.database_url)
    db.upgrade()
    access.seed_roles(db)
    load_reference(db)
    world = build_world(db)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", world, db)
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("需要 Debian chromium（apt-get install chromium）；.ci/run 会安装它")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Visit:
    """A browser page that records every request it makes."""

    page: object
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser, live_server) -> Iterator[Visit]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    v = Visit(page)
    page.on("request", lambda r: v.requests.append(r.url))
    yield v
    context.close()
