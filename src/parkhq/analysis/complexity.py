"""Relatedness and economic complexity for any location × activity table.

The same mathematics serves parks × industries (园区 × 行业, e.g. 工业总产值 in 万元 or 从业人员 in
人) and countries × products (exports in USD): it only needs one non-negative, additive quantity
per (location, activity) pair, measured in a single unit across the whole table.

Method and sources
------------------
* RCA (revealed comparative advantage, 区位熵) — Balassa, B. (1965) "Trade liberalisation and
  revealed comparative advantage", *The Manchester School* 33(2):99–123::

      RCA_cp = (X_cp / Σ_p X_cp) / (Σ_c X_cp / Σ_cp X_cp)
      M_cp   = 1 if RCA_cp ≥ threshold (default 1) else 0

* Diversity k_c = Σ_p M_cp and ubiquity k_p = Σ_c M_cp; ECI and PCI by the eigenvector form of the
  method of reflections — Hidalgo, C. A. & Hausmann, R. (2009) "The building blocks of economic
  complexity", *PNAS* 106(26):10570–10575; Hausmann, R., Hidalgo, C. A. et al. (2014) *The Atlas
  of Economic Complexity*, MIT Press::

      M̃_pp' = Σ_c M_cp M_cp' / (k_p k_c)          (activity × activity, row-stochastic)
      K_p    = eigenvector of M̃ for its second-largest eigenvalue
      K_c    = Σ_p M_cp K_p / k_c
      sign   chosen so that K_c correlates positively with diversity
      ECI_c  = (K_c − mean(K)) / std(K)            (population std, ddof = 0)
      PCI_p  = (K_p − mean(K)) / std(K)            (the *location* mean and std, so that
                                                     ECI_c = mean PCI of the activities c holds)

* Proximity (minimum conditional probability) and density — Hidalgo, C. A., Klinger, B.,
  Barabási, A.-L. & Hausmann, R. (2007) "The product space conditions the development of
  nations", *Science* 317(5837):482–487::

      φ_ij        = Σ_c M_ci M_cj / max(k_i, k_j)          (φ_ii = 1)
      density_cp  = Σ_j M_cj φ_pj / Σ_j φ_pj               (关联密度, always within [0, 1])

* Complexity outlook — Hausmann et al. (2014), *The Atlas of Economic Complexity*::

      COI_c  = Σ_p density_cp (1 − M_cp) K_p, then standardised over locations (ddof = 0)
      COG_cp = (1 − M_cp) Σ_j (φ_pj / Σ_k φ_jk) (1 − M_cj) K_j, divided by std(K_c)

Every convention follows the Growth Lab's PyPI package ``ecomplexity`` 0.5.3 (RCA presence
test, symmetric discrete proximity, no ``knn``) and the tests check every shared number against
it on real data. Deliberate differences and the eigenvector method are described in
``docs/analysis/complexity.md``. Everything runs in the calling thread; the arrays are dense
locations × activities matrices, and the work avoids fresh large temporaries (on a small VM,
touching new memory costs about as much as the arithmetic).
"""

from __future__ import annotations

import functools
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, TypeVar

import numpy as np
import polars as pl
import scipy.linalg
import scipy.sparse.linalg
from numpy.typing import NDArray

from parkhq.analysis.blas import one_blas_thread
from parkhq.errors import InvalidInput

__all__ = [
    "ActivityMatrix",
    "ComplexityConfig",
    "ComplexityResult",
    "complexity",
    "complexity_of_matrix",
    "density",
    "proximity",
    "rca",
]

_LOGGER = logging.getLogger(__name__)

_FloatArray = NDArray[np.float64]
_Scalar = TypeVar("_Scalar", bound=np.generic)

_LOCATION: Final = "location"
_ACTIVITY: Final = "activity"
_MAX_SHOWN: Final = 5
_DENSE_EIGEN_MAX: Final = 600
_FLOAT32_EXACT: Final = 2**24


@dataclass(frozen=True, slots=True)
class ComplexityConfig:
    """Settings of the complexity analysis.

    ``rca_threshold``: an activity counts as present in a location (M_cp = 1) when
    RCA_cp ≥ rca_threshold. Default 1 (Balassa; ``ecomplexity`` ``rca_mcp_threshold``).
    """

    rca_threshold: float = 1.0

    def __post_init__(self) -> None:
        threshold = self.rca_threshold
        number = isinstance(threshold, int | float) and not isinstance(threshold, bool)
        if not number or not math.isfinite(threshold) or threshold <= 0:
            raise InvalidInput(
                f"RCA 阈值应为大于 0 的有限数（通常为 1），收到 {threshold!r}",
                detail={"field": "rca_threshold", "value": repr(threshold)},
            )


