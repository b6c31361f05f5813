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
matrix, K = 2 − 2·Σ_i min(s_ji, s_ki) accumulated over each industry's parks. At class level,
3,000 parks take under a second within provinces and a few seconds for all pairs. Only pairs
sharing at least one industry are returned; any pair absent from the output has S = 0 and K = 2.

Declared portfolios (申报主导产业) are compared the same way on binary category vectors: S is then
|A∩B| / √(|A|·|B|) and K uses equal weights 1/|A| per declared category.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from parkhq.analysis.structure import INDUSTRY, aggregate, location_quotient
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


def _matrix(frame: pl.DataFrame, value: str) -> ShareMatrix:
    """Sparse row-normalised matrix from ``park_code``, ``industry``, ``value`` (> 0) rows."""
    summed = (
        frame.filter(pl.col(value) > 0)
        .group_by("park_code", INDUSTRY)
        .agg(pl.col(value).sum())
        .with_columns(
            (pl.col("park_code").rank("dense") - 1).alias("row"),
            (pl.col(INDUSTRY).rank("dense") - 1).alias("col"),
        )
    )
    units = tuple(summed.get_column("park_code").unique().sort().to_list())
    industries = tuple(summed.get_column(INDUSTRY).unique().sort().to_list())
    matrix = sp.csr_matrix(
        (
            summed.get_column(value).cast(pl.Float64).to_numpy(),
            (summed.get_column("row").to_numpy(), summed.get_column("col").to_numpy()),
        ),
        shape=(len(units), len(industries)),
    )
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    inverse = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    shares = sp.csr_matrix(sp.diags(inverse) @ matrix)
    shares.sort_indices()
    return ShareMatrix(units=units, industries=industries, shares=shares)


def share_matrix(structure: pl.DataFrame, *, measure: str = "output_value") -> ShareMatrix:
    """Share vectors of the parks in an aggregated structure frame.

    Input: ``park_code``, ``industry`` and ``measure`` (万元 / 人), e.g.
    ``aggregate(firms, ("park_code", "province_code"), "class")``. Measures must be
    non-negative; parks whose total is 0 are left out.
    """
    _require_columns(structure, ["park_code", INDUSTRY, measure], "园区产业结构数据")
    negative = structure.select((pl.col(measure) < 0).sum()).item()
    if negative:
        raise InvalidInput(
            f"园区产业结构数据的 {measure} 有 {negative} 行为负数，无法计算结构相似系数",
            detail={"field": measure, "negative_rows": negative},
        )
    return _matrix(structure.filter(pl.col("park_code").is_not_null()), measure)


def portfolio_matrix(declared: pl.DataFrame, *, category_column: str = "category") -> ShareMatrix:
    """Equal-weight vectors of declared portfolios: 1/|A| for each declared category of a park.

    Input: rows ``(park_code, category)``, e.g. the normaliser's output; null categories
    (items that could not be normalised) and repeats are ignored.
    """
    _require_columns(declared, ["park_code", category_column], "申报主导产业数据")
    rows = (
        declared.filter(pl.col("park_code").is_not_null() & pl.col(category_column).is_not_null())
        .select("park_code", pl.col(category_column).alias(INDUSTRY))
        .unique()
        .with_columns(pl.lit(1.0).alias("weight"))
    )
    return _matrix(rows, "weight")


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


