"""Homogeneity between parks (同质化): UNIDO structural similarity, Krugman dissimilarity, clusters.

Method (REFERENCE §7.2–7.3):

* UNIDO 产业结构相似系数 S_jk = Σ_i s_ji·s_ki / √(Σ_i s_ji² · Σ_i s_ki²), the cosine of the two
  parks' share vectors; 0 (nothing in common) to 1 (identical structure). It is the most common
  Chinese measure of 产业同构; S > 0.9 is often read as 高度同构 and 0.8–0.9 as considerable.
  Compute it at fine granularity — GB/T 4754 4-digit classes or chain nodes, not 2-digit
  divisions.
* Krugman dissimilarity (产业分工指数) K_jk = Σ_i |s_ji − s_ki|, 0 (identical, 同构) to 2
  (nothing in common, full division of labour).
* 低水平同质化竞争: a high S with a park in the same province together with a low 区位熵 of the
  park's top industries (and, when known, low 亩均税收).

Pairs are computed with sparse matrices (``scipy.sparse``): S = N·Nᵀ on the row-normalised share
matrix, found by prefix filtering above a threshold, and K = 2 − 2·Σ_i min(s_ji, s_ki) for the
pairs found. All scopes (provinces, cities) share one matrix whose columns are (scope, industry)
cells, so one product compares parks within their scope only. At class level, 3,000 parks take
a few milliseconds within provinces at S ≥ 0.8. Only pairs sharing at least one industry are
returned; any pair absent from the output has S = 0 and K = 2.

Declared portfolios (申报主导产业) are compared the same way on binary category vectors: S is then
|A∩B| / √(|A|·|B|) and K uses equal weights 1/|A| per declared category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from parkhq.analysis.cube import Grouped, IndustryCube
from parkhq.analysis.structure import (
    INDUSTRY,
    FirmData,
    aggregate,
    in_parks,
    location_quotient,
)
from parkhq.errors import InvalidInput
from parkhq.reference.rules import SimilarityRules

__all__ = [
    "HomogeneityResult",
    "ShareMatrix",
    "low_level_homogeneity",
    "pairs_above",
    "pairwise_similarity",
    "park_homogeneity",
    "portfolio_matrix",
    "portfolio_similarity",
    "share_matrix",
    "similarity_clusters",
]

_BLOCK_CELLS = 16_000_000
"""Cells of the dense (rows × parks) accumulator used per block when summing Σ min(s_j, s_k)."""

_FLUSH_INCIDENCES = 4_000_000

_PAIR_SCHEMA: dict[str, pl.DataType] = {
    "park_a": pl.String(),
    "park_b": pl.String(),
    "similarity": pl.Float64(),
    "krugman": pl.Float64(),
}

_CLUSTER_SCHEMA: dict[str, pl.DataType] = {
    "park_code": pl.String(),
    "cluster_id": pl.String(),
    "cluster_size": pl.UInt32(),
    "cluster_mean_similarity": pl.Float64(),
}

_PARK_KEYS = ("park_code", "province_code", "city_code")
"""The unit columns of the structure frame the homogeneity analysis compares."""


def _require_columns(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{what}缺少列：{'、'.join(missing)}；现有列：{'、'.join(frame.columns) or '（无）'}",
            detail={"missing": missing, "columns": frame.columns},
        )


@dataclass(frozen=True)
class ShareMatrix:
    """Parks × industries share matrix: row j holds park ``units[j]``'s shares (summing to 1).

    ``shares`` is a ``scipy.sparse.csr_matrix`` of float64; ``units`` and ``industries`` are
    sorted ascending and index its rows and columns.
    """

    units: tuple[str, ...]
    industries: tuple[str, ...]
    shares: Any


def _strictly_increasing(values: pl.Series) -> bool:
    return values.len() < 2 or bool((values.slice(1) > values.slice(0, values.len() - 1)).all())


def _park_runs(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series, np.ndarray]:
    """``frame`` sorted by ``park_code`` (no nulls), its distinct codes and their row counts.

    An aggregated frame arrives sorted by park: it is then kept as it is and the parks are read
    from the runs of equal codes, without sorting or hashing strings. Row r of the result
    belongs to park ``np.repeat(np.arange(len(counts)), counts)[r]``.
    """
    runs = frame.get_column("park_code").rle().struct.unnest()
    if not _strictly_increasing(runs.get_column("value")):
        frame = frame.sort("park_code", maintain_order=True)
        runs = frame.get_column("park_code").rle().struct.unnest()
    return frame, runs.get_column("value"), runs.get_column("len").to_numpy().astype(np.int64)


def _positions(values: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """Sorted distinct values of a null-free series and the position of each value among them."""
    distinct = values.unique().sort()
    if values.dtype == pl.String:
        positions = values.cast(pl.Enum(distinct)).to_physical()
        return distinct, positions.to_numpy().astype(np.int64)
    lookup = distinct.to_frame("value").with_row_index("position")
    found = values.to_frame("value").join(lookup, on="value", how="left", maintain_order="left")
    return distinct, found.get_column("position").to_numpy().astype(np.int64)


def _kept(frame: pl.DataFrame, industry: str, weight: str | None) -> np.ndarray:
    """Rows entering the vectors: a positive weight, or a known category for equal weights."""
    keep = pl.col(weight) > 0 if weight is not None else pl.col(industry).is_not_null()
    return frame.select(keep.fill_null(False)).to_series().to_numpy()


def _normalised_rows(
    entries: tuple[np.ndarray, np.ndarray, np.ndarray], shape: tuple[int, int], *, binary: bool
) -> Any:
    """CSR matrix of (values, rows, cols) entries with each non-empty row summing to 1.

    Repeated entries are summed, or counted once when ``binary``.
    """
    values, rows, cols = entries
    matrix = sp.csr_matrix((values, (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    if binary:
        matrix.data[:] = 1.0
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    return _scaled_rows(matrix, np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0))


def _matrix(frame: pl.DataFrame, industry: str, weight: str | None) -> ShareMatrix:
    """Row-normalised matrix of ``park_code`` (not null), ``industry`` and ``weight`` rows.

    Rows with a weight ≤ 0 or null are left out; ``weight=None`` gives each distinct non-null
    industry of a park the same weight.
    """
    mask = _kept(frame, industry, weight)
    frame, units, counts = _park_runs(frame.filter(mask))
    parks = np.repeat(np.arange(counts.size), counts)
    industries, cols = _positions(frame.get_column(industry))
    values = (
        np.ones(frame.height)
        if weight is None
        else frame.get_column(weight).cast(pl.Float64).to_numpy()
    )
    shares = _normalised_rows(
        (values, parks, cols), (units.len(), industries.len()), binary=weight is None
    )
    return ShareMatrix(
        units=tuple(units.to_list()), industries=tuple(industries.to_list()), shares=shares
    )


def _require_non_negative(structure: pl.DataFrame, measure: str) -> None:
    _refuse_negative(structure.select((pl.col(measure) < 0).sum()).item(), measure)


def _refuse_negative(negative: int, measure: str) -> None:
    """Raise for ``negative`` rows (cells) of a structure with a negative ``measure``."""
    if negative:
        raise InvalidInput(
            f"园区产业结构数据的 {measure} 有 {negative} 行为负数，无法计算结构相似系数",
            detail={"field": measure, "negative_rows": negative},
        )


def share_matrix(structure: pl.DataFrame, *, measure: str = "output_value") -> ShareMatrix:
    """Share vectors of the parks in an aggregated structure frame.

    Input: ``park_code``, ``industry`` and ``measure`` (万元 / 人), e.g.
    ``aggregate(firms, ("park_code", "province_code"), "class")``. Measures must be
    non-negative; parks whose total is 0 are left out.
    """
    _require_columns(structure, ["park_code", INDUSTRY, measure], "园区产业结构数据")
    _require_non_negative(structure, measure)
    return _matrix(structure.filter(pl.col("park_code").is_not_null()), INDUSTRY, measure)


def portfolio_matrix(declared: pl.DataFrame, *, category_column: str = "category") -> ShareMatrix:
    """Equal-weight vectors of declared portfolios: 1/|A| for each declared category of a park.

    Input: rows ``(park_code, category)``, e.g. the normaliser's output; null categories
    (items that could not be normalised) and repeats are ignored.
    """
    _require_columns(declared, ["park_code", category_column], "申报主导产业数据")
    return _matrix(declared.filter(pl.col("park_code").is_not_null()), category_column, None)


def _upper_pairs(n: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (p, q), p < q < n, of the pairs whose first member p lies in [lo, hi)."""
    first = np.arange(lo, hi)
    counts = n - 1 - first
    p = np.repeat(first, counts)
    starts = np.cumsum(counts) - counts
    q = np.arange(p.size) - np.repeat(starts, counts) + p + 1
    return p, q


