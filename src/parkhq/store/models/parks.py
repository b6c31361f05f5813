"""Parks, enterprises, their labels, land parcels, monthly period reports and chains.

Units are in the column names: 万元 (``*_10k`` is not used; money columns are 万元 by contract),
亩 (``area_mu``), 公顷 (``area_ha``), tce, 万千瓦时, 吨, 人. Codes are strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parkhq.store.models.base import Base, TimestampMixin, utcnow

__all__ = [
    "M2_PER_MU",
    "Chain",
    "ChainMembership",
    "Enterprise",
    "EnterpriseLabel",
    "ImportBatch",
    "ImportChange",
    "LandParcel",
    "Park",
    "PeriodReport",
]

M2_PER_MU = 10_000 / 15
"""Square metres in one 亩 (666.67 m²)."""


class Park(TimestampMixin, Base):
    """A development zone / industrial park (开发区 / 园区), keyed by its catalogue code."""

    __tablename__ = "park"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))  # 国家级 / 省级 / 其他
    approval_authority: Mapped[str] = mapped_column(String(32), default="")  # 国务院 / 省政府
    type: Mapped[str] = mapped_column(String(32))  # 经开区 / 高新区 / 工业园区 …
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    city_code: Mapped[str | None] = mapped_column(String(6), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    city_name: Mapped[str] = mapped_column(String(64), default="")  # as the catalogue writes it
    approved_on: Mapped[str] = mapped_column(String(16), default="")  # catalogue's YYYY.MM
    area_ha: Mapped[float | None] = mapped_column(Float)
    declared_industries: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)  # last import that wrote it

    enterprises: Mapped[list[Enterprise]] = relationship(back_populates="park")


class Enterprise(TimestampMixin, Base):
    """A firm, keyed by its 统一社会信用代码 (GB 32100)."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    park_id: Mapped[int | None] = mapped_column(ForeignKey("park.id"), index=True)
    industry_code: Mapped[str | None] = mapped_column(ForeignKey("industry.code"), index=True)
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    city_code: Mapped[str | None] = mapped_column(String(6), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    founded_on: Mapped[date | None] = mapped_column(Date)
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False)
    size_class: Mapped[str | None] = mapped_column(String(8))  # 大型 / 中型 / 小型 / 微型
    products: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    park: Mapped[Park | None] = relationship(back_populates="enterprises")
    labels: Mapped[list[EnterpriseLabel]] = relationship(
        cascade="all, delete-orphan", order_by="EnterpriseLabel.label"
    )


class EnterpriseLabel(Base):
    """高新技术企业 / 专精特新 / 小巨人 / 单项冠军 …, with the date it was granted when known."""

    __tablename__ = "enterprise_label"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_on: Mapped[date | None] = mapped_column(Date)


class LandParcel(TimestampMixin, Base):
    """A land parcel in a park, with its supply mode (出让/长期租赁/先租后让/弹性年期出让/划拨)."""

    __tablename__ = "land_parcel"

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_code: Mapped[str] = mapped_column(String(32), unique=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("park.id"), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    area_mu: Mapped[float] = mapped_column(Float)
    supply_mode: Mapped[str] = mapped_column(String(16))
    start_on: Mapped[date | None] = mapped_column(Date)
    term_years: Mapped[float | None] = mapped_column(Float)
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(8), default="在用")  # 在用/在建/闲置/低效
    industrial_upstairs: Mapped[bool] = mapped_column(  # 工业上楼 (multi-storey industry)
        Boolean, default=False, server_default=false()
    )
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    @property
    def floor_area_ratio(self) -> float | None:
        """容积率 = 建筑面积 / 用地面积 (1 亩 = 666.67 m²); None without floor area or land."""
        if self.floor_area_m2 is None or not self.area_mu or self.area_mu <= 0:
            return None
        return self.floor_area_m2 / (self.area_mu * M2_PER_MU)


class PeriodReport(Base):
    """An enterprise's monthly report (报告期 ``YYYY-MM``); values for the month, not 累计."""

    __tablename__ = "period_report"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "period"),
        Index("ix_period_report_period", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    output_value: Mapped[float | None] = mapped_column(Float)  # 工业总产值 万元
    revenue: Mapped[float | None] = mapped_column(Float)  # 营业收入 万元
    value_added: Mapped[float | None] = mapped_column(Float)  # 工业增加值 万元
    tax: Mapped[float | None] = mapped_column(Float)  # 税收 万元
    profit: Mapped[float | None] = mapped_column(Float)  # 利润总额 万元
    energy_tce: Mapped[float | None] = mapped_column(Float)  # 综合能耗 吨标准煤
    electricity: Mapped[float | None] = mapped_column(Float)  # 用电量 万千瓦时
    emission_t: Mapped[float | None] = mapped_column(Float)  # 主要污染物排放量 吨
    employees: Mapped[int | None] = mapped_column(Integer)  # 从业人员 人
    rd_expense: Mapped[float | None] = mapped_column(Float)  # 研发经费支出 万元
    export_value: Mapped[float | None] = mapped_column(Float)  # 出口交货值 万元
    investment: Mapped[float | None] = mapped_column(Float)  # 固定资产投资 万元
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Chain(TimestampMixin, Base):
    """An industrial chain run by a chain office (链长制), e.g. 新能源汽车 in one province."""

    __tablename__ = "chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    province_code: Mapped[str | None] = mapped_column(String(6))
    description: Mapped[str] = mapped_column(Text, default="")


class ChainMembership(Base):
    """Enterprise ↔ chain (node-level membership arrives with the chain capability)."""

    __tablename__ = "chain_membership"

    chain_id: Mapped[int] = mapped_column(
        ForeignKey("chain.id", ondelete="CASCADE"), primary_key=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="成员")  # 链主 / 成员


class ImportBatch(Base):
    """One import of one sheet: who, when, which file (SHA-256), what it did; undoable."""

    __tablename__ = "import_batch"
    __audited__: ClassVar[bool] = False  # audited explicitly, one row per batch

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    sheet: Mapped[str] = mapped_column(String(64), default="")
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16))  # committed / rejected / undone
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    undone_at: Mapped[datetime | None] = mapped_column()
    undone_by: Mapped[str | None] = mapped_column(String(64))


class ImportChange(Base):
    """The value a row had before an import updated it (for undo)."""

    __tablename__ = "import_change"
    __audited__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    entity: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(String(64))
    before: Mapped[str] = mapped_column(Text)  # JSON of the row's columns
