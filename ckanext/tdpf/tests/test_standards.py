"""The 自治体標準オープンデータセット definitions bundled as data, and their value formats."""
from __future__ import annotations

import pytest

from ckanext.tdpf.lib import standards
from ckanext.tdpf.lib.standards import formats

# 定義書A 13.公衆トイレ一覧, as published by 市川市 (122033_201_multipurpose_toilet.csv) and
# extracted from the 2026 definition: the 39 columns in their order.
PUBLIC_TOILET = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,名称_英語,所在地_全国地方公共団体コード,"
    "町字ID,所在地_連結表記,所在地_都道府県,所在地_市区町村,所在地_町字,所在地_番地以下,建物名等(方書),"
    "設置位置,緯度,経度,高度の種別,高度の値,男性トイレ総数,男性トイレ数（小便器）,男性トイレ数（和式）,"
    "男性トイレ数（洋式）,女性トイレ総数,女性トイレ数（和式）,女性トイレ数（洋式）,男女共用トイレ総数,"
    "男女共用トイレ数（和式）,男女共用トイレ数（洋式）,バリアフリートイレ数,車椅子使用者用トイレ有無,"
    "乳幼児用設備設置トイレ有無,オストメイト設置トイレ有無,利用開始時間,利用終了時間,"
    "利用可能時間特記事項,画像,画像_ライセンス,備考").split(",")
PUBLIC_TOILET_OLD = (
    "都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,名称,名称_カナ,名称_英語,住所,方書,設置位置,"
    "緯度,経度,男性トイレ総数,男性トイレ数（小便器）,男性トイレ数（和式）,男性トイレ数（洋式）,女性トイレ総数,"
    "女性トイレ数（和式）,女性トイレ数（洋式）,男女共用トイレ総数,男女共用トイレ数（和式）,"
    "男女共用トイレ数（洋式）,多機能トイレ数,車椅子使用者用トイレ有無,乳幼児用設備設置トイレ有無,"
    "オストメイト設置トイレ有無,利用開始時間,利用終了時間,利用可能時間特記事項,画像,画像_ライセンス,備考"
).split(",")


def test_the_seven_standards_of_the_issue_are_bundled():
    numbers = {standard.number: standard.id for standard in standards.standards().values()}
    assert numbers == {"A-01": "public_facility", "A-03": "evacuation_space", "A-08": "aed",
                       "A-09": "care_service", "A-10": "hospital", "A-13": "public_toilet",
                       "A-14": "fire_hydrant"}


def test_public_toilet_has_the_39_columns_of_the_definition_in_order():
    toilet = standards.get("public_toilet")
    assert list(toilet.names) == PUBLIC_TOILET
    assert len(toilet.columns) == 39
    assert list(toilet.old_columns) == PUBLIC_TOILET_OLD
    assert (toilet.number, toilet.title) == ("A-13", "公衆トイレ一覧")


def test_public_toilet_requirements_and_formats_are_the_definitions():
    toilet = standards.get("public_toilet")
    assert toilet.required() == ("名称", "所在地_連結表記", "設置位置")
    assert "バリアフリートイレ数" in toilet.recommended()
    assert toilet.column("備考").requirement == "optional"
    kinds = {column.name: column.format for column in toilet.columns}
    assert kinds["全国地方公共団体コード"] == kinds["所在地_全国地方公共団体コード"] == "lgcode"
    assert (kinds["名称_カナ"], kinds["緯度"], kinds["経度"]) == ("kana", "latitude",
                                                                 "longitude")
    assert kinds["車椅子使用者用トイレ有無"] == "yesno"
    assert kinds["利用開始時間"] == "time"
    assert kinds["画像"] == "url"
    assert kinds["男性トイレ総数"] == "integer"


def test_old_layout_maps_onto_the_new_one():
    toilet = standards.get("public_toilet")
    assert toilet.old_mapping["多機能トイレ数"] == "バリアフリートイレ数"
    assert toilet.old_mapping["住所"] == "所在地_連結表記"
    assert toilet.old_mapping["都道府県コード又は市区町村コード"] == "全国地方公共団体コード"
    assert set(toilet.old_mapping) == set(toilet.old_columns)
    # an old name is a synonym of the column it maps to
    assert "多機能トイレ数" in toilet.column("バリアフリートイレ数").synonyms
    assert "住所" in toilet.column("所在地_連結表記").synonyms


