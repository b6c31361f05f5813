"""Authorisation-matrix parameters of the 特色化 routes.

Every 特色化 route with a path parameter uses ``{park_code}`` (``/api/v1/industries/parks/
{park_code}/profile``, ``/industries/parks/{park_code}``), already registered by the matrix as
the world's outside park; the overview, catalogue and CSV routes take query parameters only and
default to the user's own province. So nothing new is registered here, and the matrix walks
these routes with the outside park. The finer check — a park user sees no neighbour by name or
code in the overview, the profile and its 延链 explanations — is in
``tests/web/test_industries_api.py`` on the demo province.
"""

from __future__ import annotations

from collections.abc import Callable

from factories import World
from parkhq.store.db import Database

PARAMS: dict[str, Callable[[World, Database], str]] = {}