@dataclass(frozen=True, slots=True)
class ResultArrays:
    """The arrays behind the frames of a :class:`ComplexityResult` that :func:`complexity`
    built, over the codes of its :class:`CellGrid` (read-only; NaN where a frame holds null).

    * ``value``, ``rca``, ``density``, ``cog``: locations × activities (the ``cells`` columns);
      ``held``: M as booleans;
    * ``eci`` per grid location, ``pci`` per grid activity;
    * ``phi``: activities × activities proximity, symmetric, diagonal included.

    ``locations``, ``activities`` and ``proximity`` are the frames they were built with (see
    :func:`result_arrays`).
    """

    locations: pl.DataFrame
    activities: pl.DataFrame
    proximity: pl.DataFrame
    value: _FloatArray
    rca: _FloatArray
    held: NDArray[np.bool_]
    density: _FloatArray
    cog: _FloatArray
    eci: _FloatArray
    pci: _FloatArray
    phi: _FloatArray


@dataclass(frozen=True, slots=True)
class CellGrid:
    """How :func:`complexity` laid out ``cells``: the full rectangle, row-major (location first).

    ``locations`` and ``activities`` are the sorted codes of its rows and columns, so the column
    arrays of ``cells`` reshape to ``(locations.len(), activities.len())`` matrices. Valid only
    for the very frame ``cells`` it was built with (see :func:`cell_grid`). ``arrays``: the
    matrices behind the result's frames (see :func:`result_arrays`).
    """

    cells: pl.DataFrame
    locations: pl.Series
    activities: pl.Series
    arrays: ResultArrays | None = None


@dataclass(frozen=True, slots=True)
class ComplexityResult:
    """The four frames of :func:`complexity`.

    * ``locations``: location (str), diversity (Int64, number of activities with M = 1),
      eci (Float64, standardised), coi (Float64, standardised).
    * ``activities``: activity (str), ubiquity (Int64, number of locations with M = 1),
      pci (Float64, on the ECI scale).
    * ``cells``: every analysed location × activity pair — location, activity, value (input unit),
      rca (dimensionless), m (Int8, 0/1), density (0–1), cog (ECI units).
    * ``proximity``: activity_1, activity_2, proximity (0–1); the non-zero entries of the upper
      triangle of the symmetric proximity matrix (activity_1 ≤ activity_2, each pair once), the
      diagonal φ_ii = 1 included for every activity present somewhere.
    """

    locations: pl.DataFrame
    activities: pl.DataFrame
    cells: pl.DataFrame
    proximity: pl.DataFrame
    _grid: CellGrid | None = field(default=None, repr=False, compare=False)


def cell_grid(result: ComplexityResult) -> CellGrid | None:
    """The layout of ``result.cells`` when it is the rectangle :func:`complexity` built.

    ``None`` for a result assembled by hand or whose ``cells`` frame was replaced: callers then
    have to locate each row by its codes.
    """
    grid = result._grid
    if grid is None or grid.cells is not result.cells:
        return None
    return grid


def result_arrays(result: ComplexityResult) -> ResultArrays | None:
    """The arrays behind ``result``'s frames when all four are the ones :func:`complexity`
    built (``None`` otherwise: callers then read the frames)."""
    grid = cell_grid(result)
    arrays = None if grid is None else grid.arrays
    if arrays is None or not (
        arrays.locations is result.locations
        and arrays.activities is result.activities
        and arrays.proximity is result.proximity
    ):
        return None
    return arrays


def _read_only(array: NDArray[_Scalar]) -> NDArray[_Scalar]:
    """A view of ``array`` that cannot be written through."""
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, slots=True)
class _Pairs:
    """A long location × activity table as sorted distinct codes and each row's positions.

    With ``active`` (see :func:`_pairs`), ``locations`` / ``activities`` hold only the codes
    with a positive value, the others are listed in ``idle_*`` and their rows (all 0 once the
    values are checked) point at position 0.
    """

    locations: pl.Series
    activities: pl.Series
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    values: pl.Series
    column: str
    role: str
    idle_locations: pl.Series
    idle_activities: pl.Series

    def checked_values(self) -> _FloatArray:
        """The values as an array, after :func:`_check_values`."""
        _check_values(self.values, self.column, self.role)
        result: _FloatArray = self.values.to_numpy()
        return result


@dataclass(frozen=True, slots=True)
class ActivityMatrix:
    """A location × activity table as a dense matrix over the analysed codes.

    ``values`` (locations × activities, non-negative and finite) has a positive total in every
    row and column; ``locations`` / ``activities`` are its sorted codes. ``idle_*`` list the
    codes of the table whose total is 0 (reported with count 0 and null indices).
    """

    locations: pl.Series
    activities: pl.Series
    values: _FloatArray
    idle_locations: pl.Series
    idle_activities: pl.Series


def _require_columns(df: pl.DataFrame, roles: list[tuple[str, str]]) -> None:
    names = [name for name, _ in roles]
    if len(set(names)) != len(names):
        raise InvalidInput(
            "、".join(f"{role}列" for _, role in roles)
            + "必须是不同的列，收到 "
            + "、".join(names),
            detail={"columns": names},
        )
    for name, role in roles:
        if name not in df.columns:
            raise InvalidInput(
                f"输入表缺少{role}列“{name}”；现有列：{'、'.join(df.columns) or '（无）'}",
                detail={"field": name, "expected": role, "columns": df.columns},
            )


