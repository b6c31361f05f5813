"""Declared 主导产业 text → items → named categories, and the ≤ 3 rule."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import polars as pl
import pytest

from parkhq.analysis.declared import (
    DEFAULT_MATCH_CONFIG,
    MatchConfig,
    declared_coverage,
    normalise_declared,
    normalise_frame,
    portfolio_frame,
    split_declared,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _real_names() -> list[str]:
    lines = (DATA / "declared_names_real.txt").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _sample_texts() -> list[str]:
    with (DATA / "dev_zones_2018_sample20.csv").open(encoding="utf-8-sig", newline="") as fh:
        return [row["主导产业"] for row in csv.DictReader(fh)]


# ----------------------------------------------------------------- splitting


def test_three_names_separated_by_dun_commas_are_three_items() -> None:
    assert split_declared("汽车、电子信息、装备制造") == ["汽车", "电子信息", "装备制造"]


def test_ji_joins_one_name_and_the_full_width_semicolon_separates() -> None:
    assert split_declared("汽车及零部件；新能源汽车") == ["汽车及零部件", "新能源汽车"]


def test_he_and_yu_stay_inside_a_name() -> None:
    assert split_declared("软件和信息服务,船舶与海洋工程") == ["软件和信息服务", "船舶与海洋工程"]


@pytest.mark.parametrize(
    "text",
    ["电子，机械，食品", "电子,机械,食品", "电子;机械;食品", "电子/机械/食品", "电子／机械／食品",
     "电子 机械  食品", "电子、\n机械、食品。"],
)  # fmt: skip
def test_every_list_separator_splits(text: str) -> None:
    assert split_declared(text) == ["电子", "机械", "食品"]


def test_trailing_deng_is_dropped() -> None:
    assert split_declared("电子、机械等") == ["电子", "机械"]
    assert split_declared("汽车、电子信息等产业") == ["汽车", "电子信息"]


def test_separators_inside_brackets_do_not_split() -> None:
    assert split_declared("新材料（碳纤维、石墨烯）、电子信息") == [
        "新材料(碳纤维、石墨烯)",
        "电子信息",
    ]


def test_a_space_between_latin_and_chinese_does_not_split() -> None:
    assert split_declared("LED 照明、电子") == ["LED 照明", "电子"]


def test_empty_and_missing_texts_have_no_items() -> None:
    assert split_declared(None) == []
    assert split_declared("  、 ，") == []
    assert normalise_declared(None).count == 0


# ----------------------------------------------------------------- the ≤ 3 rule


def test_three_declared_names_are_within_the_rule() -> None:
    portfolio = normalise_declared("汽车、电子信息、装备制造")
    assert portfolio.count == 3
    assert portfolio.categories == ("汽车及零部件", "电子信息", "装备制造")
    assert not portfolio.exceeds_three


def test_automobile_and_parts_kept_whole_next_to_new_energy_vehicles_is_two_items() -> None:
    portfolio = normalise_declared("汽车及零部件；新能源汽车")
    assert portfolio.count == 2
    assert [item.raw for item in portfolio.items] == ["汽车及零部件", "新能源汽车"]
    assert portfolio.categories == ("汽车及零部件", "新能源汽车")


def test_four_declared_names_exceed_three() -> None:
    portfolio = normalise_declared("节能环保、新能源、新材料、生物医药")
    assert portfolio.count == 4
    assert portfolio.exceeds_three
    assert portfolio.categories == ("节能环保", "新能源", "新材料", "生物医药")


def test_count_is_of_declared_items_even_when_two_share_a_category() -> None:
    portfolio = normalise_declared("汽车、汽车零部件、汽车配件、专用汽车")
    assert portfolio.count == 4
    assert portfolio.categories == ("汽车及零部件",)
    assert portfolio.exceeds_three


def test_the_limit_is_configurable() -> None:
    portfolio = normalise_declared("电子、机械", config=MatchConfig(max_items=1))
    assert portfolio.exceeds_three


def test_an_unknown_name_is_reported_not_dropped() -> None:
    portfolio = normalise_declared("电子信息、量子玄学")
    assert portfolio.count == 2
    assert portfolio.unmapped == ("量子玄学",)
    assert portfolio.categories == ("电子信息",)
    unknown = portfolio.items[1]
    assert unknown.category is None and unknown.method is None and unknown.confidence == 0.0


# ----------------------------------------------------------------- matching steps


def test_a_category_name_matches_exactly() -> None:
    item = normalise_declared("装备制造").items[0]
    assert (item.category, item.method, item.confidence) == ("装备制造", "exact", 1.0)


def test_an_alias_matches_with_alias_confidence() -> None:
    item = normalise_declared("汽车零部件").items[0]
    assert (item.category, item.method) == ("汽车及零部件", "alias")
    assert item.confidence == DEFAULT_MATCH_CONFIG.confidence_alias


def test_suffix_chanye_is_stripped_by_rule() -> None:
    item = normalise_declared("电子信息产业").items[0]
    assert (item.category, item.method, item.matched) == ("电子信息", "rule", "电子信息")
    assert item.confidence == DEFAULT_MATCH_CONFIG.confidence_suffix


def test_prefix_xiandai_is_stripped_by_rule() -> None:
    item = normalise_declared("现代商贸").items[0]
    assert (item.category, item.method) == ("商贸", "rule")
    assert item.confidence == DEFAULT_MATCH_CONFIG.confidence_prefix


def test_containment_prefers_the_longest_word() -> None:
    item = normalise_declared("新能源汽车电机").items[0]
    assert (item.category, item.method, item.matched) == ("新能源汽车", "rule", "新能源汽车")


def test_containment_prefers_the_head_between_equal_words() -> None:
    item = normalise_declared("医药物流").items[0]
    assert (item.category, item.matched) == ("现代物流", "物流")


def test_a_generic_head_yields_to_the_modifier() -> None:
    assert normalise_declared("自行车零部件").items[0].category == "轻工"
    assert normalise_declared("特钢冶炼").items[0].category == "钢铁"


def test_bracketed_remarks_do_not_disturb_matching() -> None:
    item = normalise_declared("新材料（碳纤维、石墨烯）").items[0]
    assert (item.raw, item.category, item.method) == ("新材料(碳纤维、石墨烯)", "新材料", "exact")


def test_a_typing_slip_is_caught_by_bigram_similarity() -> None:
    # 检验检侧: two of three bigrams shared with 检验检测 → Dice 2·2/(3+3) = 0.667.
    item = normalise_declared("检验检侧").items[0]
    assert (item.category, item.method, item.matched) == ("科技服务", "fuzzy", "检验检测")
    assert item.confidence == pytest.approx(round(4 / 6 * DEFAULT_MATCH_CONFIG.fuzzy_weight, 3))


def test_a_stricter_fuzzy_threshold_leaves_the_slip_unmapped() -> None:
    portfolio = normalise_declared("检验检侧", config=MatchConfig(fuzzy_threshold=0.9))
    assert portfolio.unmapped == ("检验检侧",)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("互联网金融", "互联网金融"), ("智能装备", "装备制造"), ("航空", "航空航天"),
        ("商务服务", "商务服务"), ("汽车零部件", "汽车及零部件"), ("环保", "节能环保"),
        ("科技研发", "科技服务"), ("商务商贸", "商贸"), ("电子", "电子信息"), ("机械", "装备制造"),
        ("智能化产品", "人工智能"), ("石油钻采", "装备制造"), ("木器", "轻工"),
        ("先进制造", "装备制造"), ("石化", "石化化工"), ("精细化工", "石化化工"),
        ("医药", "生物医药"), ("高端制造", "装备制造"), ("食品", "食品"),
        ("黑色金属冶炼压延加工", "钢铁"), ("金属制品", "装备制造"), ("通用零部件", "装备制造"),
        ("食品加工", "食品"), ("农产品加工", "农副产品加工"), ("商贸物流", "现代物流"),
        ("有色金属加工", "有色金属"), ("仓储物流", "现代物流"), ("软件", "软件和信息服务"),
        ("服务外包", "软件和信息服务"), ("煤化工", "石化化工"), ("印刷包装", "造纸印刷"),
        ("木材加工", "轻工"), ("文化旅游", "旅游"), ("港口物流", "现代物流"),
        ("新一代信息技术", "电子信息"), ("半导体", "集成电路"), ("新型显示", "光电"),
        ("锂电池", "锂电池及储能"), ("风电装备", "新能源"), ("太阳能", "光伏"),
        ("装配式建筑", "建材"), ("纺织业", "纺织服装"), ("物流业", "现代物流"),
        ("家用电器", "电气机械"), ("跨境电商", "电子商务"), ("总部经济", "商务服务"),
        ("生物技术", "生物医药"), ("医疗器材", "医疗器械"), ("大数据", "数字经济"),
        ("工业机器人", "智能制造"), ("轨道交通装备", "轨道交通"), ("海工装备", "船舶及海洋工程"),
        ("铝型材", "有色金属"), ("化工新材料", "新材料"), ("健康养老", "大健康"),
    ],
)  # fmt: skip
def test_real_names_land_in_the_expected_category(name: str, category: str) -> None:
    assert normalise_declared(name).items[0].category == category


# ----------------------------------------------------------------- coverage on real names


def test_the_real_names_list_has_at_least_150_distinct_names() -> None:
    names = _real_names()
    assert len(set(names)) == len(names) >= 150


def test_at_least_95_percent_of_real_declared_names_are_placed() -> None:
    coverage = declared_coverage(_real_names())
    assert coverage.names == len(_real_names())
    assert coverage.coverage >= 0.95, coverage.unmapped_names


def test_every_name_in_the_real_catalogue_sample_is_placed() -> None:
    coverage = declared_coverage(_sample_texts())
    assert coverage.names == 33  # distinct names in the 20 sample rows, counted by hand
    assert coverage.coverage >= 0.95, coverage.unmapped_names


def test_the_sample_zone_with_four_declared_industries_is_the_one_flagged() -> None:
    flagged = [text for text in _sample_texts() if normalise_declared(text).exceeds_three]
    assert flagged == ["新能源、新材料、装备制造、医疗器械"]


def test_coverage_of_nothing_is_complete() -> None:
    coverage = declared_coverage([])
    assert (coverage.names, coverage.names_mapped, coverage.coverage) == (0, 0, 1.0)


# ----------------------------------------------------------------- frames


def test_normalise_frame_gives_one_row_per_row_and_item() -> None:
    df = pl.DataFrame({"declared": ["汽车、电子信息", None, "量子玄学", "汽车、电子信息"]})
    out = normalise_frame(df, "declared")
    assert out.columns == ["row", "position", "raw", "category", "method", "confidence"]
    assert out["row"].to_list() == [0, 0, 2, 3, 3]
    assert out["position"].to_list() == [1, 2, 1, 1, 2]
    assert out["category"].to_list() == [
        "汽车及零部件",
        "电子信息",
        None,
        "汽车及零部件",
        "电子信息",
    ]
    assert out["method"].to_list() == ["alias", "exact", None, "alias", "exact"]


def test_portfolio_frame_gives_one_row_per_input_row() -> None:
    df = pl.DataFrame({"declared": ["节能环保、新能源、新材料、生物医药", None, "电子、量子玄学"]})
    out = portfolio_frame(df, "declared")
    assert out["count"].to_list() == [4, 0, 2]
    assert out["exceeds_three"].to_list() == [True, False, False]
    assert out["categories"].to_list() == [
        ["节能环保", "新能源", "新材料", "生物医药"], [], ["电子信息"],
    ]  # fmt: skip
    assert out["unmapped"].to_list() == [[], [], ["量子玄学"]]


def test_normalise_frame_handles_3000_parks_quickly() -> None:
    texts = _sample_texts() * 150
    df = pl.DataFrame({"declared": texts})
    started = time.perf_counter()
    out = normalise_frame(df, "declared")
    elapsed = time.perf_counter() - started
    per_text = sum(len(split_declared(text)) for text in _sample_texts())
    assert out.height == per_text * 150
    assert out["row"].n_unique() == 3000
    assert elapsed < 5.0
