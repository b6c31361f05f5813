"""Firm measures summed once per unit × GB/T 4754 class: the shared input of the 特色化 analyses.

Every 特色化 analysis (structure, leading industries, homogeneity, complexity) is a sum over
firms followed by work on park × industry totals. Summing a million firm rows again for each
analysis and each aggregation level costs more than the analyses themselves, so the service sums
them once into an :class:`IndustryCube` and hands the cube to every analysis in place of the
firm frame: :func:`parkhq.analysis.structure.aggregate` and the functions built on it accept
either and return the same frames.

A *unit* is a park (``park_code``) with its attributes (by default ``province_code`` and
``city_code``, which must be the same for all firms of a park); firms outside any park (null
``park_code``) form one unit per distinct combination of the attributes. The cube holds, for each
unit and each 4-digit class present, the sum of every measure (null measures add nothing) and
the number of firms, as dense ``numpy`` arrays (3,000 parks × 1,382 classes = 33 MB per measure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

import numpy as np
import polars as pl
import scipy.sparse as sp
from numpy.typing import NDArray

from parkhq.analysis.structure import (
    INDUSTRY,
    MEASURES,
    Level,
    check_class_codes,
    industry_level_map,
    require_columns,
    require_numeric,
)
from parkhq.errors import InvalidInput

__all__ = ["UNIT", "Grouped", "IndustryCube", "ParkMatrix", "park_matrix"]

UNIT = "park_code"
"""The unit column of a cube: a park code, null for firms outside any park."""

_ATTRIBUTES = ("province_code", "city_code")


_CLASS_SPACE = 10_000
"""Every 4-digit class code read as a number: 0000–9999."""


_CHUNK = 1 << 16
"""Most rows per step of the per-row loops: their temporaries stay small and are reused, since
touching fresh memory costs more here than the arithmetic."""


def _class_numbers() -> pl.Expr:
    """Each row's class code as a number, null unless it is exactly 4 ASCII digits.

    Four bytes that parse as an unsigned integer are four digits or a ``+`` and three digits
    (a sign is the only other thing the parser takes): a cast and two byte checks, half the
    cost of a regular expression or a lookup among all 10,000 codes.
    """
    code = pl.col("industry_code")
    digits = (code.str.len_bytes() == 4) & ~code.str.starts_with("+")
    return pl.when(digits).then(code.cast(pl.UInt16, strict=False))


def _row_columns(
    firms: pl.DataFrame, measures: list[str], hashed: list[str], register: pl.Series | None
) -> pl.DataFrame:
    """Per firm row, in one (parallel) pass: ``_class`` (the class code as a number, null when
    malformed), ``_park`` (0 outside parks; else 1 + the code's position in ``register``, 0 too
    when it is not there, or without a register 1 + a categorical code), ``_hash`` (of the
    ``hashed`` attribute values, when there are any) and the measures (nulls as 0)."""
    park = pl.col(UNIT).cast(pl.String)
    if register is None:
        park = park.cast(pl.Categorical)
    else:
        park = park.cast(pl.Enum(register), strict=False)
    return firms.select(
        _class_numbers().alias("_class"),
        (park.to_physical().cast(pl.UInt32) + 1).fill_null(0).alias("_park"),
        *([_hash(hashed).alias("_hash")] if hashed else []),
        *(pl.col(m).cast(pl.Float64).fill_null(0.0) for m in measures),
    )


def _hash(columns: list[str]) -> pl.Expr:
    """A 64-bit hash of the values of ``columns`` (each hashed, then mixed: cheaper than the
    hash of a struct)."""
    mixed = pl.col(columns[0]).hash()
    for name in columns[1:]:
        mixed = mixed * pl.lit(0x9E3779B97F4A7C15, dtype=pl.UInt64) + pl.col(name).hash()
    return mixed


def _slices(rows: pl.DataFrame) -> Iterator[tuple[int, dict[str, NDArray[Any]]]]:
    """The frame in consecutive slices of at most :data:`_CHUNK` rows within its chunks (so
    read without copying): the first row of each and its columns as arrays."""
    start = 0
    for length in rows.get_column(rows.columns[0]).chunk_lengths() if rows.width else []:
        for offset in range(0, length, _CHUNK):
            part = rows.slice(start + offset, min(_CHUNK, length - offset))
            yield start + offset, {name: part.get_column(name).to_numpy() for name in part.columns}
        start += length


def _class_index(firms: pl.DataFrame, rows: pl.DataFrame) -> tuple[pl.Series, NDArray[np.intp]]:
    """The classes present (sorted) and a table from a row's ``_class`` to their position.

    Raises :class:`~parkhq.errors.InvalidInput` (with examples) for a null or malformed code.
    """
    if rows.get_column("_class").null_count():
        check_class_codes(firms.select("industry_code"))
    found = np.flatnonzero(
        np.bincount(rows.get_column("_class").to_numpy(), minlength=_CLASS_SPACE)
    )
    table = np.zeros(_CLASS_SPACE, dtype=np.intp)
    table[found] = np.arange(found.size)
    classes = pl.Series("industry_code", [f"{code:04d}" for code in found], dtype=pl.String)
    return classes, table


@dataclass(frozen=True)
class _Parks:
    """The parks with firms: ``units`` (``park_code`` and the attributes, sorted by code),
    ``table`` from a row's ``_park`` to the park's position (outside parks, ``_park`` 0: the
    number of parks) and, when firms' own attributes are checked, ``expected``: the attribute
    hash of each park's first firm (one more entry, 0, for the rows outside parks)."""

    units: pl.DataFrame
    table: NDArray[np.intp]
    expected: NDArray[np.uint64] | None = None

    @property
    def codes(self) -> pl.Series:
        return self.units.get_column(UNIT)

    @classmethod
    def of_firms(cls, firms: pl.DataFrame, rows: pl.DataFrame, attributes: list[str]) -> _Parks:
        """The parks named by the firms, each with its first firm's attributes."""
        physical = rows.get_column("_park")
        first = physical.arg_unique()
        codes = physical.gather(first).to_numpy()
        at = first.to_numpy()[codes != 0]
        codes = codes[codes != 0]
        names = firms.get_column(UNIT).cast(pl.String).gather(at)
        order = names.arg_sort().to_numpy()
        table = np.full(int(codes.max(initial=0)) + 1, order.size, dtype=np.intp)
        table[codes[order]] = np.arange(order.size)
        first_rows = at[order].astype(np.intp)
        units = pl.DataFrame({UNIT: names.gather(order)})
        expected = None
        if attributes:
            units = units.with_columns(firms.select(attributes).gather(first_rows))
            hashes = rows.get_column("_hash").gather(first_rows).to_numpy()
            expected = np.append(hashes, np.uint64(0))
        return cls(units, table, expected)

    @classmethod
    def of_register(cls, firms: pl.DataFrame, rows: pl.DataFrame, register: pl.DataFrame) -> _Parks:
        """The parks of ``register`` (sorted by code) that have firms, with its attributes.

        Raises :class:`~parkhq.errors.InvalidInput` when a firm's park is not in it.
        """
        physical = rows.get_column("_park")
        counts = np.bincount(physical.to_numpy(), minlength=register.height + 1)
        unknown = int(counts[0]) - firms.get_column(UNIT).null_count()
        if unknown:
            codes = register.get_column(UNIT)
            strays = (
                firms.select(pl.col(UNIT).cast(pl.String))
                .filter(pl.col(UNIT).is_not_null() & ~pl.col(UNIT).is_in(codes.implode()))
                .get_column(UNIT)
                .unique(maintain_order=True)
            )
            raise InvalidInput(
                f"{unknown} 家企业的园区代码不在园区名录中（例如 {strays.head(3).to_list()}）",
                detail={
                    "field": UNIT,
                    "unknown_rows": unknown,
                    "examples": strays.head(20).to_list(),
                },
            )
        listed = np.flatnonzero(counts[1:])
        table = np.full(register.height + 1, listed.size, dtype=np.intp)
        table[listed + 1] = np.arange(listed.size)
        units = register if listed.size == register.height else register[listed]
        return cls(units, table)