def _pairs(matrix: ShareMatrix, min_similarity: float) -> pl.DataFrame:
    """All pairs a < b sharing an industry with S ≥ ``min_similarity``: S and K."""
    shares = matrix.shares
    if shares.shape[0] < 2:
        return pl.DataFrame(schema=_PAIR_SCHEMA)
    norms = np.sqrt(np.asarray(shares.multiply(shares).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    normalised = sp.csr_matrix(sp.diags(inverse) @ shares)
    product = (normalised @ normalised.T).tocoo()
    keep = (product.row < product.col) & (product.data > 0) & (product.data >= min_similarity)
    pair_i = product.row[keep].astype(np.int64)
    pair_j = product.col[keep].astype(np.int64)
    order = np.lexsort((pair_j, pair_i))
    pair_i, pair_j = pair_i[order], pair_j[order]
    similarity = np.clip(product.data[keep][order], 0.0, 1.0)
    krugman = np.clip(2.0 - 2.0 * _sum_of_minima(shares, pair_i, pair_j), 0.0, 2.0)
    units = pl.Series(matrix.units, dtype=pl.String)
    return pl.DataFrame(
        {
            "park_a": units.gather(pair_i),
            "park_b": units.gather(pair_j),
            "similarity": similarity,
            "krugman": krugman,
        },
        schema=_PAIR_SCHEMA,
    )


def _pairwise(
    frame: pl.DataFrame,
    within: Sequence[str],
    build: Callable[[pl.DataFrame], ShareMatrix],
    min_similarity: float,
) -> pl.DataFrame:
    if not 0.0 <= min_similarity <= 1.0:
        raise InvalidInput(
            f"相似系数门槛应在 0–1 之间，实际为 {min_similarity}",
            detail={"field": "min_similarity", "value": min_similarity},
        )
    groups = list(within)
    if not groups:
        return _pairs(build(frame), min_similarity)
    _require_columns(frame, groups, "园区数据")
    frame = frame.filter(pl.all_horizontal(pl.col(groups).is_not_null()))
    spread = frame.group_by("park_code").agg(pl.struct(groups).n_unique().alias("n"))
    if spread.filter(pl.col("n") > 1).height:
        raise InvalidInput(
            f"同一园区对应了多个比较范围（{'、'.join(groups)}），请检查园区所属区划",
            detail={"within": groups},
        )
    parts = []
    for part in frame.partition_by(groups, maintain_order=False):
        pairs = _pairs(build(part), min_similarity)
        if pairs.height:
            labels = part.select(groups).row(0)
            parts.append(
                pairs.with_columns(
                    pl.lit(v, dtype=frame.schema[g]).alias(g)
                    for g, v in zip(groups, labels, strict=True)
                )
            )
    if not parts:
        schema = {**{g: frame.schema[g] for g in groups}, **_PAIR_SCHEMA}
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).select(*groups, *_PAIR_SCHEMA).sort([*groups, "park_a", "park_b"])


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
    if within:
        _require_columns(structure, ["park_code", INDUSTRY, measure, *within], "园区产业结构数据")
    return _pairwise(
        structure, within, lambda part: share_matrix(part, measure=measure), min_similarity
    )


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
    return _pairwise(
        declared,
        within,
        lambda part: portfolio_matrix(part, category_column=category_column),
        min_similarity,
    )


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
    within = ("province_code",) if scope == "province" else ("province_code", "city_code")
    return pairwise_similarity(structure, measure=measure, within=within, min_similarity=threshold)


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
    schema: dict[str, pl.DataType] = {
        "park_code": pl.String(),
        "cluster_id": pl.String(),
        "cluster_size": pl.UInt32(),
        "cluster_mean_similarity": pl.Float64(),
    }
    if edges.height == 0:
        return pl.DataFrame(schema=schema)
    nodes = pl.concat([edges.get_column("park_a"), edges.get_column("park_b")]).unique().sort()
    index = {code: i for i, code in enumerate(nodes.to_list())}
    a = np.fromiter((index[c] for c in edges.get_column("park_a")), dtype=np.int64)
    b = np.fromiter((index[c] for c in edges.get_column("park_b")), dtype=np.int64)
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    members = pl.DataFrame({"park_code": nodes, "label": labels.astype(np.int64)})
    mean_similarity = (
        edges.with_columns(pl.Series("label", labels[a].astype(np.int64)))
        .group_by("label")
        .agg(pl.col("similarity").mean().alias("cluster_mean_similarity"))
    )
    return (
        members.with_columns(
            pl.col("park_code").min().over("label").alias("cluster_id"),
            pl.len().over("label").cast(pl.UInt32).alias("cluster_size"),
        )
        .join(mean_similarity, on="label", how="left")
        .select(*schema)
        .sort("cluster_id", "park_code")
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
    top_n = rules.low_level.top_n.value
    top_lq = profile.group_by("park_code").agg(
        pl.col("lq")
        .sort_by(["share", INDUSTRY], descending=[True, False], nulls_last=True)
        .head(top_n)
        .max()
        .alias("top_max_lq")
    )
    result = top_lq.join(_most_similar(pairs), on="park_code", how="left").with_columns(
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
    firms: pl.DataFrame,
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
    """
    measure = rules.measure
    in_parks = firms.filter(pl.col("park_code").is_not_null())
    structure = aggregate(
        in_parks,
        ("park_code", "province_code", "city_code"),
        rules.level,
        measure,
        class_map=class_map,
    )
    pairs = pairs_above(
        structure, rules.considerable_similarity.value, scope=rules.scope, measure=measure
    )
    province = aggregate(firms, ("province_code",), rules.level, measure, class_map=class_map)
    profile = location_quotient(structure.drop("city_code"), province, measure=measure)
    return HomogeneityResult(
        pairs=pairs,
        clusters=similarity_clusters(pairs, rules.cluster_similarity.value),
        flags=low_level_homogeneity(pairs, profile, rules, per_mu=per_mu),
    )
