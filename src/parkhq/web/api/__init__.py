"""JSON API routers, mounted under ``/api/v1``.

Every module of this package that defines ``router`` is included (in module-name order), so a
new capability adds its router by adding its module; the authorisation matrix test then walks
its routes automatically.
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
