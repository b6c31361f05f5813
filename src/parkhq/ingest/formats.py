"""The four ParkHQ exchange formats: 企业月报, 企业名录, 园区名录, 用地.

Each format is a tuple of :class:`FieldSpec` (English name, Chinese header with unit, type,
required, allowed values, bounds, description, example) plus its natural key. This module is the
one place that says what a column means; readers, checks, templates and docs/data-formats.md all
follow it.

A column is recognised by its Chinese header (``工业总产值(万元)``; full-width parentheses
``（万元）`` and spaces are tolerated), by the header without its unit (``工业总产值``), by a listed
alias, or by the English field name (``output_value``). A header naming a different unit
(``工业总产值(元)``) is a unit mismatch, never silently accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from parkhq.errors import InvalidInput

__all__ = [
    "ALL_SHEETS_ORDER",
    "FORMATS",
    "LABELS",
    "STATUSES",
    "SUPPLY_MODES",
    "CodeKind",
    "ColumnMatch",
    "ExchangeFormat",
    "FieldSpec",
    "FieldType",
    "detect_kind",
    "get_format",
    "match_columns",
    "normalise_header",
]

FieldType = Literal["str", "int", "float", "date", "period", "bool", "code", "labels"]
CodeKind = Literal["uscc", "industry", "region", "park", "park_catalogue", "parcel"]

SUPPLY_MODES: tuple[str, ...] = ("出让", "长期租赁", "先租后让", "弹性年期出让", "划拨")
STATUSES: tuple[str, ...] = ("在用", "在建", "闲置", "低效")
LABELS: tuple[str, ...] = ("高新技术企业", "专精特新", "小巨人", "单项冠军")
YES_NO: tuple[str, ...] = ("是", "否")

_TYPE_NAMES: dict[str, str] = {
    "str": "文本",
    "int": "整数",
    "float": "数值",
    "date": "日期（YYYY-MM-DD）",
    "period": "年月（YYYY-MM）",
    "bool": "是/否",
    "code": "代码（文本）",
    "labels": "标签（多个用“；”分隔）",
}


@dataclass(frozen=True)
class FieldSpec:
    """One column of an exchange format.

    ``minimum``/``maximum`` bound numbers (``positive`` makes the minimum exclusive, so 0 is
    refused); ``not_future`` refuses dates and periods after today.
    """

    name: str
    header: str
    type: FieldType
    required: bool = False
    unit: str | None = None
    code: CodeKind | None = None
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    positive: bool = False
    maximum: float | None = None
    not_future: bool = False
    description: str = ""
    example: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def base_header(self) -> str:
        """The header without its unit: ``工业总产值(万元)`` → ``工业总产值``."""
        return _split_unit(normalise_header(self.header))[0]

    @property
    def type_name(self) -> str:
        """The type in Chinese, as shown in templates and docs."""
        return _TYPE_NAMES[self.type]

    @property
    def is_text(self) -> bool:
        """Whether the column must be kept as text in Excel (codes, periods, free text)."""
        return self.type in ("str", "code", "period", "labels", "bool")


@dataclass(frozen=True)
class ExchangeFormat:
    """An exchange format: its kind, Chinese title (also the sheet name), natural key and fields."""

    kind: str
    title: str
    key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    description: str = ""

    @property
    def sheet_name(self) -> str:
        return self.title

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise InvalidInput(
            f"「{self.title}」没有字段「{name}」", detail={"kind": self.kind, "field": name}
        )

    @property
    def required(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)


def _money(name: str, header: str, description: str, example: str, **kw: object) -> FieldSpec:
    params: dict[str, object] = {"minimum": 0.0}
    params.update(kw)
    return FieldSpec(
        name=name,
        header=header,
        type="float",
        unit="万元",
        description=description,
        example=example,
        **params,  # type: ignore[arg-type]
    )


_USCC_EXAMPLE = "91330106MA2H00001E"

MONTHLY_REPORT = ExchangeFormat(
    kind="monthly_report",
    title="企业月报",
    key=("uscc", "period"),
    description="企业按月报送的经营、能耗、排放、用工等数据；每家企业每月一行。",
    fields=(
        FieldSpec(
            "uscc",
            "统一社会信用代码",
            "code",
            required=True,
            code="uscc",
            description="企业的 18 位统一社会信用代码（GB 32100）",
            example=_USCC_EXAMPLE,
        ),
        FieldSpec(
            "name",
            "企业名称",
            "str",
            description="企业全称，用于核对",
            example="杭州某某科技有限公司",
        ),
        FieldSpec(
            "period",
            "报告期",
            "period",
            required=True,
            not_future=True,
            description="报告所属年月，也接受 2024/03、202403、2024年3月",
            example="2024-03",
        ),
        _money("output_value", "工业总产值(万元)", "当月工业总产值（当年价格）", "1250.5"),
        _money("revenue", "营业收入(万元)", "当月营业收入", "1180"),
        _money("value_added", "工业增加值(万元)", "当月工业增加值，可为负", "310.2", minimum=None),
        _money("tax", "税收(万元)", "当月实缴税金合计", "45.3"),
        _money("profit", "利润总额(万元)", "当月利润总额，亏损填负数", "-12.5", minimum=None),
        FieldSpec(
            "energy_tce",
            "综合能耗(吨标准煤)",
            "float",
            unit="吨标准煤",
            minimum=0.0,
            description="当月综合能源消费量（等价值）",
            example="86.4",
        ),
        FieldSpec(
            "electricity",
            "用电量(万千瓦时)",
            "float",
            unit="万千瓦时",
            minimum=0.0,
            description="当月用电量",
            example="52.8",
        ),
        FieldSpec(
            "emission_t",
            "主要污染物排放量(吨)",
            "float",
            unit="吨",
            minimum=0.0,
            description="当月化学需氧量、氨氮、二氧化硫、氮氧化物排放量合计",
            example="0.8",
        ),
        FieldSpec(
            "employees",
            "从业人员(人)",
            "int",
            unit="人",
            minimum=0.0,
            description="月末从业人员数",
            example="230",
        ),
        _money("rd_expense", "研发经费支出(万元)", "当月研究与试验发展经费支出", "60"),
        _money("export_value", "出口交货值(万元)", "当月出口交货值", "200"),
        _money("investment", "固定资产投资(万元)", "当月完成固定资产投资", "500"),
    ),
)

ENTERPRISE_REGISTRY = ExchangeFormat(
    kind="enterprise_registry",
    title="企业名录",
    key=("uscc",),
    description="园区内企业的基本信息；每家企业一行。",
    fields=(
        FieldSpec(
            "uscc",
            "统一社会信用代码",
            "code",
            required=True,
            code="uscc",
            description="企业的 18 位统一社会信用代码（GB 32100）",
            example=_USCC_EXAMPLE,
        ),
        FieldSpec(
            "name",
            "企业名称",
            "str",
            required=True,
            description="企业全称",
            example="杭州某某科技有限公司",
        ),
        FieldSpec(
            "park_code",
            "园区代码",
            "code",
            required=True,
            code="park",
            description="企业所在园区的代码（开发区目录代码，如 S119003）",
            example="S119003",
        ),
        FieldSpec(
            "industry_code",
            "行业代码",
            "code",
            required=True,
            code="industry",
            description="国民经济行业分类（GB/T 4754-2017）代码，宜填 4 位小类，保留前导零",
            example="3011",
        ),
        FieldSpec(
            "founded_on",
            "成立日期",
            "date",
            not_future=True,
            description="营业执照上的成立日期",
            example="2015-06-18",
        ),
        FieldSpec(
            "above_scale",
            "是否规上",
            "bool",
            allowed=YES_NO,
            description="是否为规模以上工业企业",
            example="是",
        ),
        FieldSpec(
            "labels",
            "企业标签",
            "labels",
            allowed=LABELS,
            description="企业资质标签，多个用“；”分隔",
            example="高新技术企业；专精特新",
        ),
        FieldSpec(
            "products",
            "主营产品",
            "str",
            description="主要产品，多个用“、”分隔",
            example="工业机器人、伺服电机",
        ),
        FieldSpec(
            "region_code",
            "区划代码",
            "code",
            code="region",
            description="企业注册地的县级行政区划代码（GB/T 2260，6 位）",
            example="330106",
        ),
    ),
)

PARK_REGISTRY = ExchangeFormat(
    kind="park_registry",
    title="园区名录",
    key=("code",),
    description="开发区名录，列与《中国开发区审核公告目录》一致，可直接导入目录原表。",
    fields=(
        FieldSpec("seq", "序号", "int", minimum=0.0, description="目录中的序号", example="3"),
        FieldSpec(
            "code",
            "代码",
            "code",
            required=True,
            code="park_catalogue",
            description="目录代码：首字母 G 国家级 / S 省级，第 2–3 位为省级区划代码",
            example="S119003",
            aliases=("园区代码", "开发区代码"),
        ),
        FieldSpec(
            "name",
            "开发区名称",
            "str",
            required=True,
            description="开发区全称",
            example="北京房山工业园区",
            aliases=("园区名称",),
        ),
        FieldSpec("province", "省份", "str", description="所在省级行政区", example="北京市"),
        FieldSpec(
            "city", "城市/区县", "str", description="所在城市或区县（目录原文）", example="房山"
        ),
        FieldSpec(
            "level", "批准级别", "str", description="批准机关，如 国务院、省政府", example="省政府"
        ),
        FieldSpec(
            "type",
            "开发区类型",
            "str",
            description="如 经济技术开发区、高新技术产业开发区、工业园区",
            example="工业园区",
        ),
        FieldSpec(
            "approved_on",
            "批准时间",
            "period",
            not_future=True,
            description="批准年月，目录写法 2006.03 会规范为 2006-03",
            example="2006.03",
        ),
        FieldSpec(
            "area_ha",
            "核准面积_公顷",
            "float",
            unit="公顷",
            minimum=0.0,
            positive=True,
            description="核准面积",
            example="241.43",
            aliases=("核准面积(公顷)",),
        ),
        FieldSpec(
            "declared_industries",
            "主导产业",
            "str",
            description="目录登记的主导产业，原文保留（如 汽车及零部件、电子信息）",
            example="互联网金融、智能装备、新材料",
        ),
    ),
)

LAND_PARCELS = ExchangeFormat(
    kind="land_parcels",
    title="用地",
    key=("parcel_code",),
    description="园区内的工业用地地块；每个地块一行。",
    fields=(
        FieldSpec(
            "parcel_code",
            "地块编码",
            "code",
            required=True,
            code="parcel",
            description="地块的唯一编码（不动产单元号或园区自编号）",
            example="330106-GY-0012",
        ),
        FieldSpec(
            "park_code",
            "园区代码",
            "code",
            required=True,
            code="park",
            description="地块所在园区的代码",
            example="S119003",
        ),
        FieldSpec(
            "holder_uscc",
            "统一社会信用代码",
            "code",
            code="uscc",
            description="用地单位的统一社会信用代码；未供地可留空",
            example=_USCC_EXAMPLE,
        ),
        FieldSpec(
            "area_mu",
            "面积(亩)",
            "float",
            required=True,
            unit="亩",
            minimum=0.0,
            positive=True,
            description="地块面积",
            example="35.2",
        ),
        FieldSpec(
            "supply_mode",
            "供地方式",
            "str",
            allowed=SUPPLY_MODES,
            description="土地供应方式",
            example="出让",
        ),
        FieldSpec(
            "start_on", "起始日期", "date", description="出让或租赁起始日期", example="2018-05-01"
        ),
        FieldSpec(
            "term_years",
            "年限(年)",
            "int",
            unit="年",
            minimum=0.0,
            positive=True,
            maximum=70.0,
            description="出让或租赁年限（工业用地最长 50 年）",
            example="50",
        ),
        FieldSpec(
            "floor_area_m2",
            "建筑面积(平方米)",
            "float",
            unit="平方米",
            minimum=0.0,
            description="地上建筑面积",
            example="42000",
        ),
        FieldSpec(
            "status",
            "状态",
            "str",
            required=True,
            allowed=STATUSES,
            description="地块当前利用状态",
            example="在用",
        ),
    ),
)

FORMATS: dict[str, ExchangeFormat] = {
    fmt.kind: fmt for fmt in (MONTHLY_REPORT, ENTERPRISE_REGISTRY, PARK_REGISTRY, LAND_PARCELS)
}

ALL_SHEETS_ORDER: tuple[str, ...] = (
    "park_registry",
    "enterprise_registry",
    "land_parcels",
    "monthly_report",
)
"""The order a workbook's sheets are validated and stored in: referenced data first."""


