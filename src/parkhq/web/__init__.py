"""The web layer: JSON API under ``/api/v1`` and Chinese HTML pages, built by :func:`create_app`."""

from parkhq.web.app import create_app

__all__ = ["create_app"]
