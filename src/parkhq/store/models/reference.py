"""Reference tables: GB/T 2260 regions, GB/T 4754-2017 industries, named industry categories."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parkhq.store.models.base import Base

__all__ = ["Industry", "IndustryCategory", "IndustryCategoryCode", "Region"]


class Region(Base):
    """A GB/T 2260 administrative division (6-digit code)."""

    __tablename__ = "region"
    __audited__: ClassVar[bool] = False

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # province / prefecture / county
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True)


class Industry(Base):
    """A GB/T 4754-2017 industry at any of its four levels (section letter, 2/3/4 digits)."""

    __tablename__ = "industry"
    __audited__: ClassVar[bool] = False

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))  # section / division / group / class
    parent_code: Mapped[str | None] = mapped_column(String(4), index=True)
    tags: Mapped[str] = mapped_column(String(256), default="")  # '|'-separated


class IndustryCategory(Base):
    """A named industry category used in park plans (电子信息, 装备制造 …)."""

    __tablename__ = "industry_category"
    __audited__: ClassVar[bool] = False

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="manufacturing")
    version: Mapped[str] = mapped_column(String(32), default="")


class IndustryCategoryCode(Base):
    """Category → GB/T 4754 code (any level)."""

    __tablename__ = "industry_category_code"
    __audited__: ClassVar[bool] = False

    category_name: Mapped[str] = mapped_column(
        ForeignKey("industry_category.name", ondelete="CASCADE"), primary_key=True
    )
    industry_code: Mapped[str] = mapped_column(String(4), primary_key=True)
