"""Chinese HTML pages. Each module has a router and registers its navigation entries."""

from parkhq.web.pages import admin, auth, enterprises, home, imports, parks

ROUTERS = [
    auth.router,
    home.router,
    parks.router,
    enterprises.router,
    imports.router,
    admin.router,
]

__all__ = ["ROUTERS"]