def _row_numbers(mask: pl.Series) -> list[int]:
    """1-based data-row numbers of the first few True entries of ``mask``."""
    return [int(i) + 1 for i in mask.arg_true().head(_MAX_SHOWN).to_list()]


def _rows_text(rows: list[int]) -> str:
    return "、".join(str(row) for row in rows)


def _check_codes(codes: pl.Series, column: str, role: str) -> None:
    if codes.null_count() == 0:
        return
    missing = codes.is_null()
    if missing.any():
        rows = _row_numbers(missing)
        raise InvalidInput(
            f"{role}列“{column}”有 {int(missing.sum())} 个空值（第 {_rows_text(rows)} 行数据）；"
            f"每行都应填写{role}代码",
            detail={"field": column, "rows": rows},
        )


def _check_values(values: pl.Series, column: str, what: str) -> None:
    """Values must be finite and non-negative; name the first offending rows."""
    if values.null_count() == 0:
        array = values.to_numpy()
        # NaN fails both comparisons.
        if bool(np.all(array >= 0)) and bool(np.all(array < np.inf)):
            return
    checks = (
        (values.is_null(), "为空", "请填写数值（没有则填 0）"),
        (values.is_nan(), "不是数（NaN）", "应为有限数值"),
        (values.is_infinite(), "为无穷大", "应为有限数值"),
        (values < 0, "为负数", f"{what}应为非负数"),
    )
    for mask, problem, expected in checks:
        bad = mask.fill_null(False)
        if bad.any():
            rows = _row_numbers(bad)
            raise InvalidInput(
                f"数值列“{column}”有 {int(bad.sum())} 个值{problem}"
                f"（第 {_rows_text(rows)} 行数据）；{expected}",
                detail={"field": column, "rows": rows, "problem": problem},
            )


def _numeric_column(df: pl.DataFrame, column: str, role: str) -> pl.Series:
    dtype = df.schema[column]
    if not dtype.is_numeric():
        raise InvalidInput(
            f"{role}列“{column}”应为数值类型，实际为 {dtype}",
            detail={"field": column, "dtype": str(dtype)},
        )
    return df.get_column(column).cast(pl.Float64)


def _codes_index(codes: pl.Series) -> tuple[pl.Series, NDArray[np.int64]]:
    """Sorted distinct codes (strings) and each row's position among them."""
    distinct = codes.unique().sort()
    positions = codes.cast(pl.Enum(distinct)).to_physical().to_numpy()
    return distinct, positions.astype(np.int64)


def _codes_indices(
    df: pl.DataFrame, columns: tuple[str, ...], active: pl.Expr | None
) -> list[tuple[pl.Series, pl.Series, NDArray[np.int64]]]:
    """Per (non-null) column read as strings: the sorted distinct codes of the rows where
    ``active`` holds (all rows when ``None``), the other codes (sorted), and each row's
    position among the former (0 for the others). Polars evaluates the columns of each
    ``select`` in parallel.
    """
    as_text = [pl.col(column).cast(pl.String) for column in columns]
    kept = as_text if active is None else [codes.filter(active) for codes in as_text]
    found = df.select(
        codes.unique().sort().implode().alias(str(i)) for i, codes in enumerate(kept)
    ).row(0)
    distinct = [pl.Series(codes, dtype=pl.String) for codes in found]
    positions = df.select(
        codes.cast(pl.Enum(known), strict=False).to_physical().cast(pl.Int64).alias(str(i))
        for i, (codes, known) in enumerate(zip(as_text, distinct, strict=True))
    )
    result = []
    for column, known, position in zip(columns, distinct, positions.iter_columns(), strict=True):
        idle = known.clear()
        if position.null_count():
            codes = df.get_column(column).cast(pl.String)
            idle = codes.filter(position.is_null()).unique().sort()
            position = position.fill_null(0)
        result.append((known, idle, position.to_numpy()))
    return result


def _pairs(
    df: pl.DataFrame,
    location: str,
    activity: str,
    value: str,
    value_role: str,
    *,
    active: bool = True,
) -> _Pairs:
    """Codes (as strings) and positions of a long location × activity table; values unchecked.

    ``active``: index only the codes with a value > 0 (see :class:`_Pairs`).
    """
    _require_columns(df, [(location, "地区"), (activity, "产业"), (value, value_role)])
    if df.height == 0:
        raise InvalidInput("输入表没有数据行", detail={"rows": 0})
    locations = df.get_column(location).cast(pl.String)
    activities = df.get_column(activity).cast(pl.String)
    _check_codes(locations, location, "地区")
    _check_codes(activities, activity, "产业")
    values = _numeric_column(df, value, value_role)
    (location_codes, idle_locations, row_index), (activity_codes, idle_activities, col_index) = (
        _codes_indices(df, (location, activity), pl.col(value) > 0 if active else None)
    )
    return _Pairs(
        location_codes,
        activity_codes,
        row_index,
        col_index,
        values,
        value,
        value_role,
        idle_locations,
        idle_activities,
    )


