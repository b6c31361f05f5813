"""The demo generator: determinism, valid codes, the province's planted features, national smoke."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from stdnum.cn import uscc as stdnum_uscc

from parkhq.demo import (
    ENTERPRISE_COLUMNS,
    MONTHLY_COLUMNS,
    PARK_COLUMNS,
    DemoData,
    generate,
    generate_national,
    write_national,
)
from parkhq.demo.codes import make_uscc_codes
from parkhq.demo.config import demo_config
from parkhq.demo.land import PARCEL_SCHEMA
from parkhq.demo.monthly import MONTHLY_SCHEMA, period_range, seasonal_factors
from parkhq.demo.names import short_region_name
from parkhq.errors import InvalidInput
from parkhq.ingest.formats import get_format
from parkhq.reference.categories import category_catalogue
from parkhq.reference.industries import industry_catalogue
from parkhq.reference.regions import region_catalogue


@pytest.fixture(scope="module")
def province() -> DemoData:
    return generate("province", 42)


@pytest.fixture(scope="module")
def national() -> DemoData:
    return generate_national(parks=100, enterprises=20_000, seed=7)


def _frames(data: DemoData) -> dict[str, pl.DataFrame]:
    return {
        "parks": data.parks,
        "enterprises": data.enterprises,
        "monthly": data.monthly,
        "parcels": data.parcels,
        "anomalies": data.anomalies,
        "park_design": data.park_design,
    }


# ---------------------------------------------------------------- determinism and schemas


def test_the_same_seed_gives_identical_frames(province: DemoData) -> None:
    again = generate("province", 42)
    for name, frame in _frames(province).items():
        assert frame.equals(_frames(again)[name]), name


def test_another_seed_gives_other_firms(province: DemoData) -> None:
    other = generate("province", 43)
    assert not other.enterprises.get_column("uscc").equals(province.enterprises.get_column("uscc"))


def test_columns_are_the_exchange_format_names_plus_documented_extras(province: DemoData) -> None:
    extras = {
        "park_registry": ("province_code", "city_code", "region_code", "level_zh"),
        "enterprise_registry": ("employees", "revenue_y", "size_class"),
        "monthly_report": (),
        "land_parcels": (),
    }
    frames = {
        "park_registry": province.parks,
        "enterprise_registry": province.enterprises,
        "monthly_report": province.monthly,
        "land_parcels": province.parcels,
    }
    for kind, frame in frames.items():
        assert frame.columns == [*get_format(kind).names, *extras[kind]], kind
    assert province.parks.columns == list(PARK_COLUMNS)
    assert province.enterprises.columns == list(ENTERPRISE_COLUMNS)
    assert province.monthly.columns == list(MONTHLY_COLUMNS)
    assert dict(province.monthly.schema) == MONTHLY_SCHEMA
    assert dict(province.parcels.schema) == PARCEL_SCHEMA


def test_required_exchange_fields_are_never_null(province: DemoData) -> None:
    frames = {
        "park_registry": province.parks,
        "enterprise_registry": province.enterprises,
        "monthly_report": province.monthly,
        "land_parcels": province.parcels,
    }
    for kind, frame in frames.items():
        for spec in get_format(kind).required:
            assert frame.get_column(spec.name).null_count() == 0, (kind, spec.name)


# ---------------------------------------------------------------- codes


def test_every_uscc_is_valid_per_stdnum_and_unique(province: DemoData) -> None:
    codes = province.enterprises.get_column("uscc")
    assert codes.n_unique() == codes.len() == 20_000
    assert all(stdnum_uscc.is_valid(code) for code in codes.to_list())


def test_vectorised_check_characters_match_stdnum_for_legacy_and_ma_bodies() -> None:
    regions = pl.Series(["330102", "110101", "441900"] * 10)
    codes = make_uscc_codes(
        regions,
        pl.Series(range(30)).to_numpy() * 3_331,
        (pl.Series(range(30)) % 2 == 0).to_numpy(),
    )
    for code in codes.to_list():
        assert code[17] == stdnum_uscc.calc_check_digit(code[:17])
    assert codes.str.slice(8, 2).to_list()[0] == "MA"


def test_organisation_code_part_carries_its_gb11714_check_character() -> None:
    code = make_uscc_codes(
        pl.Series(["330102"]), pl.Series([5]).to_numpy(), pl.Series([False]).to_numpy()
    )[0]
    body = code[8:16]
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(char) * weight for char, weight in zip(body, weights, strict=True))
    expected = 11 - total % 11
    assert code[16] == {10: "X", 11: "0"}.get(expected, str(expected))


def test_industry_codes_are_gbt4754_classes(province: DemoData) -> None:
    catalogue = industry_catalogue()
    for code in province.enterprises.get_column("industry_code").unique().to_list():
        assert catalogue.get(code).level == "class"


def test_region_codes_are_counties_of_the_parks_prefecture(province: DemoData) -> None:
    regions = region_catalogue()
    joined = province.enterprises.join(
        province.parks.select(pl.col("code").alias("park_code"), "city_code"), on="park_code"
    )
    for region, city in joined.select("region_code", "city_code").unique().iter_rows():
        assert regions.get(region).parent == city
    for row in province.parks.iter_rows(named=True):
        assert regions.get(row["region_code"]).parent == row["city_code"]
        assert regions.get(row["city_code"]).parent == row["province_code"] == "330000"


def test_park_codes_follow_the_catalogue_scheme(province: DemoData) -> None:
    parks = province.parks
    assert parks.get_column("code").n_unique() == parks.height
    for code, level, kind in parks.select("code", "level", "type").iter_rows():
        assert code[0] == ("G" if level == "国务院" else "S")
        assert code[1:3] == "33"
        digit = {
            "经济技术开发区": "1",
            "海关特殊监管区域": "3",
            "其他类型开发区": "6",
            "经济开发区": "7",
            "工业园区": "9",
        }.get(kind)
        if kind == "高新技术产业开发区":
            digit = "2" if level == "国务院" else "8"
        assert code[3] == digit
    assert parks.get_column("approved_on").str.contains(r"^\d{4}\.(0[1-9]|1[0-2])$").all()


# ---------------------------------------------------------------- province counts and design


def test_province_has_its_real_prefectures_80_parks_20000_firms_36_months(
    province: DemoData,
) -> None:
    prefectures = {r.code for r in region_catalogue().children("330000") if r.level == "prefecture"}
    assert set(province.parks.get_column("city_code").to_list()) == prefectures
    assert len(prefectures) == 11
    assert province.parks.height == 80
    assert province.enterprises.height == 20_000
    assert province.monthly.get_column("period").unique().sort().to_list() == period_range(
        "2026-10", 36
    )


def test_at_least_five_parks_declare_four_industries_and_most_two_or_three(
    province: DemoData,
) -> None:
    counts = province.parks.get_column("declared_industries").str.split("、").list.len()
    assert (counts == 4).sum() >= 5
    assert counts.is_in([2, 3]).mean() > 0.7


def test_declared_words_are_names_or_aliases_of_the_reference_categories(
    province: DemoData,
) -> None:
    vocabulary = category_catalogue().vocabulary()
    words = province.parks.get_column("declared_industries").str.split("、").explode()
    assert set(words.to_list()) <= set(vocabulary)


def test_every_profile_variant_and_class_fits_its_reference_category() -> None:
    categories = category_catalogue()
    vocabulary = categories.vocabulary()
    for profile in demo_config().profiles:
        assert all(vocabulary.get(word) == profile.category for word in profile.variants)
        assert set(profile.classes) <= categories.classes_of(profile.category), profile.name


def test_two_or_more_same_city_pairs_declare_identical_portfolios_with_near_identical_structure(
    province: DemoData,
) -> None:
    parks = province.parks
    pairs = [
        (a, b)
        for a, b in itertools.combinations(parks.iter_rows(named=True), 2)
        if a["city_code"] == b["city_code"] and a["declared_industries"] == b["declared_industries"]
    ]
    assert len(pairs) >= 2
    shares = (
        province.enterprises.with_columns(pl.col("industry_code").str.slice(0, 2).alias("division"))
        .group_by("park_code", "division")
        .agg(pl.col("revenue_y").sum())
        .with_columns(pl.col("revenue_y") / pl.col("revenue_y").sum().over("park_code"))
    )
    for a, b in pairs[:2]:
        left = shares.filter(pl.col("park_code") == a["code"]).select("division", "revenue_y")
        right = shares.filter(pl.col("park_code") == b["code"]).select("division", "revenue_y")
        both = left.join(right, on="division", how="full", coalesce=True).fill_null(0.0)
        gap = (both.get_column("revenue_y") - both.get_column("revenue_y_right")).abs().sum()
        assert gap < 0.2


def test_leading_classes_hold_60_to_80_percent_of_a_typical_parks_revenue(
    province: DemoData,
) -> None:
    leading = (
        province.park_design.select("park_code", pl.col("leading_classes").alias("code"))
        .explode("code")
        .with_columns(pl.lit(True).alias("lead"))
    )
    joined = province.enterprises.join(
        leading, left_on=["park_code", "industry_code"], right_on=["park_code", "code"], how="left"
    )
    assert joined.height == province.enterprises.height
    share = joined.group_by("park_code").agg(
        (pl.col("revenue_y").filter(pl.col("lead")).sum() / pl.col("revenue_y").sum()).alias("s")
    )
    assert 0.6 <= share.get_column("s").median() <= 0.85  # type: ignore[operator]


def test_some_parks_structure_does_not_match_its_declaration(province: DemoData) -> None:
    design = province.park_design
    mismatched = design.filter(~pl.col("matches_declaration"))
    assert mismatched.height >= 3
    for declared, structure in mismatched.select("declared_profiles", "structure_profiles").rows():
        assert not set(declared) & set(structure)


# ---------------------------------------------------------------- sizes, seasonality, anomalies


def test_above_scale_share_is_20_to_30_percent_and_follows_revenue_2000(province: DemoData) -> None:
    firms = province.enterprises
    assert 0.2 <= firms.get_column("above_scale").mean() <= 0.3  # type: ignore[operator]
    industrial = firms.filter(
        pl.col("industry_code").str.slice(0, 2).is_between(pl.lit("13"), pl.lit("43"))
    )
    assert (
        industrial.get_column("above_scale") == (industrial.get_column("revenue_y") >= 2000)
    ).all()


def test_size_classes_follow_the_industrial_thresholds(province: DemoData) -> None:
    industrial = province.enterprises.filter(
        pl.col("industry_code").str.slice(0, 2).is_between(pl.lit("13"), pl.lit("43"))
    )
    emp, rev = pl.col("employees"), pl.col("revenue_y")
    expected = (
        pl.when((emp >= 1000) & (rev >= 40000))
        .then(pl.lit("大型"))
        .when((emp >= 300) & (rev >= 2000))
        .then(pl.lit("中型"))
        .when((emp >= 20) & (rev >= 300))
        .then(pl.lit("小型"))
        .otherwise(pl.lit("微型"))
    )
    checked = industrial.select((pl.col("size_class") == expected).all()).item()
    assert checked
    shares = province.enterprises.get_column("size_class").value_counts(normalize=True)
    large = shares.filter(pl.col("size_class") == "大型").get_column("proportion").item()
    assert 0.002 <= large <= 0.03


def test_spring_festival_month_output_is_below_its_neighbours_every_year(
    province: DemoData,
) -> None:
    totals = dict(province.monthly.group_by("period").agg(pl.col("output_value").sum()).iter_rows())
    periods = sorted(totals)
    cal = demo_config().calendar
    for year in (2024, 2025, 2026):
        festival = cal.spring_festival[year]
        window = [f"{year}-01", f"{year}-02"] if festival.month == 1 else [f"{year}-02"]
        before = periods[periods.index(window[0]) - 1]
        after = periods[periods.index(window[-1]) + 1]
        for month in window:
            assert totals[month] < totals[before]
            assert totals[month] < totals[after]


def test_seasonal_factor_puts_2025_dip_in_january_and_february() -> None:
    periods = period_range("2025-03", 13)
    factors = dict(zip(periods, seasonal_factors(periods, demo_config().calendar), strict=True))
    assert factors["2025-01"] < factors["2024-12"]
    assert factors["2025-02"] < factors["2025-03"]


def test_value_added_and_tax_ratios_are_in_their_usual_ranges(province: DemoData) -> None:
    month = province.monthly.drop_nulls("output_value")
    va = month.get_column("value_added").sum() / month.get_column("output_value").sum()
    tax = province.monthly.get_column("tax").sum() / province.monthly.get_column("revenue").sum()
    assert 0.2 <= va <= 0.35
    assert 0.03 <= tax <= 0.08


def test_listed_missing_reports_have_no_row(province: DemoData) -> None:
    missing = province.anomalies.filter(pl.col("kind") == "missing_report")
    assert missing.height > 0
    found = missing.join(province.monthly, on=["uscc", "period"], how="inner")
    assert found.height == 0


def test_listed_sharp_drops_are_at_most_half_of_the_month_before(province: DemoData) -> None:
    drops = province.anomalies.filter(pl.col("kind") == "sharp_drop")
    assert drops.height > 0
    monthly = province.monthly.sort("uscc", "period").with_columns(
        pl.col("output_value").shift(1).over("uscc").alias("prev_output"),
        pl.col("revenue").shift(1).over("uscc").alias("prev_revenue"),
    )
    joined = drops.join(monthly, on=["uscc", "period"], how="inner")
    assert joined.height == drops.height
    value = pl.when(pl.col("measure") == "output_value").then("output_value").otherwise("revenue")
    prev = (
        pl.when(pl.col("measure") == "output_value").then("prev_output").otherwise("prev_revenue")
    )
    assert joined.select((value <= 0.5 * prev).all()).item()
    assert joined.select((pl.col("magnitude") >= 0.5).all()).item()


def test_above_scale_firms_report_and_only_a_sample_of_the_others(province: DemoData) -> None:
    reporters = province.monthly.get_column("uscc").unique()
    firms = province.enterprises.with_columns(pl.col("uscc").is_in(reporters.implode()).alias("r"))
    assert firms.filter(pl.col("above_scale")).get_column("r").all()
    below = firms.filter(~pl.col("above_scale")).get_column("r").mean()
    assert 0.05 <= below <= 0.15  # type: ignore[operator]


# ---------------------------------------------------------------- land


def test_parcels_follow_supply_rules_and_fit_inside_their_park(province: DemoData) -> None:
    parcels = province.parcels
    assert parcels.get_column("parcel_code").n_unique() == parcels.height
    modes = parcels.get_column("supply_mode").value_counts(normalize=True)
    top = modes.sort("proportion", descending=True).row(0)
    assert top[0] == "出让"
    terms = parcels.group_by("supply_mode").agg(pl.col("term_years").max())
    limits = {"出让": 50, "弹性年期出让": 20, "长期租赁": 20, "先租后让": 20}
    for mode, longest in terms.iter_rows():
        if mode in limits:
            assert longest <= limits[mode]
    assert set(parcels.get_column("status").unique().to_list()) == {"在用", "在建", "闲置", "低效"}
    assert parcels.get_column("area_mu").min() >= 3.0  # type: ignore[operator]
    no_term = parcels.filter(pl.col("term_years").is_null()).get_column("supply_mode")
    assert set(no_term.drop_nulls().to_list()) == {"划拨"}
    used = parcels.group_by("park_code").agg((pl.col("area_mu").sum() / 15).alias("ha"))
    joined = used.join(province.parks, left_on="park_code", right_on="code")
    assert (joined.get_column("ha") <= joined.get_column("area_ha")).all()


def test_most_above_scale_firms_hold_one_or_two_parcels(province: DemoData) -> None:
    held = province.parcels.group_by("holder_uscc").len()
    above = province.enterprises.filter(pl.col("above_scale")).join(
        held, left_on="uscc", right_on="holder_uscc", how="left"
    )
    share = above.get_column("len").is_in([1, 2]).mean()
    assert share is not None and share > 0.85  # type: ignore[operator]


# ---------------------------------------------------------------- national scale and inputs


def test_national_smoke_spreads_parks_over_many_provinces_with_valid_codes(
    national: DemoData,
) -> None:
    assert national.parks.height == 100
    assert national.enterprises.height == 20_000
    assert national.parks.get_column("province_code").n_unique() >= 20
    regions = region_catalogue()
    for row in national.parks.select("city_code", "region_code").iter_rows():
        assert regions.get(row[1]).parent == row[0] or row[1] == row[0]
    assert national.enterprises.get_column("uscc").n_unique() == 20_000
    reporters = national.monthly.get_column("uscc").unique()
    above = national.enterprises.filter(pl.col("above_scale")).get_column("uscc")
    assert set(reporters.to_list()) == set(above.to_list())


def test_write_national_streams_parquet_files_with_the_same_rows(
    tmp_path: Path, national: DemoData
) -> None:
    files = write_national(tmp_path, 7, parks=100, enterprises=20_000)
    assert files.rows["monthly"] == national.monthly.height
    written = pl.read_parquet(files.paths["monthly"])
    assert written.equals(national.monthly)
    assert pl.read_parquet(files.paths["enterprises"]).equals(national.enterprises)


def test_short_region_names_drop_suffixes_and_ethnic_words() -> None:
    assert short_region_name("浙江省") == "浙江"
    assert short_region_name("黔东南苗族侗族自治州") == "黔东南"
    assert short_region_name("广西壮族自治区") == "广西"
    assert short_region_name("城区") == "城区"


def test_park_place_words_are_not_names_of_real_divisions() -> None:
    shorts = {short_region_name(region.name) for region in region_catalogue()}
    shorts = {name for name in shorts if len(name) >= 2}
    for word in demo_config().names.park_places:
        assert not any(name in word for name in shorts), word


def test_name_word_keys_are_gbt4754_codes() -> None:
    catalogue = industry_catalogue()
    for code in demo_config().names.industry_words:
        assert catalogue.get(code).level in ("division", "group", "class")


def test_enterprise_and_park_names_are_unique(province: DemoData) -> None:
    assert province.enterprises.get_column("name").n_unique() == province.enterprises.height
    assert province.parks.get_column("name").n_unique() == province.parks.height


def test_bad_inputs_raise_chinese_messages() -> None:
    with pytest.raises(InvalidInput, match="省级区划代码"):
        generate("province", 1, province_code="330100")
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        generate("province", 1, end_period="2026/10")
    with pytest.raises(InvalidInput, match="月份数"):
        generate("province", 1, months=6)


def test_founding_dates_lie_before_the_last_period(province: DemoData) -> None:
    latest = province.enterprises.get_column("founded_on").max()
    assert isinstance(latest, date) and latest <= date(2026, 10, 31)
