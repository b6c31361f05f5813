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

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp

from parkhq.analysis.complexity import ComplexityConfig, ComplexityResult, complexity
from parkhq.analysis.structure import INDUSTRY, aggregate
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


def _require_columns(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
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
    firms: pl.DataFrame, *, level: ExtensionLevel = "group", measure: str = "output_value"
) -> pl.DataFrame:
    """Park × activity totals, the input of :func:`parkhq.analysis.complexity.complexity`.

    Input ``firms``: ``park_code`` (null outside parks — those firms are left out),
    ``industry_code`` (4-digit GB/T 4754 class) and ``measure`` (万元, or 人 for employees).
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
    in_parks = firms.filter(pl.col("park_code").is_not_null())
    summed = aggregate(in_parks, ("park_code",), level, measure)
    return summed.select(
        pl.col("park_code").alias("location"),
        pl.col(INDUSTRY).alias("activity"),
        pl.col(measure).fill_null(0.0).cast(pl.Float64).alias("value"),
    )


def park_complexity(firms: pl.DataFrame, rules: ExtensionRules) -> ComplexityResult | None:
    """Relatedness and complexity of parks × activities at ``rules.level`` / ``rules.measure``.

    Input as :func:`park_activity_table`. Returns ``None`` when fewer than two parks or two
    activities have a positive total (relatedness is then undefined); otherwise the
    :class:`~parkhq.analysis.complexity.ComplexityResult` with ``rules.rca_threshold``.
    """
    table = park_activity_table(firms, level=rules.level, measure=rules.measure)
    positive = table.filter(pl.col("value") > 0)
    parks = positive.group_by("location").agg(pl.col("value").sum()).height
    activities = positive.group_by("activity").agg(pl.col("value").sum()).height
    if parks < 2 or activities < 2:
        return None
    config = ComplexityConfig(rca_threshold=rules.rca_threshold.value)
    return complexity(table, location="location", activity="activity", value="value", config=config)


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
            pl.col("park_code").alias("location"),
            pl.col("city_code").cast(pl.String),
            pl.col("province_code").cast(pl.String),
        )
        .unique("location", keep="first")
    )

    def pairs(key: str) -> pl.DataFrame:
        keyed = units.filter(pl.col(key).is_not_null()).select("location", key)
        return (
            keyed.join(keyed.rename({"location": "neighbour"}), on=key, how="inner")
            .filter(pl.col("location") != pl.col("neighbour"))
            .select("location", "neighbour", pl.lit(key.removesuffix("_code")).alias("basis"))
        )

    city = pairs("city_code")
    if rules.scope == "city":
        chosen = city
    elif rules.scope == "province":
        chosen = pairs("province_code")
    else:
        enough = (
            city.group_by("location")
            .len()
            .filter(pl.col("len") >= rules.min_neighbours.value)
            .select("location")
        )
        chosen = pl.concat(
            [
                city.join(enough, on="location", how="semi"),
                pairs("province_code").join(enough, on="location", how="anti"),
            ]
        )
    return chosen.cast(_NEIGHBOUR_SCHEMA).sort("location", "neighbour")  # type: ignore[arg-type]


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


@dataclass(frozen=True)
class _Presence:
    """Dense M (locations × activities) and φ (activities × activities) over sorted codes."""

    locations: pl.Series
    activities: pl.Series
    m: npt.NDArray[np.float64]
    phi: npt.NDArray[np.float64]

    @classmethod
    def of(cls, result: ComplexityResult) -> _Presence:
        cells = result.cells
        locations = cells.get_column("location").unique().sort()
        activities = cells.get_column("activity").unique().sort()
        present = cells.filter(pl.col("m") == 1)
        m = np.zeros((locations.len(), activities.len()))
        m[
            _positions(present, "location", locations), _positions(present, "activity", activities)
        ] = 1
        edges = result.proximity.filter(
            pl.col("activity_1").is_in(activities.implode())
            & pl.col("activity_2").is_in(activities.implode())
        )
        phi = np.zeros((activities.len(), activities.len()))
        first = _positions(edges, "activity_1", activities)
        second = _positions(edges, "activity_2", activities)
        weights = edges.get_column("proximity").cast(pl.Float64).to_numpy()
        # φ is symmetric; the edge list may hold one triangle or both orders.
        phi[first, second] = weights
        phi[second, first] = weights
        np.fill_diagonal(phi, 0.0)
        return cls(locations=locations, activities=activities, m=m, phi=phi)


def _positions(frame: pl.DataFrame, column: str, codes: pl.Series) -> npt.NDArray[np.int64]:
    """Position of each value of ``frame[column]`` among the sorted ``codes`` (all present)."""
    found = frame.get_column(column).cast(pl.Enum(codes.to_list())).to_physical().to_numpy()
    return found.astype(np.int64)


def _holder_counts(
    presence: _Presence, neighbours: pl.DataFrame, wanted: pl.DataFrame
) -> pl.DataFrame:
    """``location``, ``activity``, ``holders``: how many neighbours have M = 1 (Σ over pairs)."""
    pairs = neighbours.join(wanted, on="location", how="semi").filter(
        pl.col("neighbour").is_in(presence.locations.implode())
    )
    codes = pairs.get_column("location").unique().sort()
    adjacency = sp.csr_matrix(
        (
            np.ones(pairs.height),
            (
                _positions(pairs, "location", codes),
                _positions(pairs, "neighbour", presence.locations),
            ),
        ),
        shape=(codes.len(), presence.locations.len()),
    )
    counts = np.asarray(adjacency @ presence.m)
    rows, cols = np.nonzero(counts)
    return pl.DataFrame(
        {
            "location": codes.gather(rows),
            "activity": presence.activities.gather(cols),
            "holders": counts[rows, cols],
        }
    )


def _holder_lists(
    chosen: pl.DataFrame, presence: _Presence, neighbours: pl.DataFrame
) -> pl.DataFrame:
    """Per suggestion, the neighbours with M = 1 in its activity (sorted)."""
    pairs = (
        chosen.select("location", "activity")
        .join(neighbours.select("location", "neighbour"), on="location", how="inner")
        .filter(pl.col("neighbour").is_in(presence.locations.implode()))
    )
    held = presence.m[
        _positions(pairs, "neighbour", presence.locations),
        _positions(pairs, "activity", presence.activities),
    ]
    return (
        pairs.filter(pl.Series(held > 0))
        .group_by("location", "activity")
        .agg(pl.col("neighbour").sort().alias("neighbour_holders"))
    )


_EXPLAIN_CHUNK = 20_000


def _explanations(chosen: pl.DataFrame, presence: _Presence, top: int) -> pl.DataFrame:
    """Per suggestion, the ``top`` present activities closest to it (φ descending, then code).

    Row k of the work matrix is φ[p_k, :] masked by the park's presence M[c_k, :]; a stable
    descending sort keeps ties in code order.
    """
    rows = _positions(chosen, "location", presence.locations)
    cols = _positions(chosen, "activity", presence.activities)
    parts = []
    for start in range(0, len(rows), _EXPLAIN_CHUNK):
        work = (
            presence.phi[cols[start : start + _EXPLAIN_CHUNK]]
            * presence.m[rows[start : start + _EXPLAIN_CHUNK]]
        )
        width = min(top, work.shape[1])
        order = np.argsort(-work, axis=1, kind="stable")[:, :width]
        best = np.take_along_axis(work, order, axis=1)
        keep = best.ravel() > 0
        parts.append(
            pl.DataFrame(
                {
                    "row": np.repeat(np.arange(start, start + len(order)), width)[keep],
                    "related": presence.activities.gather(order.ravel()[keep]),
                    "proximity": best.ravel()[keep],
                }
            )
        )
    flat = pl.concat(parts) if parts else pl.DataFrame()
    if flat.height == 0:
        return pl.DataFrame(
            schema={
                "location": pl.String(),
                "activity": pl.String(),
                "related_activities": pl.List(pl.String()),
                "related_proximity": pl.List(pl.Float64()),
            }
        )
    lists = flat.group_by("row", maintain_order=True).agg(
        pl.col("related").alias("related_activities"),
        pl.col("proximity").alias("related_proximity"),
    )
    return (
        chosen.select("location", "activity")
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(lists.with_columns(pl.col("row").cast(pl.Int64)), on="row", how="inner")
        .drop("row")
    )


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
    cells = result.cells
    if locations is not None:
        wanted = pl.DataFrame({"location": list(locations)}, schema={"location": pl.String()})
    else:
        wanted = cells.select("location").unique()
    neighbours = neighbours.select(
        pl.col("location").cast(pl.String), pl.col("neighbour").cast(pl.String)
    )
    presence = _Presence.of(result)
    counts = neighbours.group_by("location").agg(pl.len().cast(pl.UInt32).alias("neighbours"))
    alpha = rules.density_exponent.value
    beta = rules.complexity_exponent.value
    penalty = rules.overlap_penalty.value
    share = (
        pl.when(pl.col("neighbours") > 0)
        .then(pl.col("holders") / pl.col("neighbours"))
        .otherwise(0.0)
    )
    candidates = (
        cells.join(wanted, on="location", how="semi")
        .filter(
            (pl.col("m") == 0)
            & pl.col("density").is_not_null()
            & (pl.col("density") >= rules.min_density.value)
            & (pl.col("density") > 0)
        )
        .join(complexity_term(result, rules), on=["location", "activity"], how="left")
        .join(result.activities.select("activity", "pci"), on="activity", how="left")
        .join(result.locations.select("location", "eci"), on="location", how="left")
        .join(counts, on="location", how="left")
        .join(_holder_counts(presence, neighbours, wanted), on=["location", "activity"], how="left")
        .with_columns(pl.col("neighbours").fill_null(0), pl.col("holders").fill_null(0.0))
        .with_columns(share.alias("overlap"))
        .with_columns(
            (
                pl.col("density").pow(alpha)
                * pl.col("complexity").pow(beta)
                * (1.0 - penalty * pl.col("overlap"))
            ).alias("score")
        )
        .sort(["location", "score", "activity"], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("location").alias("rank"))
        .filter(pl.col("rank") <= rules.top_n.value)
    )
    empty_text = pl.lit([], dtype=pl.List(pl.String))
    suggestions = (
        candidates.join(
            _explanations(candidates, presence, rules.explain_top.value),
            on=["location", "activity"],
            how="left",
        )
        .join(
            _holder_lists(candidates, presence, neighbours), on=["location", "activity"], how="left"
        )
        .with_columns(
            pl.col("neighbour_holders").fill_null(empty_text),
            pl.col("related_activities").fill_null(empty_text),
            pl.col("related_proximity").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
            (pl.col("pci") > pl.col("eci")).fill_null(False).alias("raises_complexity"),
        )
        .select(list(SUGGESTION_SCHEMA))
        .cast(SUGGESTION_SCHEMA)  # type: ignore[arg-type]
        .sort("location", "rank")
    )
    return ExtensionResult(suggestions=suggestions, neighbours=neighbours)
