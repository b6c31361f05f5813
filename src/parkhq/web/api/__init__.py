"""JSON API routers, mounted under ``/api/v1``. A new capability adds its router here."""

from parkhq.web.api import admin, auth, enterprises, imports, parks, reference, stats

ROUTERS = [
    auth.router,
    stats.router,
    parks.router,
    enterprises.router,
    reference.router,
    imports.router,
    admin.router,
]

__all__ = ["ROUTERS"]