def _matrix(pairs: _Pairs) -> ActivityMatrix:
    """Dense matrix (duplicates summed) over locations and activities with a non-zero total."""
    values = pairs.checked_values()
    # Values are non-negative: a total is positive exactly when one of its values is.
    n_loc, n_act = pairs.locations.len(), pairs.activities.len()
    if n_loc < 2 or n_act < 2:
        raise InvalidInput(
            "至少需要 2 个合计值大于 0 的地区和 2 个合计值大于 0 的产业，"
            f"实际为 {n_loc} 个地区、{n_act} 个产业",
            detail={"locations": n_loc, "activities": n_act},
        )
    if pairs.idle_locations.len() or pairs.idle_activities.len():
        _LOGGER.info(
            "合计值为 0 的 %d 个地区、%d 个产业不参与计算",
            pairs.idle_locations.len(),
            pairs.idle_activities.len(),
        )
    # Rows of idle codes point at cell 0 and add exact zeros there.
    cells = pairs.rows * n_act
    cells += pairs.cols
    summed = np.bincount(cells, weights=values, minlength=n_loc * n_act)
    full: _FloatArray = summed.astype(np.float64, copy=False).reshape(n_loc, n_act)
    return ActivityMatrix(
        pairs.locations, pairs.activities, full, pairs.idle_locations, pairs.idle_activities
    )


def _rca_matrix(values: _FloatArray) -> _FloatArray:
    """Balassa RCA, in ``ecomplexity``'s order of operations (so M agrees bit for bit)."""
    result: _FloatArray = values / values.sum(axis=1)[:, np.newaxis]  # share in location
    activity_total = values.sum(axis=0)[np.newaxis, :]
    world_total = activity_total.sum(axis=1)[:, np.newaxis]
    result /= activity_total / world_total
    return result


def _proximity_matrix(presence: _FloatArray) -> _FloatArray:
    """φ_ij = Σ_c M_ci M_cj / max(k_i, k_j); 0 where an activity has ubiquity 0.

    The counts Σ_c M_ci M_cj are sums of 0/1 products: exact in float32 below 2**24 locations,
    and float32 halves the time of this product.
    """
    if presence.shape[0] < _FLOAT32_EXACT:
        single = presence.astype(np.float32)
        co_occurrence: _FloatArray = (single.T @ single).astype(np.float64)
    else:
        co_occurrence = presence.T @ presence
    ubiquity = np.diagonal(co_occurrence)
    larger: _FloatArray = np.maximum.outer(ubiquity, ubiquity)
    if ubiquity.all():
        np.divide(co_occurrence, larger, out=larger)
        return larger
    result: _FloatArray = np.divide(
        co_occurrence, larger, out=np.zeros_like(co_occurrence), where=larger > 0
    )
    return result


def _density_matrix(
    presence: _FloatArray, phi: _FloatArray, row_sum: _FloatArray | None = None
) -> _FloatArray:
    """density_cp = Σ_j M_cj φ_pj / Σ_j φ_pj; NaN for an activity whose φ row is all 0.

    ``row_sum``: Σ_j φ_pj when already known.
    """
    if row_sum is None:
        row_sum = phi.sum(axis=1)
    result: _FloatArray = presence @ phi.T
    with np.errstate(divide="ignore", invalid="ignore"):
        result /= row_sum[np.newaxis, :]
    if not row_sum.all():
        result[:, row_sum == 0] = np.nan
    return result


def _top_second(
    matrix: _FloatArray, left: _FloatArray, right: _FloatArray
) -> tuple[float, _FloatArray]:
    """Second-largest eigenpair of ``B @ B.T`` with ``B = diag(left) @ matrix @ diag(right)``:
    LAPACK ``eigh`` up to ``_DENSE_EIGEN_MAX`` rows, else ARPACK Lanczos on the implicit
    product (full precision). ``B`` itself is never formed.

    The dense case asks LAPACK for the top two eigenpairs only (SciPy's ``eigh`` with
    ``subset_by_index``); it runs inside :func:`~parkhq.analysis.blas.one_blas_thread`, which
    also limits SciPy's own OpenBLAS, whose idle thread pool competing with NumPy's made a
    100 × 100 ``eigh`` several times slower on two cores.
    """
    size = matrix.shape[0]
    weight = right * right
    if size <= _DENSE_EIGEN_MAX:
        gram = (matrix * weight[np.newaxis, :]) @ matrix.T
        gram *= np.outer(left, left)
        values, vectors = scipy.linalg.eigh(gram, subset_by_index=[size - 2, size - 1])
        return float(values[0]), vectors[:, 0]
    operator = scipy.sparse.linalg.LinearOperator(
        (size, size),
        matvec=lambda v: left * (matrix @ (weight * (matrix.T @ (left * v.ravel())))),
        dtype=np.float64,
    )
    start = np.linspace(1.0, 2.0, size)
    values, vectors = scipy.sparse.linalg.eigsh(operator, k=2, which="LA", v0=start, tol=0)
    order = np.argsort(values)
    return float(values[order[0]]), vectors[:, order[0]]


