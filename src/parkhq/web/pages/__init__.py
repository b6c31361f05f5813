"""Chinese HTML pages. Every module of this package that defines ``router`` is included (in
module-name order); each registers its navigation entries with :func:`parkhq.web.nav.register_nav`.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter


def _routers() -> list[APIRouter]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


ROUTERS = _routers()

__all__ = ["ROUTERS"]