def _register(parks: pl.DataFrame, attributes: list[str]) -> pl.DataFrame:
    """The park register as the cube reads it: ``park_code`` and ``attributes``, one row per
    park, sorted by code. Raises :class:`~parkhq.errors.InvalidInput` for a missing column or a
    null or repeated code."""
    require_columns(parks, [UNIT, *attributes], "园区名录")
    register = parks.select(pl.col(UNIT).cast(pl.String), *attributes).sort(UNIT)
    codes = register.get_column(UNIT)
    if codes.null_count():
        raise InvalidInput(
            f"园区名录有 {codes.null_count()} 行缺少园区代码",
            detail={"field": UNIT, "null_rows": codes.null_count()},
        )
    repeated = codes.filter(codes.is_duplicated()).unique().sort()
    if repeated.len():
        raise InvalidInput(
            f"园区名录中园区代码重复：{'、'.join(repeated.head(5).to_list())}",
            detail={"field": UNIT, "repeated": repeated.head(20).to_list()},
        )
    return register


def _add_rows(
    rows: pl.DataFrame,
    parks: _Parks,
    classes: tuple[int, NDArray[np.intp]],
    outside: tuple[NDArray[np.intp], NDArray[np.int64]],
    attributes: list[str],
    sums: Mapping[str, NDArray[Any]],
) -> None:
    """Add every firm row to its cell (unit × class) of ``sums`` (column name → flat array:
    ``_count`` counts rows, a measure adds its value), a slice of rows at a time.

    A park's row's unit is the park's position; ``outside`` holds the rows outside parks
    (ascending) and the unit of each. With ``parks.expected``, refuses a park whose firms
    disagree on the attributes with its first firm (compared through a 64-bit hash of their
    values), naming the park of the first such row.
    """
    codes, table, expected = parks.codes, parks.table, parks.expected
    width, class_table = classes
    outside_rows, outside_units = outside
    cells = np.empty(min(rows.height, _CHUNK), dtype=np.intp)
    positions = np.empty_like(cells)
    seen = np.empty(cells.size, dtype=np.uint64)
    for start, part in _slices(rows):
        cell = cells[: part["_park"].size]
        table.take(part["_park"], out=cell, mode="clip")  # in range: "clip" skips a copy
        if expected is not None:
            differ = expected.take(cell, out=seen[: cell.size], mode="clip") != part["_hash"]
            if outside_rows.size:
                differ &= cell != codes.len()  # rows outside parks are not compared
            if differ.any():
                code = codes[int(cell[int(differ.argmax())])]
                raise InvalidInput(
                    f"园区 {code} 的企业对应了多个{'/'.join(attributes)}，同一园区应属于同一区划",
                    detail={"park_code": code, "attributes": attributes},
                )
        low, high = np.searchsorted(outside_rows, [start, start + cell.size])
        if high > low:
            cell[outside_rows[low:high] - start] = outside_units[low:high]
        cell *= width
        cell += class_table.take(part["_class"], out=positions[: cell.size], mode="clip")
        for name, flat in sums.items():
            np.add.at(flat, cell, 1 if name == "_count" else part[name])