def _second_eigenvector(
    presence: _FloatArray, diversity: _FloatArray, ubiquity: _FloatArray
) -> tuple[_FloatArray, _FloatArray] | None:
    """Unstandardised (K_c, K_p) of Hidalgo & Hausmann (2009), up to a common factor.

    ``presence`` holds only locations and activities with non-zero diversity / ubiquity.
    The second eigenvector is taken on the smaller side of ``B = D_c^{-1/2} M D_p^{-1/2}``.
    """
    n_loc, n_act = presence.shape
    if min(n_loc, n_act) < 2:
        return None
    by_location, by_activity = 1.0 / np.sqrt(diversity), 1.0 / np.sqrt(ubiquity)
    if n_loc <= n_act:
        eigval, eigvec = _top_second(presence, by_location, by_activity)
        kp = (presence.T @ (eigvec / np.sqrt(diversity))) / ubiquity
    else:
        eigval, eigvec = _top_second(presence.T, by_activity, by_location)
        kp = eigvec / np.sqrt(ubiquity)
    if eigval > 1.0 - 1e-9:
        _LOGGER.warning("地区—产业二分网络不连通，第二特征值为 1，ECI/PCI 不唯一")
    kc = (presence @ kp) / diversity
    centred_kc = kc - kc.mean()
    covariance = float(np.dot(diversity - diversity.mean(), centred_kc))
    if not np.any(centred_kc) or covariance == 0.0:
        _LOGGER.warning("各地区多样性相同或特征向量退化，无法确定 ECI 的方向，ECI/PCI 留空")
        return None
    sign = math.copysign(1.0, covariance)
    return sign * kc, sign * kp


@dataclass(frozen=True, slots=True)
class _Metrics:
    rca: _FloatArray
    presence: _FloatArray
    diversity: _FloatArray
    ubiquity: _FloatArray
    density: _FloatArray
    eci: _FloatArray
    pci: _FloatArray
    coi: _FloatArray
    cog: _FloatArray


def _reflections(
    presence: _FloatArray, diversity: _FloatArray, ubiquity: _FloatArray
) -> tuple[_FloatArray, _FloatArray]:
    """Unstandardised (K_c, K_p), NaN for locations / activities with diversity / ubiquity 0."""
    eci_raw = np.full(presence.shape[0], np.nan)
    pci_raw = np.full(presence.shape[1], np.nan)
    rows, cols = diversity > 0, ubiquity > 0
    if rows.all() and cols.all():
        vectors = _second_eigenvector(presence, diversity, ubiquity)
    else:
        _LOGGER.warning(
            "%d 个地区多样性为 0、%d 个产业普遍性为 0，其 ECI/PCI 留空",
            int((~rows).sum()),
            int((~cols).sum()),
        )
        vectors = _second_eigenvector(
            np.ascontiguousarray(presence[np.ix_(rows, cols)]), diversity[rows], ubiquity[cols]
        )
    if vectors is not None:
        eci_raw[rows], pci_raw[cols] = vectors
    return eci_raw, pci_raw


def _metrics(rca_values: _FloatArray, presence: _FloatArray, phi: _FloatArray) -> _Metrics:
    """Every other metric of :func:`complexity`, from RCA, M and proximity.

    Everything runs in one thread: the products are small (activities × activities or
    locations × activities), and a second thread calling BLAS beside OpenBLAS's own pool made
    them several times slower on two cores.
    """
    n_loc, n_act = presence.shape
    # 1 − M once, and one locations × activities buffer for COG, then COI.
    absent = 1.0 - presence
    work = np.empty_like(presence)
    diversity = presence.sum(axis=1)
    ubiquity = presence.sum(axis=0)
    row_sum = phi.sum(axis=1)
    eci_raw, pci_raw = _reflections(presence, diversity, ubiquity)
    kp = np.nan_to_num(pci_raw)
    finite = np.isfinite(eci_raw)
    spread = float(eci_raw[finite].std()) if finite.any() else 0.0
    if spread == 0.0:
        eci, pci = np.full(n_loc, np.nan), np.full(n_act, np.nan)
        cog = np.full((n_loc, n_act), np.nan)
    else:
        centre = float(eci_raw[finite].mean())
        eci, pci = (eci_raw - centre) / spread, (pci_raw - centre) / spread
        # COG_cp = (1 − M_cp) Σ_j (1 − M_cj) φ_jp K_j / Σ_k φ_jk, then / std(K_c); φ is symmetric,
        # so the sum is ((1 − M) · diag(K / Σφ)) @ φᵀ.
        step = np.divide(kp, row_sum * spread, out=np.zeros_like(kp), where=row_sum > 0)
        np.multiply(absent, step[np.newaxis, :], out=work)
        cog = work @ phi.T
        cog *= absent
    density_values = _density_matrix(presence, phi, row_sum)
    # Σ_p density_cp (1 − M_cp) K_p, density NaN (no φ) counting as 0.
    weighted = np.multiply(absent, density_values, out=work)
    if not row_sum.all():
        weighted[:, row_sum == 0] = 0.0
    coi_raw = weighted @ kp
    coi_spread = float(coi_raw.std())
    if spread == 0.0 or coi_spread == 0.0:
        coi = np.full(n_loc, np.nan)
    else:
        coi = (coi_raw - coi_raw.mean()) / coi_spread
    return _Metrics(
        rca=rca_values,
        presence=presence,
        diversity=diversity,
        ubiquity=ubiquity,
        density=density_values,
        eci=eci,
        pci=pci,
        coi=coi,
        cog=cog,
    )