def get_format(kind: str) -> ExchangeFormat:
    """The format for ``kind`` (English kind or its Chinese title); raises ``InvalidInput``."""
    if kind in FORMATS:
        return FORMATS[kind]
    for fmt in FORMATS.values():
        if kind.strip() == fmt.title:
            return fmt
    choices = "、".join(f"{k}（{f.title}）" for k, f in FORMATS.items())
    raise InvalidInput(
        f"未知的数据类型「{kind}」：应为 {choices}",
        detail={"kind": kind, "expected": list(FORMATS)},
    )


_SPACES = re.compile(r"\s+")
_UNIT = re.compile(r"^(?P<base>.+?)(?:\((?P<p>[^()]*)\)|_(?P<u>[^_()]+))$")


def normalise_header(text: object) -> str:
    """Canonical form of a header: NFKC (full-width → half-width), no spaces, lower case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    return _SPACES.sub("", value).lower()


def _split_unit(header: str) -> tuple[str, str | None]:
    match = _UNIT.match(header)
    if match is None:
        return header, None
    unit = match.group("p") if match.group("p") is not None else match.group("u")
    return match.group("base"), unit


@dataclass(frozen=True)
class ColumnMatch:
    """How a sheet's header row maps onto a format.

    ``columns`` maps a field name to its column index (0-based); ``unknown`` lists indexes of
    columns no field claims; ``duplicates`` lists ``(index, field)`` for a field's second column;
    ``unit_mismatch`` lists ``(index, field)`` for a header naming another unit.
    """

    kind: str
    columns: dict[str, int]
    unknown: tuple[int, ...] = ()
    duplicates: tuple[tuple[int, str], ...] = ()
    unit_mismatch: tuple[tuple[int, str], ...] = ()
    blank: tuple[int, ...] = field(default=())

    @property
    def score(self) -> int:
        return len(self.columns) + len(self.unit_mismatch)


def _lookup(fmt: ExchangeFormat) -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    base: dict[str, str] = {}
    for spec in fmt.fields:
        for text in (spec.header, spec.name, *spec.aliases):
            exact[normalise_header(text)] = spec.name
        base[spec.base_header] = spec.name
    return exact, base


def match_columns(headers: Sequence[object], kind: str) -> ColumnMatch:
    """Map ``headers`` (as the user wrote them) onto the fields of ``kind``."""
    fmt = get_format(kind)
    exact, base = _lookup(fmt)
    columns: dict[str, int] = {}
    unknown: list[int] = []
    blank: list[int] = []
    duplicates: list[tuple[int, str]] = []
    mismatch: list[tuple[int, str]] = []
    for index, header in enumerate(headers):
        text = normalise_header(header)
        if not text:
            blank.append(index)
            continue
        name = exact.get(text)
        wrong_unit = False
        if name is None:
            stem, unit = _split_unit(text)
            name = base.get(text) or base.get(stem)
            if name is not None and unit is not None and text not in base:
                expected = fmt.field(name).unit
                wrong_unit = expected is not None and normalise_header(expected) != unit
        if name is None:
            unknown.append(index)
        elif wrong_unit:
            mismatch.append((index, name))
        elif name in columns:
            duplicates.append((index, name))
        else:
            columns[name] = index
    return ColumnMatch(
        kind=fmt.kind,
        columns=columns,
        unknown=tuple(unknown),
        duplicates=tuple(duplicates),
        unit_mismatch=tuple(mismatch),
        blank=tuple(blank),
    )


def detect_kind(headers: Iterable[object]) -> str | None:
    """The kind whose fields best match ``headers`` (at least two columns), or None if unclear."""
    row = list(headers)
    scores = sorted(((match_columns(row, kind).score, kind) for kind in FORMATS), reverse=True)
    best_score, best_kind = scores[0]
    if best_score < 2 or best_score == scores[1][0]:
        return None
    return best_kind
