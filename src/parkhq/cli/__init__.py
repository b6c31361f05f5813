"""The ``parkhq`` command line. Thin: parse, call one service, render.

Command groups live in sibling modules (``parkhq <group> …``); the core commands (db, serve,
user, stats) are in :mod:`parkhq.cli.core`.
"""

from __future__ import annotations

import typer

from parkhq.cli import analyze, catalogue, core, demo, imports, land, reference, template

app = typer.Typer(
    name="parkhq",
    help="ParkHQ 工业园区高质量发展平台 命令行工具",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
core.register(app)
app.add_typer(reference.app, name="reference")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(template.app, name="template")
app.command("import")(imports.import_command)
app.add_typer(imports.app, name="imports")
app.add_typer(demo.app, name="demo")
app.add_typer(land.app, name="land")
app.add_typer(analyze.app, name="analyze")


def main() -> None:
    app()


__all__ = ["app", "main"]