def _float_series(name: str, values: _FloatArray) -> pl.Series:
    return pl.Series(name, np.ascontiguousarray(values).ravel(), dtype=pl.Float64, nan_to_null=True)


def _rectangle(locations: pl.Series, activities: pl.Series) -> pl.DataFrame:
    """Every (location, activity) pair, row-major (location first)."""
    return (
        locations.alias(_LOCATION)
        .to_frame()
        .join(activities.alias(_ACTIVITY).to_frame(), how="cross", maintain_order="left_right")
    )


def _grid(locations: pl.Series, activities: pl.Series, *columns: pl.Series) -> pl.DataFrame:
    """The full rectangle, row-major (location first), with ``columns`` (raveled) beside it."""
    return _rectangle(locations, activities).with_columns(columns)


def _proximity_frame(activities: pl.Series, phi: _FloatArray) -> pl.DataFrame:
    """Non-zero upper-triangle entries of symmetric ``phi`` (diagonal included), row-major."""
    size = phi.shape[0]
    index = np.arange(size, dtype=np.uint32)
    linked = pl.DataFrame(
        {"i": np.repeat(index, size), "j": np.tile(index, size), "proximity": phi.ravel()}
    ).filter((pl.col("i") <= pl.col("j")) & (pl.col("proximity") != 0))
    first, second = (activities.gather(linked.get_column(side)) for side in ("i", "j"))
    return pl.DataFrame({"activity_1": first, "activity_2": second}).with_columns(
        linked.get_column("proximity")
    )


def _with_idle(frame: pl.DataFrame, key: str, idle: pl.Series, count: str) -> pl.DataFrame:
    """Append codes whose total value is 0: count 0, every index null."""
    if idle.len() == 0:
        return frame
    extra = pl.DataFrame([idle.alias(key)]).with_columns(pl.lit(0, dtype=pl.Int64).alias(count))
    return pl.concat([frame, extra], how="diagonal").sort(key)


