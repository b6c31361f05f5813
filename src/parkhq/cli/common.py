"""Shared CLI plumbing: settings, database, error exit, output formats."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel

from parkhq.errors import ParkHQError
from parkhq.settings import Settings, get_settings
from parkhq.store.db import Database

__all__ = ["OutputFormat", "database", "emit_json", "exits_on_error", "load_settings"]

P = ParamSpec("P")
R = TypeVar("R")
EXIT_USER_ERROR = 2


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


def load_settings() -> Settings:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings


@contextmanager
def database(settings: Settings | None = None) -> Iterator[Database]:
    db = Database.from_settings(settings or load_settings())
    try:
        yield db
    finally:
        db.dispose()


def exits_on_error(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`ParkHQError` into its Chinese message on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ParkHQError as exc:
            typer.echo(f"错误：{exc.message}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from exc

    return wrapper


def emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
    else:
        typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
