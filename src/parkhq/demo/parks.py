"""Demo parks: catalogue rows, declared 主导产业 and the real industry structure behind them.

Each park gets a real prefecture and county, a catalogue code (``G``/``S`` + province + type digit
+ serial), a fictional name, an approval month and a declared portfolio of 1–4 industry profiles.
Behind the declaration lies a *structure*: 2–4 profiles, each with 1–2 leading GB/T 4754 classes,
that decide which industries the park's firms are in. Three features are planted on purpose so
that later analyses have something to find:

* some parks declare four 主导产业 (more than the usual limit of three);
* neighbour parks (same prefecture) that are *twins*: identical declaration text and identical
  structure, so a homogeneity analysis clusters them;
* *mismatched* parks whose structure shares no profile with their declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.demo.config import DemoConfig, Profile
from parkhq.demo.names import short_region_name
from parkhq.reference.regions import MUNICIPALITIES, Region, region_catalogue

__all__ = ["ParkPlan", "plan_parks"]

_DECLARED_SHARES = {1: 0.04, 2: 0.38, 3: 0.48, 4: 0.10}
_STRUCTURE_WEIGHTS = {1: [1.0], 2: [0.6, 0.4], 3: [0.45, 0.33, 0.22], 4: [0.4, 0.3, 0.2, 0.1]}
_HITECH_PROFILES = {
    "电子信息",
    "集成电路",
    "生物医药",
    "医疗器械",
    "新材料",
    "智能制造",
    "软件和信息服务",
}
_SIZE_FACTOR = {
    "national_etdz": 2.5,
    "national_hitech": 2.0,
    "national_bonded": 0.4,
    "national_border": 0.4,
    "national_other": 0.8,
    "provincial_econ": 1.0,
    "provincial_hitech": 0.9,
    "provincial_industrial": 0.8,
}
_APPROVAL_YEARS = {
    "national_etdz": (1984, 2016),
    "national_hitech": (1991, 2015),
    "national_bonded": (1990, 2018),
    "national_border": (1992, 2015),
    "national_other": (1988, 2015),
}


@dataclass(frozen=True)
class ParkPlan:
    """The parks frame plus what the firm generator needs to populate each park.

    ``frame`` has the park-registry columns (except ``area_ha``, set once the land is known)
    and the extras ``province_code``, ``city_code``, ``region_code``, ``level_zh``, ``type_key``.
    ``leading_classes``/``leading_weights`` list each park's leading GB/T 4754 classes and their
    weights; ``leading_share`` is the share of its firms drawn from them; ``tail_weights``
    (parks × profiles) picks the profile of the other firms; ``size_weight`` sets firm counts.
    """

    frame: pl.DataFrame
    design: pl.DataFrame
    leading_classes: list[list[str]]
    leading_weights: list[list[float]]
    leading_share: npt.NDArray[np.float64]
    tail_weights: npt.NDArray[np.float64]
    size_weight: npt.NDArray[np.float64]
    counties: dict[str, list[str]]
    twins: list[tuple[int, int]]


def _largest_remainder(shares: dict[str, float], total: int) -> dict[str, int]:
    keys = list(shares)
    raw = np.array([shares[key] for key in keys], dtype=np.float64)
    raw = raw / raw.sum() * total
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return {key: int(count) for key, count in zip(keys, counts, strict=True)}


def _cities(province: str) -> list[Region]:
    catalogue = region_catalogue()
    return [
        item
        for item in catalogue.children(province)
        if item.level == "prefecture" and (not item.grouping or province in MUNICIPALITIES)
    ]


def _counties(city: str) -> list[str]:
    children = [item.code for item in region_catalogue().children(city) if item.level == "county"]
    return children or [city]


def _city_preferences(
    config: DemoConfig, cities: list[str], rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    names = [profile.name for profile in config.profiles]
    manufacturing = np.array([p.kind == "manufacturing" for p in config.profiles])
    prefs = np.zeros((len(cities), len(names)))
    for row, city in enumerate(cities):
        given = config.city_profiles.get(city)
        if given:
            for name, weight in given.items():
                prefs[row, names.index(config.profile(name).name)] = weight
        else:
            chosen = rng.choice(np.flatnonzero(manufacturing), size=5, replace=False)
            prefs[row, chosen] = rng.gamma(2.0, 1.0, size=5)
            prefs[row, ~manufacturing] += 0.3
    normalised: npt.NDArray[np.float64] = prefs / prefs.sum(axis=1, keepdims=True)
    return normalised


def _baseline(config: DemoConfig) -> npt.NDArray[np.float64]:
    base = np.array([1.0 if p.kind == "manufacturing" else 0.35 for p in config.profiles])
    normalised: npt.NDArray[np.float64] = base / base.sum()
    return normalised


def _choose_profiles(
    weights: npt.NDArray[np.float64],
    count: int,
    profiles: tuple[Profile, ...],
    rng: np.random.Generator,
    exclude: set[int] | None = None,
) -> list[int]:
    chosen: list[int] = []
    taken = {profiles[i].category for i in exclude or set()}
    available = weights.copy()
    for index in exclude or set():
        available[index] = 0.0
    while len(chosen) < count and available.sum() > 0:
        pick = int(rng.choice(len(available), p=available / available.sum()))
        available[pick] = 0.0
        if profiles[pick].category in taken:
            continue
        taken.add(profiles[pick].category)
        chosen.append(pick)
    return chosen


def _declared_text(profiles: list[Profile], rng: np.random.Generator) -> str:
    words: list[str] = []
    for profile in profiles:
        if rng.random() < 0.55 or len(profile.variants) == 1:
            words.append(profile.variants[0])
        else:
            words.append(str(rng.choice(profile.variants[1:])))
    return "、".join(words)


def _leading(
    structure: list[int], profiles: tuple[Profile, ...], rng: np.random.Generator
) -> tuple[list[str], list[float]]:
    base = np.array(_STRUCTURE_WEIGHTS[len(structure)]) * np.exp(rng.normal(0, 0.2, len(structure)))
    base = base / base.sum()
    classes: list[str] = []
    weights: list[float] = []
    for share, index in zip(base, structure, strict=True):
        profile = profiles[index]
        wanted = 2 if (len(structure) == 1 or rng.random() < 0.45) else 1
        wanted = min(wanted, len(profile.classes))
        w = np.array(profile.weights)
        picks = rng.choice(len(profile.classes), size=wanted, replace=False, p=w / w.sum())
        split = rng.dirichlet(np.full(wanted, 4.0))
        for pick, part in zip(picks, split, strict=True):
            code = profile.classes[int(pick)]
            if code in classes:
                weights[classes.index(code)] += float(share * part)
            else:
                classes.append(code)
                weights.append(float(share * part))
    return classes, weights


def _approved_on(type_key: str, rng: np.random.Generator) -> str:
    if type_key in _APPROVAL_YEARS:
        low, high = _APPROVAL_YEARS[type_key]
        year = int(rng.integers(low, high + 1))
    elif rng.random() < 0.45:
        year = 2006
    else:
        year = int(rng.integers(1992, 2018))
    month = int(rng.integers(2, 10)) if year == 2006 else int(rng.integers(1, 13))
    return f"{year}.{month:02d}"


def _assign_places(
    config: DemoConfig,
    provinces: list[str],
    counts: dict[str, int],
    rng: np.random.Generator,
) -> list[tuple[str, str, str, str]]:
    """(type_key, province, city, county) per park, every city covered when parks allow."""
    county_weight = {code: sum(len(_counties(c.code)) for c in _cities(code)) for code in provinces}
    slots: list[tuple[str, str]] = []
    for type_key, count in counts.items():
        allowed = provinces
        if type_key == "national_border" and len(provinces) > 1:
            allowed = [code for code in provinces if code in config.border_provinces]
        weights = np.array([county_weight[code] for code in allowed], dtype=np.float64)
        picks = rng.choice(len(allowed), size=count, p=weights / weights.sum())
        slots.extend((type_key, allowed[int(pick)]) for pick in picks)
    order = rng.permutation(len(slots))
    slots = [slots[int(i)] for i in order]
    placed: list[tuple[str, str, str, str]] = []
    used_counties: dict[str, set[str]] = {}
    by_province: dict[str, list[int]] = {}
    for index, (_, province) in enumerate(slots):
        by_province.setdefault(province, []).append(index)
    city_of: dict[int, str] = {}
    for province, members in by_province.items():
        cities = _cities(province)
        weights = np.array([len(_counties(c.code)) for c in cities], dtype=np.float64)
        weights[0] *= 1.5
        cover = [cities[int(i)].code for i in rng.permutation(len(cities))]
        for position, index in enumerate(members):
            if position < len(cover):
                city_of[index] = cover[position]
            else:
                city_of[index] = cities[
                    int(rng.choice(len(cities), p=weights / weights.sum()))
                ].code
    for index, (type_key, province) in enumerate(slots):
        city = city_of[index]
        options = _counties(city)
        used = used_counties.setdefault(city, set())
        fresh = [code for code in options if code not in used] or options
        county = fresh[int(rng.integers(0, len(fresh)))]
        used.add(county)
        placed.append((type_key, province, city, county))
    return placed


def _declared_sizes(n_parks: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """How many 主导产业 each park declares: mostly 2–3, at least five parks with 4."""
    counts = _largest_remainder({str(k): v for k, v in _DECLARED_SHARES.items()}, n_parks)
    if n_parks >= 50:
        counts["4"] = max(counts["4"], 5)
        counts["3"] = n_parks - sum(v for k, v in counts.items() if k != "3")
    return rng.permutation(np.repeat([int(k) for k in counts], list(counts.values())))


def _park_row(
    config: DemoConfig,
    place: tuple[str, str, str, str],
    chosen: list[int],
    used_names: set[str],
    rng: np.random.Generator,
) -> dict[str, object]:
    catalogue = region_catalogue()
    type_key, province, city, county = place
    park_type = config.park_types[type_key]
    short = short_region_name(catalogue.get(county).name)
    if park_type.prefix == "G" and (province not in MUNICIPALITIES or county == city):
        short = short_region_name(catalogue.get(city).name)
    words = config.names.park_places
    word = words[int(rng.integers(0, len(words)))]
    for _ in range(len(words)):
        if short + word not in used_names:
            break
        word = words[int(rng.integers(0, len(words)))]
    used_names.add(short + word)
    suffix = park_type.suffixes[int(rng.integers(0, len(park_type.suffixes)))]
    prefix = ""
    if park_type.prefix == "S" and rng.random() < 0.4:
        prefix = short_region_name(catalogue.get(province).name)
    return {
        "name": prefix + short + word + suffix,
        "province": catalogue.get(province).name,
        "city": short + word,
        "level": park_type.level,
        "type": park_type.type,
        "approved_on": _approved_on(type_key, rng),
        "declared_industries": _declared_text([config.profiles[i] for i in chosen], rng),
        "province_code": province,
        "city_code": city,
        "region_code": county,
        "level_zh": park_type.level_zh,
        "type_key": type_key,
        "prefix": park_type.prefix,
        "digit": park_type.digit,
    }


def _catalogue_codes(rows: list[dict[str, object]]) -> list[str]:
    """``G``/``S`` + province (2 digits) + type digit + serial within (level, province)."""
    serials: dict[tuple[object, object], int] = {}
    codes: list[str] = []
    for row in rows:
        key = (row["prefix"], row["province_code"])
        serials[key] = serials.get(key, 0) + 1
        province = str(row["province_code"])[:2]
        codes.append(f"{row['prefix']}{province}{row['digit']}{serials[key]:03d}")
    return codes


@dataclass
class _Draft:
    rows: list[dict[str, object]]
    codes: list[str]
    declared: list[list[int]]
    structure: list[list[int]]
    tail: npt.NDArray[np.float64]
    mismatch: npt.NDArray[np.bool_]
    leading_classes: list[list[str]] = field(default_factory=list)
    leading_weights: list[list[float]] = field(default_factory=list)
    twin_of: list[str | None] = field(default_factory=list)
    twins: list[tuple[int, int]] = field(default_factory=list)


def _plant_mismatches(
    draft: _Draft,
    count: int,
    city_prefs: dict[str, npt.NDArray[np.float64]],
    baseline: npt.NDArray[np.float64],
    profiles: tuple[Profile, ...],
    rng: np.random.Generator,
) -> None:
    eligible = [i for i, row in enumerate(draft.rows) if row["digit"] != "3"]
    for pick in rng.permutation(eligible)[:count]:
        index = int(pick)
        weights = 0.7 * city_prefs[str(draft.rows[index]["city_code"])] + 0.3 * baseline
        size = 2 + int(rng.random() < 0.4)
        other = _choose_profiles(weights, size, profiles, rng, exclude=set(draft.declared[index]))
        if other:
            draft.structure[index] = other
            draft.mismatch[index] = True


def _plant_twins(
    draft: _Draft,
    count: int,
    share: npt.NDArray[np.float64],
    size_weight: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> None:
    by_city: dict[str, list[int]] = {}
    for i, row in enumerate(draft.rows):
        if row["digit"] != "3" and not draft.mismatch[i] and len(draft.declared[i]) > 1:
            by_city.setdefault(str(row["city_code"]), []).append(i)
    candidates = sorted(city for city, members in by_city.items() if len(members) >= 2)
    for city in [candidates[int(i)] for i in rng.permutation(len(candidates))][:count]:
        first, second = (int(i) for i in rng.choice(by_city[city], size=2, replace=False))
        draft.declared[second] = list(draft.declared[first])
        draft.structure[second] = list(draft.structure[first])
        draft.rows[second]["declared_industries"] = draft.rows[first]["declared_industries"]
        draft.leading_classes[second] = list(draft.leading_classes[first])
        draft.leading_weights[second] = list(draft.leading_weights[first])
        draft.tail[second] = draft.tail[first]
        share[second] = share[first]
        size_weight[second] = size_weight[first]
        draft.twin_of[second] = draft.codes[first]
        draft.twins.append((first, second))


def _design_frame(draft: _Draft, profiles: tuple[Profile, ...]) -> pl.DataFrame:
    names = [p.name for p in profiles]
    return pl.DataFrame(
        {
            "park_code": draft.codes,
            "declared_profiles": [[names[i] for i in items] for items in draft.declared],
            "structure_profiles": [[names[i] for i in items] for items in draft.structure],
            "leading_classes": draft.leading_classes,
            "twin_of": draft.twin_of,
            "matches_declaration": (~draft.mismatch).tolist(),
        },
        schema={
            "park_code": pl.String,
            "declared_profiles": pl.List(pl.String),
            "structure_profiles": pl.List(pl.String),
            "leading_classes": pl.List(pl.String),
            "twin_of": pl.String,
            "matches_declaration": pl.Boolean,
        },
    )


def plan_parks(
    config: DemoConfig,
    provinces: list[str],
    n_parks: int,
    mix: dict[str, float],
    *,
    twin_pairs: int,
    mismatched: int,
    rng: np.random.Generator,
) -> ParkPlan:
    """Place ``n_parks`` parks over ``provinces`` and design their declared and real industries."""
    profiles = config.profiles
    names = [p.name for p in profiles]
    places = _assign_places(config, provinces, _largest_remainder(mix, n_parks), rng)
    cities = sorted({city for _, _, city, _ in places})
    city_prefs = dict(zip(cities, _city_preferences(config, cities, rng), strict=True))
    baseline = _baseline(config)
    hitech = np.array([2.0 if n in _HITECH_PROFILES else 1.0 for n in names])
    bonded = np.array([1.0 if n in config.bonded_profiles else 0.0 for n in names])
    sizes = _declared_sizes(n_parks, rng)
    rows: list[dict[str, object]] = []
    declared: list[list[int]] = []
    tail = np.zeros((n_parks, len(profiles)))
    used_names: set[str] = set()
    for index, place in enumerate(places):
        digit = config.park_types[place[0]].digit
        weights = 0.8 * city_prefs[place[2]] + 0.2 * baseline
        weights = weights * hitech if digit in ("2", "8") else weights
        weights = bonded if digit == "3" else weights
        count = min(int(sizes[index]), 3) if digit == "3" else int(sizes[index])
        chosen = _choose_profiles(weights, count, profiles, rng)
        declared.append(chosen)
        tail[index] = 0.6 * city_prefs[place[2]] + 0.4 * baseline
        rows.append(_park_row(config, place, chosen, used_names, rng))
    order = sorted(
        range(n_parks),
        key=lambda i: (rows[i]["prefix"] != "G", rows[i]["province_code"], rows[i]["digit"], i),
    )
    rows = [rows[i] for i in order]
    declared = [declared[i] for i in order]
    draft = _Draft(
        rows=rows,
        codes=_catalogue_codes(rows),
        declared=declared,
        structure=[list(items) for items in declared],
        tail=tail[order],
        mismatch=np.zeros(n_parks, dtype=bool),
        twin_of=[None] * n_parks,
    )
    _plant_mismatches(draft, mismatched, city_prefs, baseline, profiles, rng)
    for items in draft.structure:
        classes, weights = _leading(items, profiles, rng)
        draft.leading_classes.append(classes)
        draft.leading_weights.append(weights)
    share = rng.uniform(0.42, 0.6, n_parks)
    size_weight = np.array([_SIZE_FACTOR[str(r["type_key"])] for r in rows]) * np.exp(
        rng.normal(0, 0.45, n_parks)
    )
    _plant_twins(draft, twin_pairs, share, size_weight, rng)
    frame = pl.DataFrame(draft.rows).with_columns(
        pl.Series("seq", np.arange(1, n_parks + 1)), pl.Series("code", draft.codes)
    )
    return ParkPlan(
        frame=frame.drop("prefix", "digit"),
        design=_design_frame(draft, profiles),
        leading_classes=draft.leading_classes,
        leading_weights=draft.leading_weights,
        leading_share=share,
        tail_weights=draft.tail,
        size_weight=size_weight,
        counties={city: _counties(city) for city in cities},
        twins=draft.twins,
    )
