"""Core commands: ``db upgrade``, ``serve``, ``user add``, ``stats``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from parkhq.cli.common import OutputFormat, database, emit_json, exits_on_error, load_settings
from parkhq.services import access, stats
from parkhq.services.reference import load_reference

__all__ = ["register"]

db_app = typer.Typer(help="数据库：迁移与参考数据", no_args_is_help=True)
user_app = typer.Typer(help="用户管理", no_args_is_help=True)


@db_app.command("upgrade")
@exits_on_error
def db_upgrade(
    reference: Annotated[
        bool, typer.Option(help="同时载入参考数据（行业、区划、产业类别）")
    ] = True,
) -> None:
    """创建或迁移数据库到最新版本，并载入角色与参考数据。"""
    with database() as db:
        db.upgrade()
        access.seed_roles(db)
        counts = load_reference(db) if reference else {}
    typer.echo("数据库已是最新版本" + (f"；新增参考数据：{counts}" if counts else ""))


@user_app.command("add")
@exits_on_error
def user_add(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[
        str,
        typer.Option(help="角色：" + "、".join(f"{k}={v.name}" for k, v in access.ROLES.items())),
    ],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="密码（至少 8 位）")],
    scope: Annotated[list[str] | None, typer.Option(help="权限范围代码，可重复")] = None,
    display_name: Annotated[str, typer.Option(help="姓名")] = "",
) -> None:
    """新建用户。"""
    with database() as db:
        uid = access.create_user(
            db,
            access.system_principal("cli"),
            username=username,
            password=password,
            role=role,
            scope_codes=scope or [],
            display_name=display_name,
        )
    typer.echo(f"已创建用户 {username}（编号 {uid}，角色 {access.ROLES[role].name}）")


@exits_on_error
def stats_command(
    format: Annotated[
        OutputFormat, typer.Option("--format", help="json 或 table")
    ] = OutputFormat.table,
) -> None:
    """数据概况：园区、企业、地块、月报行数、覆盖月份。"""
    with database() as db:
        result = stats.stats(db, access.system_principal("cli"))
    if format is OutputFormat.json:
        emit_json(result)
        return
    table = Table(title="ParkHQ 数据概况")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    labels = {
        "parks": "园区",
        "enterprises": "企业",
        "above_scale_enterprises": "规上企业",
        "parcels": "地块",
        "report_rows": "月报行数",
        "months_covered": "覆盖月份",
        "first_period": "最早报告期",
        "last_period": "最新报告期",
    }
    for key, label in labels.items():
        value = getattr(result, key)
        table.add_row(label, "—" if value is None else str(value))
    Console().print(table)


@exits_on_error
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
) -> None:
    """启动 Web 应用。"""
    import uvicorn

    from parkhq.web import create_app

    settings = load_settings()
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="info")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.command("stats")(stats_command)
    app.command("serve")(serve)
