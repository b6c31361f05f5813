"""延链 suggestions: industries a park lacks, ranked by relatedness and complexity, explained.

The Guideline's first direction asks parks to extend their chains around their leading
industries (延链补链强链) while avoiding low-level homogeneous competition with nearby parks.
This module turns the relatedness / complexity analysis of :mod:`parkhq.analysis.complexity`
(parks × GB/T 4754 industries) into a ranked, explained list per park.

Grain
-----
Activities are GB/T 4754 codes at the rule set's ``level``; the shipped rule set uses the
3-digit 中类 (group). A park holds a few hundred firms: at the 4-digit class many presences
rest on one or two firms (a noisy RCA), while the 2-digit division is too coarse to act on
(``39`` 计算机、通信和其他电子设备制造业 is not a project). Groups keep about 170 manufacturing
activities, each backed by enough firms in most parks.

Score
-----
For park c and an activity p with M_cp = 0 (RCA_cp below the threshold — the park lacks it or
holds only a little of it)::

    score_cp = density_cp ** α × C_cp ** β × (1 − λ × overlap_cp)

* ``density_cp`` — relatedness density ω_cp = Σ_j M_cj φ_pj / Σ_j φ_pj (0–1), Hidalgo, Klinger,
  Barabási & Hausmann (2007), *Science* 317:482–487: how much of what is related to p the park
  already has;
* ``C_cp`` — the complexity term, min–max normalised to [f, 1] with f = ``complexity_floor``:
  ``C = f + (1 − f) × (x − min) / (max − min)``, where x is PCI_p (``complexity_term = 'pci'``;
  min and max over all activities with a PCI) or COG_cp (``'cog'``; min and max over every cell
  with M = 0 of the table) — Hausmann, Hidalgo et al. (2014), *The Atlas of Economic
  Complexity*. ``C = 1`` when max = min or the index is undefined (null) everywhere;
* ``overlap_cp`` — the share of c's neighbours with M = 1 in p (0 when c has no neighbours);
  ``λ = overlap_penalty`` ∈ [0, 1]. Neighbours are a distance-free proxy for "nearby"
  (:func:`neighbour_pairs`: the same prefecture, or the province when the prefecture has too
  few parks);
* α = ``density_exponent``, β = ``complexity_exponent``.

Only candidates with ``density_cp ≥ min_density`` are kept, at most ``top_n`` per park (score
descending, ties by activity code). Each suggestion is explained by the ``explain_top`` activities
the park already has (M = 1) that are closest to p (proximity φ, Hidalgo et al. 2007) and by the
neighbours that already hold p.

Everything is pure: Polars frames and typed rule sets in, frames out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
import scipy.sparse as sp

from parkhq.analysis.complexity import (
    ActivityMatrix,
    ComplexityConfig,
    ComplexityResult,
    ResultArrays,
    _complexity_of,
    _pairs,
    cell_grid,
    complexity_of_matrix,
    result_arrays,
)
from parkhq.analysis.cube import IndustryCube, ParkMatrix, park_matrix
from parkhq.analysis.structure import INDUSTRY, FirmData, aggregate, in_parks
from parkhq.errors import InvalidInput
from parkhq.reference.rules import ExtensionLevel, ExtensionRules, NeighbourRules

__all__ = [
    "SUGGESTION_SCHEMA",
    "ExtensionResult",
    "complexity_term",
    "neighbour_pairs",
    "park_activity_table",
    "park_complexity",
    "suggest_extensions",
]

SUGGESTION_SCHEMA: dict[str, pl.DataType] = {
    "location": pl.String(),
    "rank": pl.UInt32(),
    "activity": pl.String(),
    "score": pl.Float64(),
    "density": pl.Float64(),
    "complexity": pl.Float64(),
    "pci": pl.Float64(),
    "cog": pl.Float64(),
    "value": pl.Float64(),
    "rca": pl.Float64(),
    "overlap": pl.Float64(),
    "neighbours": pl.UInt32(),
    "neighbour_holders": pl.List(pl.String()),
    "related_activities": pl.List(pl.String()),
    "related_proximity": pl.List(pl.Float64()),
    "raises_complexity": pl.Boolean(),
}
"""Columns of :attr:`ExtensionResult.suggestions` (see :func:`suggest_extensions`)."""

_NEIGHBOUR_SCHEMA: dict[str, pl.DataType] = {
    "location": pl.String(),
    "neighbour": pl.String(),
    "basis": pl.String(),
}


def _require_columns(frame: FirmData, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{what}缺少列：{'、'.join(missing)}；现有列：{'、'.join(frame.columns) or '（无）'}",
            detail={"missing": missing, "columns": frame.columns},
        )


@dataclass(frozen=True)
class ExtensionResult:
    """Output of :func:`suggest_extensions`.

    * ``suggestions`` — one row per suggestion (columns :data:`SUGGESTION_SCHEMA`);
    * ``neighbours`` — the neighbour pairs used (``location``, ``neighbour``, ``basis``).
    """

    suggestions: pl.DataFrame
    neighbours: pl.DataFrame


def park_activity_table(
    firms: FirmData, *, level: ExtensionLevel = "group", measure: str = "output_value"
) -> pl.DataFrame:
    """Park × activity totals, the input of :func:`parkhq.analysis.complexity.complexity`.

    Input ``firms``: ``park_code`` (null outside parks — those firms are left out),
    ``industry_code`` (4-digit GB/T 4754 class) and ``measure`` (万元, or 人 for employees);
    or an :class:`~parkhq.analysis.cube.IndustryCube` summed from such firms.
    ``level`` is ``division``, ``group`` or ``class``.

    Output: ``location`` (park code), ``activity`` (code at ``level``) and ``value`` (the summed
    measure; null measures count as 0), one row per pair present in the data.
    """
    if level not in ("division", "group", "class"):
        raise InvalidInput(
            f"延链分析的行业层级应为 division/group/class，实际为 {level!r}",
            detail={"field": "level", "value": level},
        )
    _require_columns(firms, ["park_code", "industry_code", measure], "企业数据")
    summed = aggregate(in_parks(firms), ("park_code",), level, measure)
    return summed.select(
        pl.col("park_code").alias("location"),
        pl.col(INDUSTRY).alias("activity"),
        pl.col(measure).fill_null(0.0).cast(pl.Float64).alias("value"),
    )


def park_complexity(firms: FirmData, rules: ExtensionRules) -> ComplexityResult | None:
    """Relatedness and complexity of parks × activities at ``rules.level`` / ``rules.measure``.

    Input as :func:`park_activity_table`. Returns ``None`` when fewer than two parks or two
    activities have a positive total (relatedness is then undefined); otherwise the
    :class:`~parkhq.analysis.complexity.ComplexityResult` with ``rules.rca_threshold``.
    """
    config = ComplexityConfig(rca_threshold=rules.rca_threshold.value)
    if isinstance(firms, IndustryCube):
        matrix = _activity_matrix(park_matrix(firms, rules.measure, rules.level))
        if matrix is not None:
            if matrix.locations.len() < 2 or matrix.activities.len() < 2:
                return None
            return complexity_of_matrix(matrix, config)
    table = park_activity_table(firms, level=rules.level, measure=rules.measure)
    try:
        return _complexity_of(_pairs(table, "location", "activity", "value", "数值"), config)
    except InvalidInput:
        # Too few positive totals give None, whatever else is wrong with the table.
        if _too_few_positive(table):
            return None
        raise


def _activity_matrix(parks: ParkMatrix) -> ActivityMatrix | None:
    """The parks × activities table of :func:`park_activity_table` as a matrix, or None when
    a value is negative or not finite (the table path then names the offending rows)."""
    values = parks.values
    if values.size and not values.min() >= 0:  # negative or NaN
        return None
    with np.errstate(over="ignore"):  # finite values may add up to infinity
        row_totals, col_totals = values.sum(axis=1), values.sum(axis=0)
    if not np.isfinite(row_totals).all() and not np.isfinite(values).all():
        return None
    active_rows, active_cols = row_totals > 0, col_totals > 0
    kept = values
    if not active_cols.all():
        kept = kept[:, active_cols]
    if not active_rows.all():
        kept = kept[active_rows]
    return ActivityMatrix(
        locations=_kept(parks.parks, active_rows),
        activities=_kept(parks.industries, active_cols),
        values=np.ascontiguousarray(kept),
        idle_locations=_idle(parks.parks, active_rows, parks.present, axis=1),
        idle_activities=_idle(parks.industries, active_cols, parks.present, axis=0),
    )


def _kept(codes: pl.Series, active: _Mask) -> pl.Series:
    return codes if active.all() else codes.filter(pl.Series(active))


def _idle(codes: pl.Series, active: _Mask, present: _Mask, axis: int) -> pl.Series:
    """The codes with a firm but a zero total (``present`` has firms along ``axis``)."""
    if active.all():
        return codes.clear()
    return codes.filter(pl.Series(present.any(axis=axis) & ~active))


def _too_few_positive(table: pl.DataFrame) -> bool:
    """Fewer than two parks or two activities with a positive value."""
    positive = table.filter(pl.col("value") > 0)
    return min(positive.get_column(key).n_unique() for key in ("location", "activity")) < 2


# --------------------------------------------------------------------------- neighbours

_BASES = ("city", "province")


def _group_ids(frame: pl.DataFrame, columns: Sequence[str]) -> list[npt.NDArray[np.int64]]:
    """Per column, a group number per row: 0, 1, … in code order (equal codes, equal
    numbers; −1 for null)."""
    ranks = frame.select(pl.col(columns).rank("dense").cast(pl.Int64).fill_null(0) - 1)
    return [column.to_numpy() for column in ranks.iter_columns()]


def _lookup(codes: pl.Series, known: pl.Series) -> npt.NDArray[np.int64]:
    """Position of each of ``codes`` among the distinct strings ``known``; −1 if absent/null."""
    found = codes.cast(pl.String).cast(pl.Enum(known), strict=False).to_physical()
    return found.cast(pl.Int64).fill_null(-1).to_numpy()


@dataclass(frozen=True)
class _Groups:
    """Members of every group, grouped and in index order (CSR), and each member's slot."""

    members: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]
    slot: npt.NDArray[np.int64]

    @classmethod
    def of(cls, *keys: npt.NDArray[np.int64]) -> _Groups:
        """Groups of several keys over the same units; group numbers of key k follow key k−1.

        ``slot[k, i]``: where unit i sits in its group of key k (−1 without a group).
        """
        units = np.arange(len(keys[0]) if keys else 0)
        groups, members, offset = [], [], 0
        for key in keys:
            valid = key >= 0
            groups.append(key[valid] + offset)
            members.append(units[valid])
            offset += int(key.max(initial=-1)) + 1
        group = np.concatenate(groups) if groups else np.zeros(0, np.int64)
        order = np.argsort(group, kind="stable")
        sizes = np.bincount(group, minlength=offset)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])) if offset else sizes
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        slot = np.full((len(keys), units.size), -1, dtype=np.int64)
        done = 0
        for k, key in enumerate(keys):
            valid = key >= 0
            count = int(valid.sum())
            slot[k, valid] = position[done : done + count] - starts[group[done : done + count]]
            done += count
        return cls(np.concatenate(members)[order], starts, sizes, slot)

    def others(
        self, group: npt.NDArray[np.int64], slot: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For units given by their group and slot: every other member of the group, in order.

        Returns, per pair, the unit's row in ``group`` and the other member.
        """
        counts = self.sizes[group] - 1
        owner = np.repeat(np.arange(group.size), counts)
        within = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
        skip = (within >= slot[owner]).astype(np.int64)
        return owner, self.members[self.starts[group[owner]] + within + skip]


def neighbour_pairs(parks: pl.DataFrame, rules: NeighbourRules) -> pl.DataFrame:
    """Each park's neighbour parks (a distance-free proxy for "nearby").

    Input ``parks``: ``park_code``, ``city_code`` (GB/T 2260 prefecture, may be null) and
    ``province_code``. ``rules.scope``: ``city`` — other parks of the same prefecture;
    ``province`` — of the same province; ``city_then_province`` — the same prefecture, or the
    whole province for a park whose prefecture holds fewer than ``rules.min_neighbours`` other
    parks (a park without a prefecture always falls back).

    Output: ``location``, ``neighbour`` (park codes, never equal) and ``basis`` (``city`` or
    ``province``), sorted.
    """
    _require_columns(parks, ["park_code", "city_code", "province_code"], "园区数据")
    units = (
        parks.filter(pl.col("park_code").is_not_null())
        .select(
            pl.col("park_code").cast(pl.String).alias("location"),
            pl.col("city_code").cast(pl.String),
            pl.col("province_code").cast(pl.String),
        )
        # A stable sort, then the first row of each code: its first row in ``parks``.
        .sort("location", maintain_order=True)
        .unique("location", keep="first", maintain_order=True)
    )
    city, province = _group_ids(units, ("city_code", "province_code"))
    groups = _Groups.of(city, province)
    # Group numbers of the province key follow those of the city key (see _Groups.of).
    province_group = np.where(province >= 0, province + int(city.max(initial=-1)) + 1, -1)
    if rules.scope == "city":
        basis = np.where(city >= 0, 0, -1)
    elif rules.scope == "province":
        basis = np.where(province >= 0, 1, -1)
    else:
        city_others = np.where(city >= 0, groups.sizes[np.maximum(city, 0)] - 1, 0)
        enough = (city >= 0) & (city_others >= rules.min_neighbours.value)
        basis = np.where(enough, 0, np.where(province >= 0, 1, -1))
    chosen = np.flatnonzero(basis >= 0)
    group = np.where(basis == 0, city, province_group)[chosen]
    owner, neighbour = groups.others(group, groups.slot[basis[chosen], chosen])
    codes = units.get_column("location")
    return pl.DataFrame(
        [
            codes.gather(chosen[owner]).alias("location"),
            codes.gather(neighbour).alias("neighbour"),
            pl.Series("basis", _BASES, dtype=pl.String).gather(basis[chosen][owner]),
        ],
        schema=_NEIGHBOUR_SCHEMA,
    )


def complexity_term(result: ComplexityResult, rules: ExtensionRules) -> pl.DataFrame:
    """The normalised complexity term C of every cell: ``location``, ``activity``, ``complexity``.

    ``C = f + (1 − f) × (x − min) / (max − min)`` with f = ``rules.complexity_floor`` and x the
    activity's PCI (min/max over activities) or the cell's COG (min/max over cells with M = 0);
    ``C = 1`` when max = min or x is null.
    """
    floor = rules.complexity_floor.value
    cells = result.cells.select("location", "activity", "m", "cog")
    if rules.complexity_term == "pci":
        cells = cells.join(result.activities.select("activity", "pci"), on="activity", how="left")
        source = "pci"
        bounds = result.activities.select(
            pl.col("pci").min().alias("lo"), pl.col("pci").max().alias("hi")
        )
    else:
        source = "cog"
        bounds = result.cells.filter(pl.col("m") == 0).select(
            pl.col("cog").min().alias("lo"), pl.col("cog").max().alias("hi")
        )
    lo, hi = bounds.row(0)
    if lo is None or hi is None or hi <= lo:
        scaled = pl.lit(1.0)
    else:
        scaled = (
            pl.when(pl.col(source).is_null())
            .then(1.0)
            .otherwise(floor + (1.0 - floor) * (pl.col(source) - lo) / (hi - lo))
        )
    return cells.select("location", "activity", scaled.cast(pl.Float64).alias("complexity"))


# --------------------------------------------------------------------------- suggestions

_FloatArray = npt.NDArray[np.float64]
_IndexArray = npt.NDArray[np.int64]
_Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Cells:
    """``result.cells`` over the sorted codes of its locations (rows) and activities (columns).

    ``arrays``: the matrices behind the result when :func:`complexity` built it (nothing is
    then read back from the frames). Otherwise ``position`` maps each (row, column) to its row
    of ``frame`` (−1 where there is none), or is ``None`` when ``frame`` is the rectangle
    :func:`complexity` built, whose row is ``row × columns + column``. ``held`` / ``lacking``:
    M = 1 / M = 0.
    """

    result: ComplexityResult
    locations: pl.Series
    activities: pl.Series
    position: _IndexArray | None
    held: _Mask
    lacking: _Mask
    arrays: ResultArrays | None = None

    @property
    def closed(self) -> _Mask:
        """Cells that cannot be suggested whatever their score: not M = 0."""
        return self.held if self.arrays is not None else ~self.lacking

    @classmethod
    def of(cls, result: ComplexityResult) -> _Cells:
        grid = cell_grid(result)
        arrays = result_arrays(result)
        if grid is not None and arrays is not None:
            held = arrays.held
            return cls(result, grid.locations, grid.activities, None, held, ~held, arrays)
        frame = result.cells
        if grid is None:
            codes = [frame.get_column(key).cast(pl.String) for key in ("location", "activity")]
            locations, activities = (found.drop_nulls().unique().sort() for found in codes)
            rows, cols = _lookup(codes[0], locations), _lookup(codes[1], activities)
            placed = (rows >= 0) & (cols >= 0)
            position = np.full((locations.len(), activities.len()), -1, dtype=np.int64)
            position[rows[placed], cols[placed]] = np.flatnonzero(placed)
            m = cls(result, locations, activities, position, _NO_MASK, _NO_MASK).dense("m")
        else:
            locations, activities, position = grid.locations, grid.activities, None
            m = frame.get_column("m").to_numpy().reshape(locations.len(), activities.len())
        return cls(result, locations, activities, position, m == 1, m == 0)

    def dense(self, column: str) -> npt.NDArray[np.floating[Any] | np.integer[Any]]:
        """A numeric column as a rows × columns matrix (NaN where null or missing)."""
        if self.arrays is not None:
            found: npt.NDArray[np.floating[Any]] = getattr(self.arrays, column)
            return found
        values = self.result.cells.get_column(column)
        shape = (self.locations.len(), self.activities.len())
        if self.position is None:
            return values.to_numpy().reshape(shape)
        filled = np.full(shape, np.nan)
        placed = self.position >= 0
        filled[placed] = values.cast(pl.Float64).to_numpy()[self.position[placed]]
        return filled

    def at(self, columns: Sequence[str], rows: _IndexArray, cols: _IndexArray) -> list[pl.Series]:
        """The values of ``columns`` in the given cells (which must exist)."""
        if self.position is None:
            where = rows * self.activities.len() + cols
        else:
            where = self.position[rows, cols]
        if self.arrays is not None:
            return [
                pl.Series(name, np.take(self.dense(name), where), nan_to_null=name in _NULLABLE)
                for name in columns
            ]
        return self.result.cells.select(pl.col(columns).gather(where)).get_columns()

    def pci(self) -> _FloatArray:
        """PCI per column (NaN where null or unknown)."""
        if self.arrays is not None:
            return self.arrays.pci
        return _by_code(self.result.activities, "activity", "pci", self.activities)

    def eci(self) -> _FloatArray:
        """ECI per row (NaN where null or unknown)."""
        if self.arrays is not None:
            return self.arrays.eci
        return _by_code(self.result.locations, "location", "eci", self.locations)

    def pci_bounds(self) -> tuple[float | None, float | None]:
        """Smallest and largest PCI of ``result.activities`` (``None`` when all are null)."""
        if self.arrays is not None:
            pci = self.arrays.pci[~np.isnan(self.arrays.pci)]
            return (float(pci.min()), float(pci.max())) if pci.size else (None, None)
        bounds = self.result.activities.select(
            pl.col("pci").min().alias("lo"), pl.col("pci").max().alias("hi")
        )
        lo, hi = bounds.row(0)
        return lo, hi

    def phi(self) -> _FloatArray:
        """Proximity between the columns, diagonal 0 (an activity does not explain itself)."""
        if self.arrays is not None:
            phi = self.arrays.phi.copy()
            np.fill_diagonal(phi, 0.0)
            return phi
        return _phi(self.result.proximity, self.activities)


_NULLABLE = frozenset({"density", "cog"})
"""Columns of ``cells`` whose NaN are written as null."""

_NO_MASK: _Mask = np.zeros((0, 0), dtype=bool)


def _by_code(frame: pl.DataFrame, key: str, column: str, codes: pl.Series) -> _FloatArray:
    """``frame[column]`` for each of ``codes`` (NaN where the code is missing or the value null)."""
    values = frame.get_column(column).cast(pl.Float64)
    if frame.get_column(key).equals(codes, check_names=False, check_dtypes=False):
        return values.to_numpy()
    found = np.full(codes.len(), np.nan)
    where = _lookup(frame.get_column(key), codes)
    known = where >= 0
    found[where[known]] = values.to_numpy()[known]
    return found


def _phi(proximity: pl.DataFrame, activities: pl.Series) -> _FloatArray:
    """Dense symmetric φ over ``activities`` from an edge list (one triangle or both orders),
    diagonal 0 (an activity does not explain itself)."""
    first = _lookup(proximity.get_column("activity_1"), activities)
    second = _lookup(proximity.get_column("activity_2"), activities)
    known = (first >= 0) & (second >= 0)
    first, second = first[known], second[known]
    weights = proximity.get_column("proximity").cast(pl.Float64).to_numpy()[known]
    phi = np.zeros((activities.len(), activities.len()))
    phi[first, second] = weights
    phi[second, first] = weights
    np.fill_diagonal(phi, 0.0)
    return phi


def _term(cells: _Cells, rules: ExtensionRules) -> _FloatArray:
    """The complexity term C (as :func:`complexity_term`): one row (``pci``, per activity) or
    a matrix (``cog``, per cell), broadcasting over the cells."""
    if rules.complexity_term == "pci":
        x = cells.pci()[np.newaxis, :]
        lo, hi = cells.pci_bounds()
    else:
        x = cells.dense("cog").astype(np.float64, copy=False)
        pool = x[cells.lacking]
        pool = pool[~np.isnan(pool)]
        lo, hi = (pool.min(), pool.max()) if pool.size else (None, None)
    if lo is None or hi is None or hi <= lo:
        return np.ones((1, 1))
    floor = rules.complexity_floor.value
    scaled: _FloatArray = floor + (1.0 - floor) * (x - lo) / (hi - lo)
    scaled[np.isnan(x)] = 1.0
    return scaled


@dataclass(frozen=True)
class _Links:
    """Neighbour pairs over the locations of the cells.

    ``counts``: pairs per location (neighbours outside the cells included); ``indptr`` /
    ``members``: each location's neighbours that are in the cells, sorted (CSR).
    """

    counts: _IndexArray
    indptr: _IndexArray
    members: _IndexArray

    @classmethod
    def of(cls, neighbours: pl.DataFrame, codes: pl.Series) -> _Links:
        """``neighbours``: ``location`` and ``neighbour`` as strings; ``codes``: sorted."""
        size = codes.len()
        # Both columns looked up at once (Polars casts them in parallel).
        found = neighbours.select(
            pl.col("location", "neighbour")
            .cast(pl.Enum(codes), strict=False)
            .to_physical()
            .cast(pl.Int64)
            .fill_null(-1)
        )
        location, neighbour = (column.to_numpy() for column in found.iter_columns())
        counts = np.bincount(location[location >= 0], minlength=size)
        known = (location >= 0) & (neighbour >= 0)
        location, neighbour = location[known], neighbour[known]
        key = location * size + neighbour
        if np.any(key[1:] < key[:-1]):
            key.sort()
            location, neighbour = np.divmod(key, size)
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(location, minlength=size), out=indptr[1:])
        return cls(counts=counts, indptr=indptr, members=neighbour)

    def holders(self, held: _Mask) -> npt.NDArray[np.float32]:
        """How many of each location's neighbours hold each activity (Σ over pairs).

        float32 counts are exact below 2**24 pairs per location.
        """
        size = self.counts.size
        adjacency = sp.csr_matrix(
            (np.ones(self.members.size, dtype=np.float32), self.members, self.indptr),
            shape=(size, size),
        )
        return np.asarray(adjacency @ held.astype(np.float32))

    def holding(
        self, held: _Mask, rows: _IndexArray, cols: _IndexArray, any_holder: _Mask
    ) -> _IndexArray:
        """Per (row, col) pair, the neighbours of the row holding the col, in order, all pairs
        one after the other (as many per pair as :meth:`holders` counts).

        ``any_holder`` marks the pairs with at least one (the others are skipped).
        """
        asked = np.flatnonzero(any_holder)
        start = self.indptr[rows[asked]]
        degree = self.indptr[rows[asked] + 1] - start
        # Every neighbour of every asked pair: its place in ``members`` and its cell.
        where = np.repeat(start - (np.cumsum(degree) - degree), degree)
        where += np.arange(where.size)
        neighbour = self.members[where]
        cell = neighbour * held.shape[1]
        cell += np.repeat(cols[asked], degree)
        found: _IndexArray = neighbour[np.take(held, cell)]
        return found


def _best(keyed: _FloatArray, top: int) -> tuple[_IndexArray, _IndexArray, _IndexArray]:
    """The ``top`` best cells of each row of ``keyed`` (−inf: not a candidate), by value
    descending, ties by column. Returns rows, columns and ranks (1 = best), by row then rank."""
    n_rows, n_cols = keyed.shape
    width = min(top, n_cols)
    if width == 0 or n_rows == 0:
        return (np.zeros(0, dtype=np.int64),) * 3
    # The width-th largest value of each row, never below the smallest float (so -inf is out).
    cut = np.partition(keyed, n_cols - width, axis=1)[:, n_cols - width]
    cut = np.maximum(cut, np.finfo(np.float64).min)[:, np.newaxis]
    chosen = keyed >= cut
    crowded = np.flatnonzero(np.count_nonzero(chosen, axis=1) > width)
    if crowded.size:
        # Ties at the cut: the lowest columns fill the places left.
        tied = keyed[crowded] == cut[crowded]
        room = width - (keyed[crowded] > cut[crowded]).sum(axis=1, keepdims=True)
        chosen[crowded] &= ~tied | (np.cumsum(tied, axis=1) <= room)
    where = np.flatnonzero(chosen)
    rows, cols = np.divmod(where, n_cols)
    # Order each row's (at most ``width``) picks in a small rows × width table.
    counts = np.bincount(rows, minlength=n_rows)
    starts = np.cumsum(counts) - counts
    table = np.full((n_rows, width), np.inf)
    table[rows, np.arange(rows.size) - starts[rows]] = np.negative(keyed.ravel()[where])
    order = np.argsort(table, axis=1, kind="stable")
    row, rank = np.nonzero(np.arange(width)[np.newaxis, :] < counts[:, np.newaxis])
    picked = starts[row] + order[row, rank]
    return rows[picked], cols[picked], rank + 1


_CHUNK = 8192
"""Suggestions explained at a time (bounds the pairs × held activities table)."""


def _closest(
    phi: _FloatArray, held: _Mask, rows: _IndexArray, cols: _IndexArray, top: int
) -> tuple[_IndexArray, _IndexArray, _FloatArray]:
    """Per (row, col): the ``top`` activities the row holds closest to col (φ > 0 descending,
    ties by activity). Returns the number per pair, then the activities and φ one after the
    other.

    Each activity p lists the others once, closest first (a stable sort of its φ row, so ties
    go by code), and ``place[p, j]`` says where j sits in that list (flat, so that every
    entry is distinct; the extra column j = activities, "nothing", sits last). Each pair takes
    the places of the activities its row holds, and a sort of these few numbers puts the
    closest first.
    """
    n_loc, n_act = held.shape
    width = min(top, n_act)
    line = n_act + 1
    order = np.argsort(-phi, axis=1, kind="stable")
    listed = np.zeros((n_act, line), dtype=np.int64)  # the list of each activity, then 0
    listed[:, :n_act] = order
    closeness = np.zeros((n_act, line))  # φ along each list, then 0 ("nothing")
    closeness[:, :n_act] = np.take_along_axis(phi, order, axis=1)
    place = np.empty((n_act, line), dtype=np.int64)
    np.put_along_axis(place[:, :n_act], order, np.arange(n_act)[np.newaxis, :], axis=1)
    place[:, n_act] = n_act
    place += (np.arange(n_act) * line)[:, np.newaxis]
    # The activities each row holds, in code order, padded with n_act.
    held_rows, held_cols = np.divmod(np.flatnonzero(held), n_act)
    per_row = np.bincount(held_rows, minlength=n_loc)
    within = np.arange(held_rows.size) - (np.cumsum(per_row) - per_row)[held_rows]
    padded = np.full((n_loc, max(int(per_row.max(initial=0)), width)), n_act, dtype=np.int64)
    padded[held_rows, within] = held_cols
    first = np.empty((rows.size, width), dtype=np.int64)
    for start in range(0, rows.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        depth = max(int(per_row[rows[part]].max(initial=0)), width)
        lookup = padded[rows[part], :depth]
        lookup += (cols[part] * line)[:, np.newaxis]
        keys = np.take(place, lookup)
        keys.sort(axis=1)
        first[part] = keys[:, :width]
    proximity = np.take(closeness, first)
    keep = proximity > 0  # "nothing" and φ = 0 are left out
    return np.count_nonzero(keep, axis=1), np.take(listed, first[keep]), proximity[keep]


def _lists(name: str, values: pl.Series, counts: _IndexArray) -> pl.Series:
    """A list column: ``counts[i]`` consecutive ``values`` in row i.

    Built through Arrow without copying the values: strings go out as Arrow string views
    (Polars' own layout), and the offsets are exported from a Polars series (converting a
    NumPy array with :func:`pyarrow.array` would import pandas).
    """
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(
        pl.Series(offsets).to_arrow(), values.to_arrow(compat_level=pl.CompatLevel.newest())
    )
    series = pl.from_arrow(lists)
    assert isinstance(series, pl.Series)
    return series.alias(name)


def _wanted(cells: _Cells, locations: Sequence[str] | None) -> _Mask | None:
    """Which rows of ``cells`` to suggest for (``None``: all)."""
    if locations is None:
        return None
    wanted = np.zeros(cells.locations.len(), dtype=bool)
    asked = _lookup(pl.Series(list(locations), dtype=pl.String), cells.locations)
    wanted[asked[asked >= 0]] = True
    return wanted


@dataclass(frozen=True)
class _Scores:
    """Score and its parts for some cells (see :func:`_score`)."""

    score: _FloatArray
    term: _FloatArray
    overlap: _FloatArray
    holders: _FloatArray


def _score(
    density: _FloatArray,
    term: _FloatArray,
    holders: _FloatArray,
    count: _FloatArray,
    rules: ExtensionRules,
) -> _Scores:
    """density^α × C^β × (1 − λ × overlap), overlap = holders / neighbours (0 without any)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        overlap = np.where(count > 0, holders / count, 0.0)
    score = (
        np.power(density, rules.density_exponent.value)
        * np.power(term, rules.complexity_exponent.value)
        * (1.0 - rules.overlap_penalty.value * overlap)
    )
    return _Scores(score=score, term=term, overlap=overlap, holders=holders)


_BLOCK = 1024
"""Locations scored and ranked at a time: the working arrays then stay in the CPU cache."""


def _power(base: _FloatArray, exponent: float) -> _FloatArray:
    """``base ** exponent`` (``base`` itself for exponent 1: x¹ = x exactly)."""
    return base if exponent == 1.0 else np.power(base, exponent)


_MINUS_INFINITY_BITS = np.array(-np.inf).view(np.int64)


def _minus_infinity_where(mask: _Mask) -> _FloatArray:
    """−inf where ``mask``, 0 elsewhere: the bit pattern of −inf times 0 or 1 (a masked write
    branches on every cell and costs several times more)."""
    bits = mask.astype(np.int64)
    bits *= _MINUS_INFINITY_BITS
    return bits.view(np.float64)


def _keyed(
    density: _FloatArray,
    term: _FloatArray,
    overlap: _FloatArray,
    blocked: _Mask,
    rules: ExtensionRules,
) -> _FloatArray:
    """:func:`_score` of a block of cells (the same operations, so the same numbers), −inf
    where ``blocked`` (not a candidate) and +inf where NaN (Polars sorts NaN first).
    ``overlap`` is overwritten with the result."""
    keyed = overlap
    with np.errstate(invalid="ignore"):  # NaN scores are dealt with below
        keyed *= -rules.overlap_penalty.value
        keyed += 1.0  # 1 − λ × overlap
        # (density^α × C^β) × (1 − λ × overlap), as in _score (x × y = y × x exactly).
        keyed *= _power(density, rules.density_exponent.value) * _power(
            term, rules.complexity_exponent.value
        )
        keyed += _minus_infinity_where(blocked)
        # NaN now: NaN scores, and blocked cells whose score was NaN or +inf.
        if np.isnan(np.sum(keyed)):
            odd = np.isnan(keyed)
            keyed[odd] = np.where(blocked[odd], -np.inf, np.inf)
    return keyed


def _ranked(
    cells: _Cells, links: _Links, wanted: _Mask | None, rules: ExtensionRules
) -> tuple[_IndexArray, _IndexArray, _IndexArray, _Scores]:
    """The ``top_n`` candidates of each wanted location (``None``: all): rows, columns, ranks
    and scores."""
    density = cells.dense("density").astype(np.float64, copy=False)
    term = _term(cells, rules)
    holders = links.holders(cells.held)
    count = links.counts.astype(np.float64)[:, np.newaxis]
    lonely = links.counts == 0
    closed = cells.closed
    minimum = rules.min_density.value
    none = np.zeros(0, dtype=np.int64)
    found = [(none, none, none)]
    for start in range(0, density.shape[0], _BLOCK):
        block = slice(start, start + _BLOCK)
        part = density[block]
        # Candidates: M = 0, density ≥ min_density and > 0 (NaN fails both).
        blocked = np.logical_not(part >= minimum if minimum > 0 else part > 0)
        blocked |= closed[block]
        if wanted is not None:
            blocked |= ~wanted[block, np.newaxis]
        with np.errstate(divide="ignore", invalid="ignore"):
            overlap = np.divide(holders[block], count[block])
        overlap[lonely[block]] = 0.0
        keyed = _keyed(part, term[block] if term.shape[0] > 1 else term, overlap, blocked, rules)
        rows, cols, rank = _best(keyed, rules.top_n.value)
        found.append((rows + start, cols, rank))
    rows, cols, rank = (np.concatenate(parts) for parts in zip(*found, strict=True))
    # The same arithmetic again on the picked cells only (so the numbers are identical).
    picked = _score(
        density[rows, cols],
        np.broadcast_to(term, density.shape)[rows, cols],
        holders[rows, cols].astype(np.float64),
        count[rows, 0],
        rules,
    )
    return rows, cols, rank, picked


def suggest_extensions(
    result: ComplexityResult,
    neighbours: pl.DataFrame,
    rules: ExtensionRules,
    *,
    locations: Sequence[str] | None = None,
) -> ExtensionResult:
    """延链 suggestions for each park: missing activities ranked by the score of the module.

    Input:

    * ``result`` — :func:`parkhq.analysis.complexity.complexity` of parks × activities (e.g.
      :func:`park_complexity`), with the ``rules.rca_threshold`` used for M;
    * ``neighbours`` — ``location``, ``neighbour`` pairs (:func:`neighbour_pairs`); neighbours
      that are not in ``result`` count in the number of neighbours but hold nothing;
    * ``rules`` — :class:`~parkhq.reference.rules.ExtensionRules`;
    * ``locations`` — only suggest for these parks (default: every park of ``result``); the
      normalisation of the complexity term always spans the whole table, so a park's list does
      not depend on which others were asked for.

    Output :class:`ExtensionResult`; its ``suggestions`` has one row per suggestion:
    ``location``, ``rank`` (1 = best), ``activity``, ``score``, ``density`` (ω, 0–1),
    ``complexity`` (C, 0–1), ``pci``, ``cog`` (ECI units), ``value`` (the park's current value in
    the activity, input unit — often 0), ``rca``, ``overlap`` (0–1), ``neighbours`` (number of
    neighbours), ``neighbour_holders`` (neighbours with M = 1, sorted), ``related_activities``
    and ``related_proximity`` (the ``explain_top`` present activities closest to it and their
    φ) and ``raises_complexity`` (PCI above the park's ECI: the activity would lift the park's
    average complexity). Method: module docstring.
    """
    _require_columns(neighbours, ["location", "neighbour"], "邻近园区数据")
    neighbours = neighbours.select(
        pl.col("location").cast(pl.String), pl.col("neighbour").cast(pl.String)
    )
    cells = _Cells.of(result)
    links = _Links.of(neighbours, cells.locations)
    rows, cols, rank, values = _ranked(cells, links, _wanted(cells, locations), rules)
    pci = cells.pci()[cols]
    eci = cells.eci()[rows]
    holding = links.holding(cells.held, rows, cols, values.holders > 0)
    holder_count = values.holders.astype(np.int64)
    related_count, related, proximity = _closest(
        cells.phi(), cells.held, rows, cols, rules.explain_top.value
    )
    density, cog, value, rca = cells.at(("density", "cog", "value", "rca"), rows, cols)
    suggestions = pl.DataFrame(
        [
            cells.locations.gather(rows).alias("location"),
            pl.Series("rank", rank, dtype=pl.UInt32),
            cells.activities.gather(cols).alias("activity"),
            pl.Series("score", values.score),
            density,
            pl.Series("complexity", values.term),
            pl.Series("pci", pci, nan_to_null=True),
            cog,
            value,
            rca,
            pl.Series("overlap", values.overlap),
            pl.Series("neighbours", links.counts[rows], dtype=pl.UInt32),
            _lists("neighbour_holders", cells.locations.gather(holding), holder_count),
            _lists("related_activities", cells.activities.gather(related), related_count),
            _lists("related_proximity", pl.Series(proximity, dtype=pl.Float64), related_count),
            pl.Series("raises_complexity", pci > eci, dtype=pl.Boolean),
        ]
    )
    return ExtensionResult(
        suggestions=suggestions.cast(SUGGESTION_SCHEMA),  # type: ignore[arg-type]
        neighbours=neighbours,
    )