@dataclass(frozen=True)
class Grouped:
    """Groups × industries totals: the dense form of an aggregate.

    ``groups`` holds the ``by`` columns, one row per group, sorted (nulls first) — no columns
    when ``by`` is empty (one group: everything); ``industries`` the codes at the level (or
    category names), sorted. ``values`` (measure → float64 groups × industries) and
    ``firm_counts`` (int64) follow them. A cell with no firm has count 0: the aggregate frame
    has a row exactly for each cell with a positive count (:meth:`cells`, row-major).
    """

    groups: pl.DataFrame
    industries: pl.Series
    values: Mapping[str, NDArray[np.float64]]
    firm_counts: NDArray[np.int64]
    dtypes: Mapping[str, pl.DataType]

    def cells(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Group rows and industry columns of the cells with firms, in row-major order."""
        rows, cols = np.nonzero(self.firm_counts)
        return rows, cols


@dataclass(frozen=True)
class IndustryCube:
    """Measures of firms summed per unit × class (see the module docstring).

    * ``units`` — one row per unit: ``park_code`` and the attribute columns; the parks first
      (sorted by code, each once), then the units of firms outside parks; row ``u`` is row ``u``
      of every array;
    * ``classes`` — the 4-digit GB/T 4754 classes present, sorted; column ``c`` of every array;
    * ``totals`` — measure → float64 array (units × classes) of summed values;
    * ``firm_counts`` — int64 array (units × classes) of firms;
    * ``dtypes`` — measure → the Polars dtype a sum of the measure has in the firm frame.
    """

    units: pl.DataFrame
    classes: pl.Series
    totals: Mapping[str, NDArray[np.float64]]
    firm_counts: NDArray[np.int64]
    dtypes: Mapping[str, pl.DataType]
    _memo: dict[tuple[Any, ...], tuple[Any, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_firms(
        cls,
        firms: pl.DataFrame,
        measures: Sequence[str] | None = None,
        *,
        attributes: Sequence[str] = _ATTRIBUTES,
        parks: pl.DataFrame | None = None,
    ) -> IndustryCube:
        """Sum the firm frame once.

        Input: ``park_code`` (null outside parks), the ``attributes`` columns, ``industry_code``
        (4-digit class) and the numeric ``measures`` (default: every column of
        :data:`~parkhq.analysis.structure.MEASURES` present).

        ``parks``, the park register (``park_code`` and the ``attributes``, one row per park),
        gives each park its attributes: a park lies in one region whatever its firms'
        registered addresses say, and the firms' own attributes are then read only outside
        parks. Without it, a park takes its first firm's attributes and every firm of the park
        must agree with them.

        Raises :class:`~parkhq.errors.InvalidInput` for a missing column, a non-numeric
        measure, an invalid class code, a park whose firms disagree on an attribute (without
        ``parks``), a firm whose park is not in ``parks``, or a null or repeated code there.
        """
        chosen = [m for m in MEASURES if m in firms.columns] if measures is None else [*measures]
        attrs = list(attributes)
        require_columns(firms, [UNIT, *attrs, "industry_code", *chosen], "企业数据")
        require_numeric(firms, chosen, "企业数据")
        if firms.schema["industry_code"] != pl.String:
            check_class_codes(firms.select("industry_code"))
        register = None if parks is None else _register(parks, attrs)
        if register is None:
            rows = _row_columns(firms, chosen, attrs, None)
            listed = _Parks.of_firms(firms, rows, attrs)
        else:
            rows = _row_columns(firms, chosen, [], register.get_column(UNIT))
            listed = _Parks.of_register(firms, rows, register)
        classes, class_table = _class_index(firms, rows)
        outside = (
            rows.get_column("_park").eq(0).arg_true().to_numpy().astype(np.intp)
            if rows.get_column("_park").min() == 0
            else np.zeros(0, dtype=np.intp)
        )
        units, regions = _units(firms, listed, attrs, outside)
        shape = (units.height, classes.len())
        # One block for every sum: counts (int64, zeros alike) in the last layer.
        block = np.zeros((len(chosen) + 1, *shape), dtype=np.float64)
        counts = block[-1].view(np.int64)
        sums = {name: block[layer].reshape(-1) for layer, name in enumerate(chosen)}
        _add_rows(
            rows,
            listed,
            (classes.len(), class_table),
            (outside, regions + listed.units.height),
            attrs,
            {"_count": counts.reshape(-1), **sums},
        )
        totals = {name: block[layer] for layer, name in enumerate(chosen)}
        dtypes = firms.head(0).select(pl.col(chosen).sum()).schema
        return cls(units, classes, totals, counts, dict(dtypes))

    def in_parks(self) -> IndustryCube:
        """The cube without the units of firms outside parks (``self`` when there are none)."""
        outside = self.units.get_column(UNIT).null_count()
        if outside == 0:
            return self
        parks = self.units.height - outside  # parks come first: views, no copy
        return IndustryCube(
            units=self.units.head(parks),
            classes=self.classes,
            totals={name: values[:parks] for name, values in self.totals.items()},
            firm_counts=self.firm_counts[:parks],
            dtypes=self.dtypes,
        )

    @property
    def columns(self) -> list[str]:
        """The firm-frame columns the cube answers for (units, ``industry_code``, measures)."""
        return [*self.units.columns, "industry_code", *self.totals]

    @property
    def height(self) -> int:
        """Number of firms summed into the cube."""
        return int(self.firm_counts.sum())

    def filter(self, *predicates: pl.Expr) -> IndustryCube:
        """The cube of the units matching ``predicates`` (expressions on the unit columns)."""
        keep = self.units.select(pl.all_horizontal(predicates).fill_null(False)).to_series()
        rows = np.flatnonzero(keep.to_numpy())
        return IndustryCube(
            units=self.units.filter(keep),
            classes=self.classes,
            totals={name: values[rows] for name, values in self.totals.items()},
            firm_counts=self.firm_counts[rows],
            dtypes=self.dtypes,
        )

    def aggregate(
        self,
        by: Sequence[str],
        level: Level,
        measure: str | Sequence[str],
        *,
        class_map: pl.DataFrame | None = None,
    ) -> pl.DataFrame:
        """The frame :func:`parkhq.analysis.structure.aggregate` returns for the same firms.

        Results are kept: the analyses of one cube ask for the same aggregates several times.
        """
        measures = [measure] if isinstance(measure, str) else list(measure)
        return cast(
            "pl.DataFrame",
            self._remember(
                ("aggregate", tuple(by), level, tuple(measures)),
                class_map,
                lambda: self._aggregate(by, level, measures, class_map),
            ),
        )

    def grouped(
        self,
        by: Sequence[str],
        level: Level,
        measure: str | Sequence[str],
        *,
        class_map: pl.DataFrame | None = None,
    ) -> Grouped:
        """The dense form of :meth:`aggregate`: groups × industries matrices (kept per cube)."""
        measures = [measure] if isinstance(measure, str) else list(measure)
        return cast(
            "Grouped",
            self._remember(
                ("grouped", tuple(by), level, tuple(measures)),
                class_map,
                lambda: self._grouped(by, level, measures, class_map),
            ),
        )

    def _grouped(
        self,
        by: Sequence[str],
        level: Level,
        measures: list[str],
        class_map: pl.DataFrame | None,
    ) -> Grouped:
        require_columns(self.units, list(by), "企业数据")
        missing = [m for m in measures if m not in self.totals]
        if missing:
            raise InvalidInput(
                f"企业数据缺少列：{'、'.join(missing)}；现有列：{'、'.join(self.columns)}",
                detail={"missing": missing, "columns": self.columns},
            )
        groups, grouping = self._grouping(by)
        industries, mapping = self._level(level, class_map)
        if grouping is not None and level != "class":
            # Units are grouped at the class level first (kept: the analyses of one cube ask
            # for one grouping at several levels), then classes are added up: the same sums.
            classes = self.grouped(by, "class", measures)
            return Grouped(
                groups=classes.groups,
                industries=industries,
                values={m: _combine(None, classes.values[m], mapping) for m in measures},
                firm_counts=_combine(None, classes.firm_counts, mapping),
                dtypes=classes.dtypes,
            )
        return Grouped(
            groups=groups.select(by) if by else pl.DataFrame(),
            industries=industries,
            values={m: _combine(grouping, self.totals[m], mapping) for m in measures},
            firm_counts=_combine(grouping, self.firm_counts, mapping),
            dtypes={m: self.dtypes[m] for m in measures},
        )

    def _aggregate(
        self,
        by: Sequence[str],
        level: Level,
        measures: list[str],
        class_map: pl.DataFrame | None,
    ) -> pl.DataFrame:
        dense = self.grouped(by, level, measures, class_map=class_map)
        group_rows, industry_cols = dense.cells()
        columns = [
            *(dense.groups.get_column(key).gather(group_rows) for key in by),
            dense.industries.gather(industry_cols).alias(INDUSTRY),
            *(
                pl.Series(m, dense.values[m][group_rows, industry_cols]).cast(dense.dtypes[m])
                for m in measures
            ),
            pl.Series("firm_count", dense.firm_counts[group_rows, industry_cols]).cast(pl.UInt32),
        ]
        return pl.DataFrame(columns)

    def unit_totals(self, by: Sequence[str], measure: str | Sequence[str]) -> pl.DataFrame:
        """Sums over all industries per ``by`` group: ``by``, the measures and ``firm_count``."""
        measures = [measure] if isinstance(measure, str) else list(measure)
        groups, grouping = self._grouping(by)
        return pl.DataFrame(
            [
                *(groups.get_column(key) for key in by),
                *(
                    pl.Series(m, _combine(grouping, self.totals[m].sum(axis=-1), None)).cast(
                        self.dtypes[m]
                    )
                    for m in measures
                ),
                pl.Series(
                    "firm_count", _combine(grouping, self.firm_counts.sum(axis=-1), None)
                ).cast(pl.UInt32),
            ]
        )

    def _remember(self, key: tuple[Any, ...], anchor: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once per ``key`` (``anchor`` must be the very object seen before)."""
        kept = self._memo.get(key)
        if kept is not None and kept[0] is anchor:
            return kept[1]
        value = build()
        self._memo[key] = (anchor, value)
        return value

    def _grouping(self, by: Sequence[str]) -> tuple[pl.DataFrame, sp.csr_matrix | None]:
        """Groups of units by ``by`` (sorted, nulls first) and the groups × units indicator
        (``None`` when each unit is its own group, in order)."""
        return cast(
            "tuple[pl.DataFrame, sp.csr_matrix | None]",
            self._remember(("grouping", tuple(by)), None, lambda: self._group_units(list(by))),
        )

    def _group_units(self, by: list[str]) -> tuple[pl.DataFrame, sp.csr_matrix | None]:
        n = self.units.height
        if not by:
            return pl.DataFrame(), sp.csr_matrix(np.ones((1, n)))
        if by[0] == UNIT and self.units.get_column(UNIT).null_count() == 0:
            return self.units.select(by), None  # parks: unique, sorted, one unit each
        keys = self.units.select(by).with_row_index("unit")
        groups = keys.select(by).unique().sort(by, nulls_last=False).with_row_index("group")
        joined = keys.join(groups, on=by, how="left", nulls_equal=True)
        indicator = sp.csr_matrix(
            (
                np.ones(n),
                (joined.get_column("group").to_numpy(), joined.get_column("unit").to_numpy()),
            ),
            shape=(groups.height, n),
        )
        return groups.drop("group"), indicator

    def _level(self, level: Level, class_map: pl.DataFrame | None) -> tuple[pl.Series, _Mapping]:
        """Industries at ``level`` (sorted) and how classes add up to them."""
        return cast(
            "tuple[pl.Series, _Mapping]",
            self._remember(("level", level), class_map, lambda: self._map_level(level, class_map)),
        )

    def _map_level(
        self, level: Level, class_map: pl.DataFrame | None
    ) -> tuple[pl.Series, _Mapping]:
        if level == "class":
            return self.classes.alias(INDUSTRY), None
        if level in ("division", "group"):
            prefixes = self.classes.str.slice(0, 2 if level == "division" else 3)
            starts = np.flatnonzero(prefixes.is_first_distinct().to_numpy())
            return prefixes.gather(starts).alias(INDUSTRY), starts
        present = self.classes.filter(pl.Series(self.firm_counts.any(axis=0)))
        level_map = industry_level_map(present, level, class_map)
        industries = level_map.get_column(INDUSTRY).unique().sort()
        rows = self.classes.to_frame("class_code").with_row_index("c")
        pairs = level_map.join(rows, on="class_code").with_columns(
            pl.col(INDUSTRY).cast(pl.Enum(industries)).to_physical().alias("i")
        )
        indicator = sp.csc_matrix(
            (
                np.ones(pairs.height),
                (pairs.get_column("i").to_numpy(), pairs.get_column("c").to_numpy()),
            ),
            shape=(industries.len(), self.classes.len()),
        )
        return industries.alias(INDUSTRY), indicator


_Mapping: TypeAlias = "NDArray[np.intp] | sp.csc_matrix | None"
"""Classes → industries: ``None`` (the classes themselves), the first column of each run of
classes sharing a code prefix (sorted classes), or an industries × classes indicator."""


def _combine(
    grouping: sp.csr_matrix | None, values: NDArray[Any], mapping: _Mapping
) -> NDArray[Any]:
    """grouping · values · mapping, skipping an identity factor (``None``); integer values
    (firm counts) stay integers."""
    if grouping is not None:
        if values.dtype.kind != "f":  # an integer product: no float copy of the values
            grouping = grouping.astype(values.dtype)
        values = np.asarray(grouping @ values)
    if mapping is None:
        return values
    if isinstance(mapping, np.ndarray):
        return np.add.reduceat(values, mapping, axis=-1)
    return np.asarray((mapping @ values.T).T)


def _units(
    firms: pl.DataFrame,
    parks: _Parks,
    attributes: list[str],
    outside: NDArray[np.intp],
) -> tuple[pl.DataFrame, NDArray[np.int64]]:
    """Units (the parks, then firms outside parks by their attributes, nulls first) and, per
    row of ``outside`` (the rows outside parks), its unit minus the number of parks."""
    units = parks.units
    if outside.size == 0:
        return units, np.zeros(0, dtype=np.int64)
    if not attributes:
        extra = pl.DataFrame({UNIT: [None]}, schema=units.schema)
        return pl.concat([units, extra]), np.zeros(outside.size, dtype=np.int64)
    regions = firms.select(attributes).gather(outside)
    keys = regions.unique().sort(attributes, nulls_last=False).with_row_index("k")
    joined = regions.join(keys, on=attributes, how="left", nulls_equal=True, maintain_order="left")
    outside_units = keys.drop("k").with_columns(pl.lit(None, dtype=pl.String).alias(UNIT))
    return (
        pl.concat([units, outside_units.select(units.columns)], how="vertical_relaxed"),
        joined.get_column("k").cast(pl.Int64).to_numpy(),
    )


@dataclass(frozen=True)
class ParkMatrix:
    """Parks × industries totals of one measure, for analyses that work on matrices.

    ``parks`` and ``industries`` (codes at the level, or category names) are sorted and index
    the rows and columns of ``values`` (the summed measure; null measures add nothing) and
    ``present`` (at least one firm, as the rows of :func:`~parkhq.analysis.structure.aggregate`).
    """

    parks: pl.Series
    industries: pl.Series
    values: NDArray[np.float64]
    present: NDArray[np.bool_]


def park_matrix(
    firms: pl.DataFrame | IndustryCube,
    measure: str,
    level: Level = "class",
    *,
    class_map: pl.DataFrame | None = None,
) -> ParkMatrix:
    """The :class:`ParkMatrix` of the firms in parks at ``level`` (read off a cube, or summed
    from firm rows: ``park_code``, ``industry_code`` 4-digit, ``measure``). Firms outside parks
    are left out."""
    cube = (
        firms
        if isinstance(firms, IndustryCube)
        else IndustryCube.from_firms(firms, [measure], attributes=())
    )
    parks = cube.in_parks()
    if measure not in parks.totals:
        raise InvalidInput(
            f"企业数据缺少列：{measure}；现有列：{'、'.join(parks.columns)}",
            detail={"missing": [measure], "columns": parks.columns},
        )
    industries, mapping = parks._level(level, class_map)
    return ParkMatrix(
        parks=parks.units.get_column(UNIT),
        industries=industries,
        values=_combine(None, parks.totals[measure], mapping),
        present=_combine(None, parks.firm_counts, mapping) > 0,
    )