def _result_frames(
    table: ActivityMatrix, found: _Metrics, held: NDArray[np.bool_], rectangle: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The locations, activities and cells frames of :class:`ComplexityResult` (``held``:
    M as booleans, viewed as the Int8 ``m`` column; ``rectangle``: :func:`_rectangle` of the
    table's codes)."""
    locations = pl.DataFrame(
        [
            table.locations.alias(_LOCATION),
            pl.Series("diversity", found.diversity, dtype=pl.Int64),
            _float_series("eci", found.eci),
            _float_series("coi", found.coi),
        ]
    )
    activities = pl.DataFrame(
        [
            table.activities.alias(_ACTIVITY),
            pl.Series("ubiquity", found.ubiquity, dtype=pl.Int64),
            _float_series("pci", found.pci),
        ]
    )
    cells = rectangle.with_columns(
        pl.Series("value", table.values.ravel()),
        pl.Series("rca", found.rca.ravel()),
        pl.Series("m", held.ravel().view(np.int8)),
        _float_series("density", found.density),
        _float_series("cog", found.cog),
    )
    return (
        _with_idle(locations, _LOCATION, table.idle_locations, "diversity"),
        _with_idle(activities, _ACTIVITY, table.idle_activities, "ubiquity"),
        cells,
    )


def complexity(
    df: pl.DataFrame,
    *,
    location: str = _LOCATION,
    activity: str = _ACTIVITY,
    value: str = "value",
    config: ComplexityConfig | None = None,
) -> ComplexityResult:
    """RCA, proximity, relatedness density, diversity/ubiquity, ECI/PCI and COI/COG.

    Input: a long table with one row per (location, activity) — columns named by ``location``
    (地区/园区代码, read as strings so leading zeros survive), ``activity`` (产业/行业/产品代码,
    strings) and ``value`` (a non-negative additive quantity in one unit for the whole table,
    e.g. 工业总产值 万元, 从业人员 人, exports USD). Missing pairs count as 0; duplicate pairs are
    summed. Locations and activities whose total is 0 are left out of the matrix (they are
    listed in ``locations`` / ``activities`` with count 0 and null indices).

    Output: :class:`ComplexityResult` — ``locations`` (location, diversity, eci, coi),
    ``activities`` (activity, ubiquity, pci), ``cells`` (location, activity, value, rca, m,
    density, cog) and ``proximity`` (activity_1, activity_2, proximity). RCA, M, density and
    proximity are dimensionless (density and proximity in [0, 1]); ECI is standardised (mean 0,
    population std 1 over locations); PCI and COG are on the ECI scale; COI is standardised.

    Method: Balassa (1965) RCA; Hidalgo & Hausmann (2009, PNAS) ECI/PCI by the eigenvector
    method; Hidalgo et al. (2007, Science) proximity and density; Hausmann et al. (2014, Atlas of
    Economic Complexity) COI/COG; every convention as the Growth Lab package ``ecomplexity``
    0.5.3 (see the module docstring for the formulas and the two deliberate differences).

    Raises :class:`~parkhq.errors.InvalidInput` (Chinese message) for a missing column, a
    non-numeric, negative, null or non-finite value, a null code, or fewer than 2 locations or
    2 activities with a positive total.
    """
    return _complexity_of(_pairs(df, location, activity, value, "数值"), config)


def _complexity_of(pairs: _Pairs, config: ComplexityConfig | None) -> ComplexityResult:
    """:func:`complexity` of a table already turned into codes and positions."""
    return complexity_of_matrix(_matrix(pairs), config)


def complexity_of_matrix(
    table: ActivityMatrix, config: ComplexityConfig | None = None
) -> ComplexityResult:
    """:func:`complexity` of a table already summed into an :class:`ActivityMatrix` (needs at
    least 2 locations and 2 activities).

    The products run on one BLAS thread (:mod:`parkhq.analysis.blas`).
    """
    with one_blas_thread():
        return _complexity_of_matrix(table, config)


@functools.cache
def _background() -> ThreadPoolExecutor:
    """One worker thread for Polars work that can overlap the numpy work of the caller."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="parkhq-complexity")


def _complexity_of_matrix(
    table: ActivityMatrix, config: ComplexityConfig | None
) -> ComplexityResult:
    settings = config or ComplexityConfig()
    rca_values = _rca_matrix(table.values)
    held = rca_values >= settings.rca_threshold
    presence = held.astype(np.float64)
    phi = _proximity_matrix(presence)
    # The edge list and the cells' codes are Polars work (it releases the GIL): build them
    # beside the metrics.
    edges = _background().submit(_proximity_frame, table.activities, phi)
    rectangle = _background().submit(_rectangle, table.locations, table.activities)
    found = _metrics(rca_values, presence, phi)
    locations, activities, cells = _result_frames(table, found, held, rectangle.result())
    proximity_edges = edges.result()
    _LOGGER.info(
        "经济复杂度：%d 个地区 × %d 个产业，RCA 阈值 %s",
        table.locations.len(),
        table.activities.len(),
        settings.rca_threshold,
    )
    arrays = ResultArrays(
        locations=locations,
        activities=activities,
        proximity=proximity_edges,
        value=_read_only(table.values),
        rca=_read_only(found.rca),
        held=_read_only(held),
        density=_read_only(found.density),
        cog=_read_only(found.cog),
        eci=_read_only(found.eci),
        pci=_read_only(found.pci),
        phi=_read_only(phi),
    )
    return ComplexityResult(
        locations=locations,
        activities=activities,
        cells=cells,
        proximity=proximity_edges,
        _grid=CellGrid(cells, table.locations, table.activities, arrays),
    )


def rca(
    df: pl.DataFrame,
    *,
    location: str = _LOCATION,
    activity: str = _ACTIVITY,
    value: str = "value",
    config: ComplexityConfig | None = None,
) -> pl.DataFrame:
    """Balassa RCA (区位熵) and presence M for every analysed location × activity pair.

    Input columns as :func:`complexity` (codes as strings; ``value`` non-negative, one unit).
    Output: location, activity, value (input unit), rca (dimensionless), m (Int8: 1 when
    rca ≥ ``config.rca_threshold``, default 1), row-major by sorted codes; locations and
    activities whose total is 0 are left out.

    Method: Balassa (1965); RCA_cp = (X_cp / Σ_p X_cp) / (Σ_c X_cp / Σ_cp X_cp), as in
    ``ecomplexity`` 0.5.3 (Hidalgo & Hausmann 2009).
    """
    settings = config or ComplexityConfig()
    table = _matrix(_pairs(df, location, activity, value, "数值"))
    rca_values = _rca_matrix(table.values)
    return _grid(
        table.locations,
        table.activities,
        pl.Series("value", table.values.ravel()),
        pl.Series("rca", rca_values.ravel()),
        pl.Series("m", (rca_values >= settings.rca_threshold).ravel(), dtype=pl.Int8),
    )


def _presence_matrix(
    presence: pl.DataFrame, location: str, activity: str, presence_column: str
) -> tuple[pl.Series, pl.Series, _FloatArray]:
    """Dense 0/1 matrix from a long presence table (missing pairs are 0)."""
    pairs = _pairs(presence, location, activity, presence_column, "存在性（0/1）", active=False)
    values = pairs.checked_values()
    location_codes, activity_codes, rows, cols = (
        pairs.locations,
        pairs.activities,
        pairs.rows,
        pairs.cols,
    )
    binary = np.isin(values, (0.0, 1.0))
    if not binary.all():
        shown = _row_numbers(pl.Series(~binary))
        raise InvalidInput(
            f"存在性列“{presence_column}”只能取 0 或 1（第 {_rows_text(shown)} 行数据不是）",
            detail={"field": presence_column, "rows": shown},
        )
    duplicates = rows.size - np.unique(rows * activity_codes.len() + cols).size
    if duplicates:
        raise InvalidInput(
            f"存在性表中有 {duplicates} 个重复的（地区, 产业）对；每对只能出现一次",
            detail={"duplicates": duplicates},
        )
    matrix = np.zeros((location_codes.len(), activity_codes.len()))
    matrix[rows, cols] = values
    return location_codes, activity_codes, matrix


def proximity(
    presence: pl.DataFrame,
    *,
    location: str = _LOCATION,
    activity: str = _ACTIVITY,
    presence_column: str = "m",
) -> pl.DataFrame:
    """Proximity between activities: minimum conditional probability of co-specialisation.

    Input: ``location``, ``activity`` codes (strings) and ``presence_column`` 0/1 (M_cp, e.g.
    :func:`rca`'s ``m``); missing pairs count as 0. Output: activity_1, activity_2, proximity
    (dimensionless, 0–1): each unordered pair with φ > 0 once (activity_1 ≤ activity_2), the
    diagonal φ_ii = 1 included; activities present nowhere have no rows.

    Method: Hidalgo et al. (2007, Science) φ_ij = Σ_c M_ci M_cj / max(k_i, k_j), as
    ``ecomplexity`` 0.5.3 ``calc_discrete_proximity`` (symmetric).
    """
    _, activity_codes, matrix = _presence_matrix(presence, location, activity, presence_column)
    return _proximity_frame(activity_codes, _proximity_matrix(matrix))


def _phi_from_edges(
    edges: pl.DataFrame, activity_codes: pl.Series
) -> tuple[pl.Series, _FloatArray]:
    """Square proximity matrix over ``activity_codes`` ∪ the activities of the edge list."""
    _require_columns(
        edges, [("activity_1", "产业"), ("activity_2", "产业"), ("proximity", "邻近度")]
    )
    ends = [edges.get_column(name).cast(pl.String) for name in ("activity_1", "activity_2")]
    codes = pl.concat([activity_codes, *ends])
    _check_codes(codes, "activity_1/activity_2", "产业")
    weights = _numeric_column(edges, "proximity", "邻近度")
    _check_values(weights, "proximity", "邻近度")
    all_codes, index = _codes_index(codes)
    n_edges, size = edges.height, all_codes.len()
    first, second = index[activity_codes.len() :].reshape(2, n_edges)
    values = weights.to_numpy()
    low, high = np.sort(np.stack([first, second]), axis=0)
    duplicates = n_edges - np.unique(low * size + high).size
    if duplicates:
        raise InvalidInput(
            f"邻近度表中有 {duplicates} 个重复的产业对（不分先后）；每对产业只能出现一次",
            detail={"duplicates": duplicates},
        )
    if np.any((first == second) & (values != 1.0)):
        raise InvalidInput(
            "同一产业与自身的邻近度应为 1", detail={"field": "proximity", "expected": 1}
        )
    phi = np.zeros((size, size))
    phi[first, second] = values
    phi[second, first] = values
    listed = np.union1d(first, second)
    phi[listed, listed] = 1.0
    return all_codes, phi


def density(
    presence: pl.DataFrame,
    proximity_edges: pl.DataFrame,
    *,
    location: str = _LOCATION,
    activity: str = _ACTIVITY,
    presence_column: str = "m",
) -> pl.DataFrame:
    """Relatedness density (关联密度) of each location around each activity.

    Input: ``presence`` — ``location``, ``activity`` codes (strings) and ``presence_column``
    0/1 (e.g. :func:`rca`'s ``m``; missing pairs count as 0); ``proximity_edges`` —
    activity_1, activity_2, proximity (≥ 0; e.g. :func:`proximity`'s output, possibly computed
    on another table such as national data). The list is symmetric: each unordered pair at most
    once, in either order; missing pairs count as 0; φ_ii = 1 for every activity in the list (a
    diagonal row, if given, must say 1).

    Output: location, activity, density (dimensionless, in [0, 1]) for every location of
    ``presence`` × every activity of either input; null where Σ_j φ_pj = 0.

    Method: Hidalgo et al. (2007, Science) density_cp = Σ_j M_cj φ_pj / Σ_j φ_pj, as
    ``ecomplexity`` 0.5.3 ``calc_density`` (no ``knn``).
    """
    location_codes, activity_codes, matrix = _presence_matrix(
        presence, location, activity, presence_column
    )
    all_codes, phi = _phi_from_edges(proximity_edges, activity_codes)
    position = activity_codes.cast(pl.Enum(all_codes.to_list())).to_physical().to_numpy()
    widened = np.zeros((location_codes.len(), all_codes.len()))
    widened[:, position] = matrix
    return _grid(location_codes, all_codes, _float_series("density", _density_matrix(widened, phi)))