@pytest.mark.parametrize("standard_id, count, first, last", [
    ("public_facility", 56, "全国地方公共団体コード", "備考"),
    ("evacuation_space", 39, "全国地方公共団体コード", "備考"),
    ("aed", 39, "全国地方公共団体コード", "備考"),
    ("care_service", 36, "全国地方公共団体コード", "備考"),
    ("hospital", 31, "全国地方公共団体コード", "備考"),
    ("fire_hydrant", 16, "全国地方公共団体コード", "備考"),
])
def test_every_standard_is_complete_and_cites_its_sources(standard_id, count, first, last):
    standard = standards.get(standard_id)
    assert len(standard.columns) == count
    assert (standard.names[0], standard.names[-1]) == (first, last)
    assert standard.sources and all(source.strip() for source in standard.sources)
    assert standard.required()
    for column in standard.columns:
        assert column.format in formats.FORMATS
    for old, new in standard.old_mapping.items():
        assert old in standard.old_columns and new in standard.names


def test_evacuation_space_keeps_its_own_layout():
    evacuation = standards.get("evacuation_space")
    assert evacuation.names[:3] == ("全国地方公共団体コード", "ID", "名称")
    assert "標高" in evacuation.names and "高度の値" not in evacuation.names
    assert evacuation.column("災害種別_洪水").format == "flag"
    assert evacuation.old_columns[0] == "NO"


def test_file_name_rule():
    assert standards.file_name(standards.get("public_toilet"), "131130") == \
        "131130_public_toilet.csv"
    assert standards.file_name(standards.get("aed"), "222127") == "222127_aed.csv"
    assert standards.get("nothing") is None


def test_a_broken_definition_is_refused(tmp_path, monkeypatch):
    (tmp_path / "x.yaml").write_text(
        "id: x\nnumber: A-99\ntitle: x\ntitle_en: x\n"
        "columns:\n- {name: 名称, requirement: required, format: colour}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="colour"):
        standards._load(tmp_path / "x.yaml")


@pytest.mark.parametrize("format_key, good, bad", [
    ("lgcode", ["131130", "131083", "130001", ""], ["131131", "13113", "１３１１３０", "999999"]),
    ("kana", ["オモテサンドウコウシュウベンジョ", "シブヤエキ（カセツ）", "ＡＥＤ・センター"],
     ["ｲﾁｶﾜｶﾝｺｳ", "おもてさんどう", "渋谷"]),
    ("latitude", ["35.666788", "-33.5", "43"], ["35°39'29\"", "９０", "91.0", "N35.6"]),
    ("longitude", ["139.709628", "-0.5"], ["181", "139,7", "東経139"]),
    ("yesno", ["有", "無", ""], ["あり", "○", "1"]),
    ("time", ["09:00", "23:59", "24:00", "00:00"], ["9:00", "00:00:00", "25:00", "9時"]),
    ("integer", ["0", "12"], ["1.5", "２", "約3"]),
    ("url", ["https://www.city.shibuya.tokyo.jp/a.jpg", "http://example.jp"],
     ["www.example.jp", "ftp://example.jp/x"]),
    ("corporate_number", ["7000012050002"], ["7000012050003", "700001205000"]),
    ("id", ["131083C00001", "LL0100022200", "0000000001"], ["ＩＤ１", "1 2"]),
    ("phone", ["(047)335-1711", "054-626-1139"], ["内線12", "12"]),
    ("postal_code", ["658-0013", "6580013"], ["658-13"]),
    ("flag", ["1", ""], ["○", "有"]),
    ("height_type", ["階数", "標高"], ["2F"]),
    ("date", ["2024-01-07"], ["2024/1/7", "2024-02-30"]),
])
def test_formats(format_key, good, bad):
    check = formats.FORMATS[format_key]
    assert [value for value in good if not check(value)] == []
    assert [value for value in bad if check(value)] == []
    assert check("")