def _sum_of_minima_direct(shares: Any, pair_i: np.ndarray, pair_j: np.ndarray) -> np.ndarray:
    """Σ_i min(s_ai, s_bi) = (Σ s_a + Σ s_b − Σ|s_a − s_b|) / 2 row pair by row pair (few pairs)."""
    totals = np.asarray(shares.sum(axis=1)).ravel()
    result = np.empty(len(pair_i))
    chunk = 200_000
    for start in range(0, len(pair_i), chunk):
        a = pair_i[start : start + chunk]
        b = pair_j[start : start + chunk]
        distance = np.asarray(abs(shares[a] - shares[b]).sum(axis=1)).ravel()
        result[start : start + chunk] = (totals[a] + totals[b] - distance) / 2
    return result


def _sum_of_minima(shares: Any, pair_i: np.ndarray, pair_j: np.ndarray) -> np.ndarray:
    """Σ_i min(s_ai, s_bi) for each pair (a, b) = (pair_i[k], pair_j[k]) with a < b.

    Picks the cheaper way: row differences when the pairs are few (a high threshold), else the
    accumulation over each industry's parks.
    """
    if len(pair_i) == 0:
        return np.zeros(0)
    per_column = np.diff(sp.csc_matrix(shares).indptr).astype(np.int64)
    incidences = int((per_column * (per_column - 1) // 2).sum())
    if len(pair_i) * 2 * shares.nnz / max(shares.shape[0], 1) < incidences:
        return _sum_of_minima_direct(shares, pair_i, pair_j)
    return _sum_of_minima_blocks(shares, pair_i, pair_j)


def _sum_of_minima_blocks(shares: Any, pair_i: np.ndarray, pair_j: np.ndarray) -> np.ndarray:
    """Σ_i min(s_ai, s_bi) for pairs a < b, accumulated industry by industry.

    For each industry, the minima over every pair of parks having it are added into a dense
    accumulator of (parks a of a block) × (all parks b), block by block.
    """
    n = shares.shape[0]
    result = np.zeros(len(pair_i))
    csc = sp.csc_matrix(shares)
    csc.sort_indices()
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):
        stop = min(n, start + block)
        selected = np.flatnonzero((pair_i >= start) & (pair_i < stop))
        if selected.size == 0:
            continue
        accumulator = np.zeros((stop - start) * n)
        keys: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        pending = 0
        for column in range(csc.shape[1]):
            rows = csc.indices[csc.indptr[column] : csc.indptr[column + 1]]
            lo, hi = np.searchsorted(rows, (start, stop))
            if rows.size < 2 or lo == hi:
                continue
            values = csc.data[csc.indptr[column] : csc.indptr[column + 1]]
            p, q = _upper_pairs(rows.size, int(lo), int(hi))
            keys.append((rows[p] - start) * n + rows[q])
            weights.append(np.minimum(values[p], values[q]))
            pending += p.size
            if pending >= _FLUSH_INCIDENCES:
                accumulator += np.bincount(
                    np.concatenate(keys), np.concatenate(weights), accumulator.size
                )
                keys, weights, pending = [], [], 0
        if keys:
            accumulator += np.bincount(
                np.concatenate(keys), np.concatenate(weights), accumulator.size
            )
        result[selected] = accumulator[(pair_i[selected] - start) * n + pair_j[selected]]
    return result


def _scaled_rows(matrix: Any, factors: np.ndarray) -> Any:
    """Copy of a CSR matrix with row r multiplied by ``factors[r]``."""
    scaled = matrix.copy()
    scaled.data *= np.repeat(factors, np.diff(scaled.indptr))
    return scaled


def _row_dots(matrix: Any, pair_i: np.ndarray, pair_j: np.ndarray) -> np.ndarray:
    """Dot products of CSR rows ``pair_i[k]`` and ``pair_j[k]``."""
    result = np.empty(len(pair_i))
    chunk = 200_000
    for start in range(0, len(pair_i), chunk):
        a = matrix[pair_i[start : start + chunk]]
        b = matrix[pair_j[start : start + chunk]]
        result[start : start + chunk] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return result


def _similar_rows(unit: Any, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs a < b of unit-norm, non-negative CSR rows with a positive cosine ≥ ``threshold``.

    Prefix filtering (Bayardo, Ma & Srikant 2007, "Scaling up all pairs similarity search")
    avoids the full product N·Nᵀ. Row u is split into a prefix P_u, its entries ≥ δ_u =
    t²/‖u‖₁, and the rest R_u: ‖R_u‖² < δ_u·‖u‖₁ = t², so a row v sharing no column with P_u
    has u·v ≤ ‖R_u‖ < t (no sorting is needed; a flat row keeps all its entries). The sparse
    product P·Nᵀ lists the candidates (u, v) with P_u·v; u·v ≤ P_u·v + ‖R_u‖ discards most of
    them and the exact cosine is computed for the others only. A small margin keeps rounding
    from losing a pair at exactly t; at t = 0 the prefix is the whole row and P·Nᵀ is N·Nᵀ.

    Returns ``pair_i``, ``pair_j`` (sorted by a then b) and the cosines.
    """
    n = unit.shape[0]
    rows = np.repeat(np.arange(n), np.diff(unit.indptr))
    bound = threshold * (1.0 - 1e-9)
    l1 = np.bincount(rows, weights=unit.data, minlength=n)
    cutoff = np.divide(bound * threshold, l1, out=np.full(n, np.inf), where=l1 > 0)
    in_prefix = unit.data >= cutoff[rows]
    rest = np.sqrt(np.bincount(rows[~in_prefix], weights=unit.data[~in_prefix] ** 2, minlength=n))
    prefix = sp.csr_matrix(
        (
            unit.data[in_prefix],
            unit.indices[in_prefix],
            np.concatenate(([0], np.cumsum(np.bincount(rows[in_prefix], minlength=n)))),
        ),
        shape=unit.shape,
    )
    partial = sp.csr_matrix(prefix @ unit.T)
    first = np.repeat(np.arange(n), np.diff(partial.indptr))
    candidate = (first < partial.indices) & (partial.data + rest[first] >= bound)
    pair_i = first[candidate].astype(np.int64)
    pair_j = partial.indices[candidate].astype(np.int64)
    cosine = partial.data[candidate]
    inexact = rest[pair_i] > 0
    cosine[inexact] = _row_dots(unit, pair_i[inexact], pair_j[inexact])
    keep = (cosine > 0) & (cosine >= threshold)
    pair_i, pair_j, cosine = pair_i[keep], pair_j[keep], cosine[keep]
    order = np.lexsort((pair_j, pair_i))
    return pair_i[order], pair_j[order], cosine[order]


def _pairs(
    shares: Any, min_similarity: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row pairs a < b sharing a column with S ≥ ``min_similarity``, sorted: a, b, S and K."""
    norms = np.sqrt(np.asarray(shares.multiply(shares).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    pair_i, pair_j, cosine = _similar_rows(_scaled_rows(shares, inverse), min_similarity)
    similarity = np.clip(cosine, 0.0, 1.0)
    krugman = np.clip(2.0 - 2.0 * _sum_of_minima(shares, pair_i, pair_j), 0.0, 2.0)
    return pair_i, pair_j, similarity, krugman


def _scopes(frame: pl.DataFrame, groups: list[str], counts: np.ndarray) -> pl.DataFrame:
    """The ``groups`` values of each park of a frame sorted by park (row counts ``counts``).

    Refuses a park whose rows carry different values: a run of equal values would then end
    inside the park's rows.
    """
    park_ends = np.cumsum(counts)
    values = {}
    for group in groups:
        runs = frame.get_column(group).rle().struct.unnest()
        run_ends = np.cumsum(runs.get_column("len").to_numpy())
        if not np.array_equal(park_ends[np.searchsorted(park_ends, run_ends)], run_ends):
            raise InvalidInput(
                f"同一园区对应了多个比较范围（{'、'.join(groups)}），请检查园区所属区划",
                detail={"within": groups},
            )
        first = np.searchsorted(run_ends, park_ends - counts, side="right")
        values[group] = runs.get_column("value").gather(first)
    return pl.DataFrame(values)


def _require_threshold(min_similarity: float) -> None:
    if not 0.0 <= min_similarity <= 1.0:
        raise InvalidInput(
            f"相似系数门槛应在 0–1 之间，实际为 {min_similarity}",
            detail={"field": "min_similarity", "value": min_similarity},
        )


def _scope_order(scopes: pl.DataFrame, parks: int) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Parks ordered by scope then park: the rows of the share matrix.

    ``scopes`` holds the scope columns of each park in park order (no columns: one scope).
    Returns the scope columns in matrix row order, the park of each matrix row and the scope
    number (0, 1, …) of each matrix row.
    """
    if scopes.width == 0:
        return scopes, np.arange(parks, dtype=np.int64), np.zeros(parks, dtype=np.int64)
    groups = scopes.columns
    ranked = scopes.with_row_index("park").sort([*groups, "park"])
    order = ranked.get_column("park").to_numpy().astype(np.int64)
    scope = ranked.select(pl.struct(groups).rle_id()).to_series().to_numpy().astype(np.int64)
    return ranked.select(groups), order, scope


def _scoped_shares(
    entries: tuple[np.ndarray, np.ndarray, np.ndarray],
    scope: np.ndarray,
    industries: int,
    *,
    binary: bool,
) -> Any:
    """Row-normalised matrix of (values, matrix rows, industry columns) entries whose columns
    are (scope, industry) cells, ``scope`` being the scope number of each matrix row."""
    values, rows, cols = entries
    scope_count = int(scope[-1]) + 1 if scope.size else 0
    return _normalised_rows(
        (values, rows, scope[rows] * industries + cols),
        (scope.size, scope_count * industries),
        binary=binary,
    )


def _pair_frame(
    ranked: pl.Series,
    scopes: pl.DataFrame,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> pl.DataFrame:
    """The output of :func:`pairwise_similarity` from the park codes and scope columns of the
    matrix rows and the row pairs (a, b, S, K) of :func:`_pairs`."""
    pair_i, pair_j, similarity, krugman = pairs
    frame = pl.DataFrame(
        {
            "park_a": ranked.gather(pair_i),
            "park_b": ranked.gather(pair_j),
            "similarity": similarity,
            "krugman": krugman,
        },
        schema=_PAIR_SCHEMA,
    )
    if scopes.width == 0:
        return frame
    return scopes[pair_i].hstack(frame)


def _pairwise(
    frame: pl.DataFrame,
    within: Sequence[str],
    min_similarity: float,
    *,
    industry: str,
    weight: str | None,
) -> pl.DataFrame:
    """Pairs of parks within equal ``within`` values; see :func:`pairwise_similarity`.

    All parks go into one matrix whose rows are ordered by scope then park code, and whose
    columns are (scope, industry) cells: its sparse products only pair parks of one scope, and
    row pairs in order are the output order. String codes are gathered at the very end.
    """
    _require_threshold(min_similarity)
    groups = list(within)
    _require_columns(frame, groups, "园区数据")
    keys = ["park_code", *groups]
    columns = [*keys, industry] if weight is None else [*keys, industry, weight]
    frame = frame.select(list(dict.fromkeys(columns))).filter(
        pl.all_horizontal(pl.col(keys).is_not_null())
    )
    frame, units, counts = _park_runs(frame)
    scopes = _scopes(frame, groups, counts) if groups else pl.DataFrame()
    scopes, order, scope = _scope_order(scopes, units.len())
    if weight is not None:
        _require_non_negative(frame, weight)
    mask = _kept(frame, industry, weight)
    industries, cols = _positions(frame.get_column(industry).filter(mask))
    values = (
        np.ones(cols.size)
        if weight is None
        else frame.get_column(weight).filter(mask).cast(pl.Float64).to_numpy()
    )
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    rows = np.repeat(position, np.add.reduceat(mask, np.cumsum(counts) - counts, dtype=np.int64))
    shares = _scoped_shares((values, rows, cols), scope, industries.len(), binary=weight is None)
    return _pair_frame(units.gather(order), scopes, _pairs(shares, min_similarity))


def pairwise_similarity(
    structure: pl.DataFrame,
    *,
    measure: str = "output_value",
    within: Sequence[str] = (),
    min_similarity: float = 0.0,
) -> pl.DataFrame:
    """UNIDO similarity and Krugman dissimilarity between parks' measured structures.

    Input: ``park_code``, ``industry`` (best at class level), ``measure`` (万元 / 人) and the
    ``within`` columns (e.g. ``province_code``); build it with
    ``aggregate(firms, ("park_code", "province_code", "city_code"), "class")``. With
    ``within`` only parks with equal values of those columns are compared (parks with a null
    value are not compared); without it every pair of parks is.

    Output: ``within`` columns, ``park_a`` < ``park_b``, ``similarity`` S (0–1) and
    ``krugman`` K (0–2), for pairs sharing at least one industry with S ≥ ``min_similarity``;
    absent pairs have S = 0, K = 2. Method: REFERENCE §7.3 (UNIDO), §7.2 (Krugman).
    """
    _require_columns(structure, ["park_code", INDUSTRY, measure, *within], "园区产业结构数据")
    return _pairwise(structure, within, min_similarity, industry=INDUSTRY, weight=measure)


def portfolio_similarity(
    declared: pl.DataFrame,
    *,
    category_column: str = "category",
    within: Sequence[str] = (),
    min_similarity: float = 0.0,
) -> pl.DataFrame:
    """UNIDO similarity and Krugman dissimilarity between parks' declared portfolios.

    Input: rows ``(park_code, category)`` (+ the ``within`` columns). Vectors are binary
    (equal weight per declared category), so S = |A∩B| / √(|A|·|B|): two parks declaring the
    same categories have S = 1. Output as :func:`pairwise_similarity`.
    """
    _require_columns(declared, ["park_code", category_column], "申报主导产业数据")
    return _pairwise(declared, within, min_similarity, industry=category_column, weight=None)


def pairs_above(
    structure: pl.DataFrame,
    threshold: float,
    *,
    scope: Literal["province", "city"] = "province",
    measure: str = "output_value",
) -> pl.DataFrame:
    """Pairs of parks in the same province (or the same city) with similarity ≥ ``threshold``.

    ``scope='province'`` compares parks with the same ``province_code``; ``scope='city'``
    compares neighbours: the same ``province_code`` and ``city_code``. Input and output as
    :func:`pairwise_similarity`; ``threshold`` typically ``high_similarity`` (0.9, 高度同构) of
    the similarity rule set.
    """
    return pairwise_similarity(
        structure, measure=measure, within=_scope_columns(scope), min_similarity=threshold
    )


def similarity_clusters(pairs: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Groups of near-identical parks: connected components of the graph S ≥ ``threshold``.

    Input: pairs from :func:`pairwise_similarity` / :func:`pairs_above` (``park_a``,
    ``park_b``, ``similarity``); compute them within a province to keep clusters inside one.
    Linking is single-linkage (agglomerative clustering cut at ``threshold``): two parks are in
    one cluster when a chain of pairs with S ≥ threshold joins them
    (``scipy.sparse.csgraph.connected_components``).

    Output: ``park_code``, ``cluster_id`` (the smallest park code of the cluster),
    ``cluster_size`` (≥ 2) and ``cluster_mean_similarity`` (mean S of its linking pairs);
    parks without such a pair are not listed.
    """
    _require_columns(pairs, ["park_a", "park_b", "similarity"], "园区相似对")
    edges = pairs.filter(pl.col("similarity") >= threshold)
    if edges.height == 0:
        return pl.DataFrame(schema=_CLUSTER_SCHEMA)
    nodes, ends = _positions(pl.concat([edges.get_column("park_a"), edges.get_column("park_b")]))
    a, b = ends[: edges.height], ends[edges.height :]
    return _cluster_frame(nodes, (a, b, edges.get_column("similarity").cast(pl.Float64).to_numpy()))


def _cluster_frame(
    codes: pl.Series, edges: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> pl.DataFrame:
    """:func:`similarity_clusters` of the edges (a, b, S) between parks ``codes[a]`` and
    ``codes[b]``, ``codes`` being sorted and distinct; parks without an edge are not listed."""
    a, b, similarity = edges
    if a.size == 0:
        return pl.DataFrame(schema=_CLUSTER_SCHEMA)
    n = codes.len()
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    nodes = np.flatnonzero(np.bincount(np.concatenate([a, b]), minlength=n))
    label = labels[nodes]
    smallest = np.empty(count, dtype=np.int64)
    smallest[label[::-1]] = nodes[::-1]  # nodes ascend: the first node of each label wins
    linking = labels[a]
    mean = np.bincount(linking, weights=similarity, minlength=count) / np.maximum(
        np.bincount(linking, minlength=count), 1
    )
    order = np.lexsort((nodes, smallest[label]))
    nodes, label = nodes[order], label[order]
    return pl.DataFrame(
        [
            codes.gather(nodes).alias("park_code"),
            codes.gather(smallest[label]).alias("cluster_id"),
            pl.Series("cluster_size", np.bincount(label, minlength=count)[label]).cast(pl.UInt32),
            pl.Series("cluster_mean_similarity", mean[label], dtype=pl.Float64),
        ]
    )


def _most_similar(pairs: pl.DataFrame) -> pl.DataFrame:
    both = pl.concat(
        [
            pairs.select(
                pl.col("park_a").alias("park_code"), pl.col("park_b").alias("other"), "similarity"
            ),
            pairs.select(
                pl.col("park_b").alias("park_code"), pl.col("park_a").alias("other"), "similarity"
            ),
        ]
    )
    return (
        both.sort(["park_code", "similarity", "other"], descending=[False, True, False])
        .group_by("park_code", maintain_order=True)
        .first()
        .rename({"similarity": "max_similarity", "other": "most_similar_park"})
    )


def _top_candidates(profile: pl.DataFrame, top_n: int) -> pl.Series | None:
    """Mask of a superset of each park's ``top_n`` rows by ``share``, or None if not cheap.

    Keeps the rows whose share is at least the park's ``top_n``-th largest (repeats counted;
    a null share ranks last, NaN first), found by removing each park's largest share
    ``top_n`` times. Needs the rows grouped by sorted, non-null ``park_code`` (as an aggregate
    and its location quotients come); otherwise returns None.
    """
    codes = profile.get_column("park_code")
    runs = codes.rle().struct.unnest()
    if profile.height == 0 or codes.has_nulls() or not _strictly_increasing(runs["value"]):
        return None
    counts = runs.get_column("len").to_numpy().astype(np.int64)
    key = profile.select(
        pl.col("share").cast(pl.Float64).fill_nan(np.inf).fill_null(-np.inf)
    ).to_series()
    return key >= pl.Series(np.repeat(_top_thresholds(key.to_numpy(), counts, top_n), counts))


def _top_thresholds(key: np.ndarray, counts: np.ndarray, top_n: int) -> np.ndarray:
    """Each park's ``top_n``-th largest ``key`` (repeats counted; −inf when it has fewer).

    ``key`` holds the parks' values one park after the other, ``counts[p]`` ≥ 1 of park p.
    Found by removing each park's largest value ``top_n`` times.
    """
    threshold = np.full(counts.size, -np.inf)
    if counts.size == 0:
        return threshold
    starts = np.cumsum(counts) - counts
    remaining = key.copy()
    taken = np.zeros(counts.size, dtype=np.int64)
    for _ in range(top_n):
        largest = np.maximum.reduceat(remaining, starts)
        hit = remaining == np.repeat(largest, counts)
        threshold = np.where(taken < top_n, largest, threshold)
        taken += np.add.reduceat(hit.astype(np.int64), starts)
        remaining[hit] = -np.inf
    return threshold


def _top_max_lq(profile: pl.DataFrame, top_n: int) -> pl.DataFrame:
    """``park_code`` and ``top_max_lq``, the highest LQ among its ``top_n`` largest industries."""
    candidates = _top_candidates(profile, top_n)
    if candidates is None:
        return profile.group_by("park_code").agg(
            pl.col("lq")
            .sort_by(["share", INDUSTRY], descending=[True, False], nulls_last=True)
            .head(top_n)
            .max()
            .alias("top_max_lq")
        )
    # Few candidates: one sort is cheaper than a sort within each group.
    return (
        profile.filter(candidates)
        .sort(["park_code", "share", INDUSTRY], descending=[False, True, False], nulls_last=True)
        .group_by("park_code", maintain_order=True)
        .agg(pl.col("lq").head(top_n).max().alias("top_max_lq"))
    )


def low_level_homogeneity(
    pairs: pl.DataFrame,
    profile: pl.DataFrame,
    rules: SimilarityRules,
    *,
    per_mu: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """低水平同质化 flag per park: similar to a neighbour, without advantage, (and low 亩均).

    Input:

    * ``pairs`` — :func:`pairwise_similarity` output computed within provinces (or cities): it
      must carry ``province_code``;
    * ``profile`` — each park's industries with ``park_code``, ``industry``, ``share`` (0–1)
      and ``lq`` (区位熵 against its province), i.e. :func:`location_quotient` output;
    * ``per_mu`` — optional ``park_code``, ``province_code``, ``tax_per_mu`` (亩均税收, 万元/亩).

    Conditions (thresholds from ``rules``, REFERENCE §7.3 "high S with low LQ signals
    低水平同质化竞争"):

    * ``high_similarity`` — max S to another park in scope ≥ ``rules.high_similarity``;
    * ``low_lq`` — the highest LQ among the park's ``low_level.top_n`` largest industries <
      ``low_level.max_lq``;
    * ``low_per_mu`` — ``tax_per_mu`` < the province's median × ``low_level.per_mu_factor``
      (null when ``per_mu`` is not given or the park has no value).

    Output, one row per park of ``profile``: ``park_code``, ``max_similarity`` (0 without any
    pair), ``most_similar_park``, ``top_max_lq``, the three conditions and
    ``low_level_homogeneity`` = high_similarity ∧ low_lq ∧ (low_per_mu when ``per_mu`` is
    given); an unknown condition never raises the flag.
    """
    _require_columns(pairs, ["province_code", "park_a", "park_b", "similarity"], "园区相似对")
    _require_columns(profile, ["park_code", INDUSTRY, "share", "lq"], "园区区位熵数据")
    top_lq = _top_max_lq(profile, rules.low_level.top_n.value)
    return _flag_frame(top_lq.join(_most_similar(pairs), on="park_code", how="left"), rules, per_mu)


def _flag_frame(
    parks: pl.DataFrame, rules: SimilarityRules, per_mu: pl.DataFrame | None
) -> pl.DataFrame:
    """The output of :func:`low_level_homogeneity` from one row per park: ``park_code``,
    ``top_max_lq``, ``max_similarity`` (null: no pair) and ``most_similar_park``."""
    result = parks.with_columns(
        pl.col("max_similarity").fill_null(0.0),
        (pl.col("max_similarity").fill_null(0.0) >= rules.high_similarity.value).alias(
            "high_similarity"
        ),
        (pl.col("top_max_lq") < rules.low_level.max_lq.value).alias("low_lq"),
    )
    flag = pl.col("high_similarity") & pl.col("low_lq").fill_null(False)
    if per_mu is None:
        result = result.with_columns(pl.lit(None, dtype=pl.Boolean).alias("low_per_mu"))
    else:
        _require_columns(per_mu, ["park_code", "province_code", "tax_per_mu"], "亩均效益数据")
        factor = rules.low_level.per_mu_factor.value
        low = per_mu.select(
            "park_code",
            (
                pl.col("tax_per_mu") < pl.col("tax_per_mu").median().over("province_code") * factor
            ).alias("low_per_mu"),
        )
        result = result.join(low, on="park_code", how="left")
        flag = flag & pl.col("low_per_mu").fill_null(False)
    return result.select(
        "park_code",
        "max_similarity",
        "most_similar_park",
        "top_max_lq",
        "high_similarity",
        "low_lq",
        "low_per_mu",
        flag.alias("low_level_homogeneity"),
    ).sort("park_code")


@dataclass(frozen=True)
class HomogeneityResult:
    """Frames of :func:`park_homogeneity`: similar pairs, clusters and per-park flags."""

    pairs: pl.DataFrame
    clusters: pl.DataFrame
    flags: pl.DataFrame


def park_homogeneity(
    firms: FirmData,
    rules: SimilarityRules,
    *,
    class_map: pl.DataFrame | None = None,
    per_mu: pl.DataFrame | None = None,
) -> HomogeneityResult:
    """The whole homogeneity analysis of a rule set, from firm-level data.

    Input ``firms``: ``park_code`` (null outside parks), ``province_code``, ``city_code``,
    ``industry_code`` (4-digit) and ``rules.measure`` (万元 / 人), one period. ``class_map``
    for the ``section``/``category`` levels; ``per_mu`` as in :func:`low_level_homogeneity`.

    Steps: aggregate parks at ``rules.level``; pairs within ``rules.scope`` with S ≥
    ``considerable_similarity``; clusters at ``cluster_similarity``; 区位熵 against each
    province's firms (in and out of parks); the 低水平同质化 flags.

    ``firms`` may be an :class:`~parkhq.analysis.cube.IndustryCube`: the same frames are then
    read off its parks × industries matrices, without building the aggregate frames.
    """
    if isinstance(firms, IndustryCube) and _dense_measure(firms.dtypes.get(rules.measure)):
        return _cube_homogeneity(firms, rules, class_map, per_mu)
    measure = rules.measure
    structure = aggregate(in_parks(firms), _PARK_KEYS, rules.level, measure, class_map=class_map)
    pairs = pairs_above(
        structure, rules.considerable_similarity.value, scope=rules.scope, measure=measure
    )
    province = aggregate(firms, ("province_code",), rules.level, measure, class_map=class_map)
    profile = _top_profile(structure, province, measure, rules.low_level.top_n.value)
    return HomogeneityResult(
        pairs=pairs,
        clusters=similarity_clusters(pairs, rules.cluster_similarity.value),
        flags=low_level_homogeneity(pairs, profile, rules, per_mu=per_mu),
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, else NaN (null)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _park_totals(park: np.ndarray, values: np.ndarray, parks: int) -> np.ndarray:
    """Each park's total of its rows' ``values`` (NaN counts 0), summed in row order.

    Summed one row after the other, so that leaving out rows of value 0 gives the very same
    totals: the frame and cube paths agree to the last bit.
    """
    return np.bincount(park, weights=np.nan_to_num(values), minlength=parks)


def _top_profile(
    structure: pl.DataFrame, province: pl.DataFrame, measure: str, top_n: int
) -> pl.DataFrame:
    """The rows of :func:`location_quotient` (parks against their province) that the
    低水平同质化 flag reads: each park's ``top_n`` largest industries (a superset of them).

    Shares use every row of the park; the 区位熵 is then computed for the kept rows only
    (s_ri / S_i, the same numbers as :func:`location_quotient`). ``province`` is an aggregate
    by ``province_code`` (rows grouped by province).
    """
    columns = structure.select("park_code", "province_code", INDUSTRY, measure)
    if columns.height == 0:
        return location_quotient(structure.drop("city_code"), province, measure=measure)
    frame, _, counts = _park_runs(columns)
    values = frame.get_column(measure).cast(pl.Float64).fill_null(np.nan).to_numpy()
    park = np.repeat(np.arange(counts.size), counts)
    share = _ratio(values, _park_totals(park, values, counts.size)[park])
    shares = frame.with_columns(pl.Series("share", share).fill_nan(None))
    candidates = _top_candidates(shares, top_n)
    if candidates is None:
        return location_quotient(structure.drop("city_code"), province, measure=measure)
    region = province.select(pl.col("province_code").rle_id()).to_series().to_numpy()
    reference = province.get_column(measure).cast(pl.Float64).to_numpy()
    totals = np.bincount(region, weights=reference)
    references = province.select(
        "province_code",
        INDUSTRY,
        pl.Series("reference_share", _ratio(reference, totals[region])).fill_nan(None),
    )
    top = shares.filter(candidates).join(
        references, on=["province_code", INDUSTRY], how="left", maintain_order="left"
    )
    lq = _ratio(
        top.get_column("share").fill_null(np.nan).to_numpy(),
        top.get_column("reference_share").fill_null(np.nan).to_numpy(),
    )
    return top.with_columns(pl.Series("lq", lq).fill_nan(None))


# --------------------------------------------------------------------------- cube path


def _dense_measure(dtype: pl.DataType | None) -> bool:
    """Whether the aggregate frame holds a cube's float64 sums of the measure as they are
    (Float64, or Int64 whose float sums are whole), or the measure is unknown (reading it
    raises the aggregate's error)."""
    return dtype is None or dtype in (pl.Float64, pl.Int64)


@dataclass(frozen=True)
class _Cells:
    """The non-zero cells of a groups × industries matrix, row-major: rows, columns, values."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


def _nonzero_cells(grouped: Grouped, measure: str) -> _Cells:
    matrix = grouped.values[measure]
    flat = np.flatnonzero(matrix != 0)
    rows, cols = np.divmod(flat, max(matrix.shape[1], 1))
    return _Cells(rows, cols, matrix.ravel()[flat])


def _cube_homogeneity(
    cube: IndustryCube,
    rules: SimilarityRules,
    class_map: pl.DataFrame | None,
    per_mu: pl.DataFrame | None,
) -> HomogeneityResult:
    """:func:`park_homogeneity` of a cube, on its parks × industries matrix.

    The structure aggregate's rows are the matrix cells with firms; a cell of value 0 adds
    nothing to shares, sums or pairs, so only the non-zero cells are read (all cells with firms
    of the few parks whose top industries include one of value 0). The matrix rows are parks
    sorted by code; string codes are gathered once, for the output frames.
    """
    measure = rules.measure
    parks = cube.in_parks().grouped(_PARK_KEYS, rules.level, measure, class_map=class_map)
    cells = _nonzero_cells(parks, measure)
    codes = parks.groups.get_column("park_code")
    pairs, a, b, similarity = _cube_pairs(
        parks, cells, rules.considerable_similarity.value, _scope_columns(rules.scope), measure
    )
    province = cube.grouped(("province_code",), rules.level, measure, class_map=class_map)
    top_max_lq = _cube_top_max_lq(parks, province, cells, measure, rules.low_level.top_n.value)
    listed = np.flatnonzero(parks.firm_counts.sum(axis=1) > 0)
    best, other = _most_similar_rows(a, b, similarity, codes.len())
    flags = pl.DataFrame(
        [
            codes.gather(listed),
            pl.Series("top_max_lq", top_max_lq[listed], dtype=pl.Float64).fill_nan(None),
            pl.Series("max_similarity", best[listed], dtype=pl.Float64),
            codes.gather(pl.Series(np.ma.masked_less(other[listed], 0))).alias("most_similar_park"),
        ]
    )
    linking = similarity >= rules.cluster_similarity.value
    return HomogeneityResult(
        pairs=pairs,
        clusters=_cluster_frame(codes, (a[linking], b[linking], similarity[linking])),
        flags=_flag_frame(flags, rules, per_mu),
    )


def _scope_columns(scope: Literal["province", "city"]) -> tuple[str, ...]:
    return ("province_code",) if scope == "province" else ("province_code", "city_code")


def _cube_pairs(
    parks: Grouped, cells: _Cells, min_similarity: float, within: Sequence[str], measure: str
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`pairs_above` of the parks' matrix, and its pairs as park rows a, b with their S.

    The share matrix is the one :func:`_pairwise` builds from the aggregate frame: the same
    rows (parks with known scope, by scope then code), entries and column order.
    """
    _require_threshold(min_similarity)
    known = (
        parks.groups.select(pl.all_horizontal(pl.col(["park_code", *within]).is_not_null()))
        .to_series()
        .to_numpy()
    )
    members = np.flatnonzero(known)
    scopes = parks.groups.select(within).filter(pl.Series(known))
    scopes, order, scope = _scope_order(scopes, members.size)
    counted = known[cells.rows]
    _refuse_negative(int(np.count_nonzero(cells.values[counted] < 0)), measure)
    kept = counted & (cells.values > 0)
    cols = cells.cols[kept]
    present = np.flatnonzero(np.bincount(cols, minlength=parks.industries.len()))
    renumber = np.zeros(parks.industries.len(), dtype=np.int64)
    renumber[present] = np.arange(present.size)
    ranked = members[order]
    position = np.zeros(known.size, dtype=np.int64)
    position[ranked] = np.arange(ranked.size)
    shares = _scoped_shares(
        (cells.values[kept], position[cells.rows[kept]], renumber[cols]),
        scope,
        present.size,
        binary=False,
    )
    pairs = _pairs(shares, min_similarity)
    codes = parks.groups.get_column("park_code")
    frame = _pair_frame(codes.gather(ranked), scopes, pairs)
    return frame, ranked[pairs[0]], ranked[pairs[1]], pairs[2]


def _most_similar_rows(
    a: np.ndarray, b: np.ndarray, similarity: np.ndarray, parks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each park's highest S and the other park of that pair (on a tie the smaller code), as
    :func:`_most_similar`, for pairs of park rows (a, b): 0 and −1 for a park without a pair."""
    park = np.concatenate([a, b])
    other = np.concatenate([b, a])
    both = np.concatenate([similarity, similarity])
    order = np.lexsort((other, -both, park))
    park, other, both = park[order], other[order], both[order]
    first = np.flatnonzero(np.diff(park, prepend=-1))
    best = np.zeros(parks)
    partner = np.full(parks, -1, dtype=np.int64)
    best[park[first]] = both[first]
    partner[park[first]] = other[first]
    return best, partner


def _cube_top_max_lq(
    parks: Grouped, province: Grouped, cells: _Cells, measure: str, top_n: int
) -> np.ndarray:
    """Each park's ``top_max_lq`` (NaN: null), as :func:`_top_profile` and :func:`_top_max_lq`
    give it: the highest 区位熵 among its ``top_n`` industries by share (descending, null last),
    then industry code.

    A park with at least ``top_n`` positive shares has its top industries among them (the
    non-zero cells); for the others, all their cells with firms are ranked, zeros included.
    """
    n = parks.firm_counts.shape[0]
    totals = _park_totals(cells.rows, cells.values, n)
    share = _ratio(cells.values, totals[cells.rows])
    positive = share > 0
    counts = np.bincount(cells.rows[positive], minlength=n)
    full = counts >= top_n
    chosen = positive & full[cells.rows]
    key = share[chosen]
    near = key >= np.repeat(_top_thresholds(key, counts[full], top_n), counts[full])
    short = np.flatnonzero(~full & (totals > 0))
    short_rows, short_cols = np.nonzero(parks.firm_counts[short])
    short_rows = short[short_rows]
    short_values = parks.values[measure][short_rows, short_cols]
    rows = np.concatenate([cells.rows[chosen][near], short_rows])
    cols = np.concatenate([cells.cols[chosen][near], short_cols])
    shares = np.concatenate([key[near], _ratio(short_values, totals[short_rows])])
    order = np.lexsort((cols, -shares, rows))  # NaN (null) shares sort last
    rows, cols, shares = rows[order], cols[order], shares[order]
    starts = np.flatnonzero(np.diff(rows, prepend=-1))
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.append(starts, rows.size)))
    top = rank < top_n
    rows, cols, shares = rows[top], cols[top], shares[top]
    lq = _ratio(shares, _cube_reference_shares(parks, province, measure, rows, cols))
    result = np.full(n, np.nan)
    if rows.size:
        starts = np.flatnonzero(np.diff(rows, prepend=-1))
        result[rows[starts]] = np.fmax.reduceat(lq, starts)
    return result


def _cube_reference_shares(
    parks: Grouped, province: Grouped, measure: str, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """S_i = x_i / X of the province of park row ``rows[k]`` in industry ``cols[k]`` (NaN
    for a park without province or a province total ≤ 0), summed as :func:`_top_profile`."""
    found = (
        parks.groups.select("province_code")
        .join(
            province.groups.with_row_index("region"),
            on="province_code",
            how="left",
            maintain_order="left",
        )
        .get_column("region")
    )
    region = found.fill_null(-1).cast(pl.Int64).to_numpy()[rows]
    known = region >= 0
    region = np.where(known, region, 0)
    columns = _industry_columns(parks.industries, province.industries)[cols]
    cells = _nonzero_cells(province, measure)
    totals = np.bincount(cells.rows, weights=cells.values, minlength=province.groups.height)
    values = province.values[measure][region, columns]
    return np.where(known, _ratio(values, totals[region]), np.nan)


def _industry_columns(industries: pl.Series, reference: pl.Series) -> np.ndarray:
    """The column of each of ``industries`` among ``reference`` (sorted, a superset of them:
    at the ``section``/``category`` levels a cube's industries are those of its classes)."""
    if industries.equals(reference):
        return np.arange(industries.len())
    return np.searchsorted(reference.to_numpy(), industries.to_numpy())
