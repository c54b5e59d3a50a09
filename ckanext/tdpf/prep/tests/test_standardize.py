"""標準形式に変換 (engine.standardize) on the real municipal files of three standards and on
small made-up tables: the standard's columns in order, codes and coordinates in place, the
conformance better after than before, and no source cell lost."""
from __future__ import annotations

import unicodedata

import pytest

from ckanext.tdpf.lib import municipalities, standards
from ckanext.tdpf.prep.engine import prepare
from ckanext.tdpf.prep.engine import standardize as S

from .conftest import DATAFILES

# fixture file -> (standard, the publishing municipality's code)
FILES = {
    "tokyo-shibuya_131130_public_toilet.csv": ("public_toilet", "131130"),
    "tokyo-koto_131083_public_toilet.TRANSCODED.csv": ("public_toilet", "131083"),
    "kagawa-takamatsu_public_toilet.xlsx": ("public_toilet", "372013"),
    "chiba-ichikawa_122033_108_aed.csv": ("aed", "122033"),
    "shizuoka-yaizu_222127_aed.csv": ("aed", "222127"),
    "kagawa-takamatsu_aed_location.xlsx": ("aed", "372013"),
    "hyogo-kobe_201706okunaihinanjo.csv": ("evacuation_space", "281000"),
}
TOILETS = [name for name, (standard, _) in FILES.items() if standard == "public_toilet"]


def converted(name: str) -> tuple:
    standard_id, code = FILES[name]
    table = prepare((DATAFILES / name).read_bytes()).tables[0]
    standard = standards.get(standard_id)
    return table, standard, S.convert(table.header, table.rows, standard,
                                      S.publisher_of(code))


def _plain(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split())


@pytest.mark.parametrize("name", list(FILES))
def test_every_source_cell_is_in_the_output_row_or_named_by_a_change(name):
    table, _, result = converted(name)
    named = {cell for change in result.changes for cell in change.cells}
    assert result.source_rows == list(range(1, len(table.rows) + 1))
    lost = []
    for r, (row, out) in enumerate(zip(table.rows, result.rows)):
        text = _plain("\x1f".join(out))
        for c, value in enumerate(row):
            if value.strip() and _plain(value) not in text and (r + 1, c) not in named:
                lost.append((table.header[c], value))
    assert lost == [], lost[:10]


@pytest.mark.parametrize("name", list(FILES))
def test_the_output_has_the_standards_columns_in_order_and_is_better(name):
    table, standard, result = converted(name)
    assert result.header == [column.name for column in standard.columns]
    assert all(len(row) == len(result.header) for row in result.rows)
    assert len(result.rows) == len(table.rows)
    assert result.after.score > result.before.score or result.before.score == 100
    assert result.file_name == f"{FILES[name][1]}_{standard.id}.csv"
    targets = {m["target"] for m in result.mapping}
    assert set(result.header) >= targets
    sources = {m["source"] for m in result.mapping} | set(result.unmapped)
    assert sources - {None} == set(table.header)


@pytest.mark.parametrize("name", TOILETS)
def test_public_toilets_codes_valid_and_coordinates_in_place(name):
    table, standard, result = converted(name)
    assert len(result.header) == 39
    at = {column: i for i, column in enumerate(result.header)}
    code = FILES[name][1]
    for row in result.rows:
        assert row[at["全国地方公共団体コード"]] == code
        assert row[at["地方公共団体名"]] == S.publisher_of(code).name
        located = row[at["所在地_全国地方公共団体コード"]]
        assert located and municipalities.lookup(located), row
        assert row[at["所在地_連結表記"]].startswith(row[at["所在地_都道府県"]] + row[at[
            "所在地_市区町村"]])
        lat, lon = float(row[at["緯度"]]), float(row[at["経度"]])
        assert 24 < lat < 46 and 122 < lon < 154
        assert row[at["ID"]]
    assert len({row[at["ID"]] for row in result.rows}) == len(result.rows)
    assert not result.after.missing_required or set(result.after.missing_required) < set(
        result.before.missing_required)
    # the source's coordinates, unchanged where they were right
    lat_source = next(i for i, h in enumerate(table.header) if h in ("緯度", "latitude"))
    assert sum(float(row[lat_source]) == float(out[at["緯度"]])
               for row, out in zip(table.rows, result.rows)) >= 0.9 * len(result.rows)


def test_shibuya_old_layout_mapped_and_extra_columns_in_remarks():
    table, standard, result = converted("tokyo-shibuya_131130_public_toilet.csv")
    how = {(m["source"], m["target"]): m["how"] for m in result.mapping}
    assert how[("都道府県コード又は市区町村コード", "全国地方公共団体コード")] == "old_layout"
    assert how[("住所", "所在地_連結表記")] in ("old_layout", "synonym")
    assert how[("住所", "所在地_町字")] == "split"
    assert how[("多機能トイレ", "バリアフリートイレ数")] == "synonym"
    assert {"通称", "通称_カナ", "URL"} <= set(result.unmapped)
    first = dict(zip(result.header, result.rows[0]))
    assert first["ID"] == "1"
    assert first["所在地_連結表記"] == "東京都渋谷区神宮前四丁目12-1"
    assert (first["所在地_都道府県"], first["所在地_市区町村"], first["所在地_町字"],
            first["所在地_番地以下"]) == ("東京都", "渋谷区", "神宮前四丁目", "12-1")
    assert "通称: 渋谷区立表参道ヒルズ公衆便所" in first["備考"]
    assert "URL: https://www.google.com/maps/" in first["備考"]
    # 「有」 is no count of toilets: kept in 備考, not in バリアフリートイレ数
    assert first["バリアフリートイレ数"] == "" and "多機能トイレ: 有" in first["備考"]
    (item,) = [m for m in result.mapping if m["source"] == "多機能トイレ"]
    assert item["kept_aside"] == sum(row[table.header.index("多機能トイレ")] != ""
                                     for row in table.rows)


def test_takamatsu_english_keys_five_digit_codes_and_round_the_clock():
    table, standard, result = converted("kagawa-takamatsu_public_toilet.xlsx")
    first = dict(zip(result.header, result.rows[0]))
    assert first["名称"] == "高松市片原町公衆便所"
    assert first["全国地方公共団体コード"] == "372013"
    assert first["所在地_町字"] == "片原町" and first["所在地_番地以下"] == "9-9"
    assert (first["利用開始時間"], first["利用終了時間"]) == ("00:00", "24:00")
    assert first["ID"] == "1"
    assert "#property: 1" in first["備考"]


def test_kobe_evacuation_marks_become_flags():
    table, standard, result = converted("hyogo-kobe_201706okunaihinanjo.csv")
    first = dict(zip(result.header, result.rows[0]))
    assert first["災害種別_洪水"] == "1" and first["災害種別_津波"] in ("", "0")
    assert first["災害種別_崖崩れ、土石流及び地滑り"] == "1"
    assert first["所在地_市区町村"] == "神戸市東灘区"
    assert first["所在地_全国地方公共団体コード"] == "281018"
    assert first["郵便番号"] == "658-0013"


SMALL = standards.get("public_toilet")


def test_made_up_local_layout_by_names_and_values():
    header = ["施設名等", "所在地", "北緯", "東経", "車椅子トイレ", "開放時間", "管理課"]
    rows = [["神南公衆便所", "神南1-1-1", "35°39'47.1\"", "139.6994", "○", "9時～17時",
             "公園課"],
            ["宇田川公衆便所", "宇田川町2-1", "35.6617", "139.6978", "×", "24時間", ""],
            ["代々木公衆便所", "代々木3-1", "35.6833", "139.6981", "あり",
             "開園時間に準ずる", ""]]
    result = S.convert(header, rows, SMALL, S.publisher_of("131130"))
    out = [dict(zip(result.header, row)) for row in result.rows]
    how = {m["target"]: (m["source"], m["how"]) for m in result.mapping}
    assert how["名称"] == ("施設名等", "synonym")
    assert how["所在地_連結表記"] == ("所在地", "synonym")
    assert how["車椅子使用者用トイレ有無"] == ("車椅子トイレ", "values")
    assert how["利用開始時間"] == ("開放時間", "split")
    assert how["緯度"] == ("北緯", "values") and how["経度"] == ("東経", "values")
    assert how["全国地方公共団体コード"] == (None, "filled")
    assert {"source": None, "target": "ID", "how": "filled",
            "from": "row_content"} in result.mapping
    assert {"source": None, "target": "地方公共団体名", "how": "filled",
            "from": "publisher"} in result.mapping
    assert [o["車椅子使用者用トイレ有無"] for o in out] == ["有", "無", "有"]
    assert [(o["利用開始時間"], o["利用終了時間"]) for o in out] == [
        ("09:00", "17:00"), ("00:00", "24:00"), ("", "")]
    assert out[2]["利用可能時間特記事項"] == "開園時間に準ずる"
    assert out[0]["所在地_連結表記"] == "東京都渋谷区神南一丁目1-1"
    assert out[0]["所在地_全国地方公共団体コード"] == "131130"
    assert abs(float(out[0]["緯度"]) - 35.66308) < 0.0001  # from DMS
    assert out[0]["備考"] == "管理課: 公園課" and result.unmapped == ["管理課"]
    assert {o["地方公共団体名"] for o in out} == {"東京都渋谷区"}
    assert result.after.score > result.before.score


def test_ids_made_from_content_are_stable_when_rows_move():
    header = ["名称", "住所"]
    rows = [["A便所", "東京都渋谷区神南1-1"], ["B便所", "東京都渋谷区神南1-2"],
            ["B便所", "東京都渋谷区神南1-2"]]
    publisher = S.publisher_of("131130")
    one = [r[1] for r in S.convert(header, rows, SMALL, publisher).rows]
    two = [r[1] for r in S.convert(header, [rows[1], rows[0], rows[2]], SMALL,
                                   publisher).rows]
    assert one[0] == two[1] and one[1] == two[0] and one[2] == two[2]
    assert len(set(one)) == 3 and one[2] == one[1] + "-2"
    assert all(value.startswith("131130-") for value in one)
    changed = [r[1] for r in S.convert(header, [["A便所", "東京都渋谷区神南1-9"]], SMALL,
                                       publisher).rows]
    assert changed[0] != one[0]


def test_values_in_the_standards_form():
    assert S.span_of("9時～17時") == ("09:00", "17:00")
    assert S.span_of("９：００〜１７：３０") == ("09:00", "17:30")
    assert S.span_of("8:30-22:00") == ("08:30", "22:00")
    assert S.span_of("午前9時から午後5時まで") == ("09:00", "17:00")
    assert S.span_of("24時間") == ("00:00", "24:00")
    assert S.span_of("開園時間に準ずる") is None
    assert S.span_of("9時～17時（土日は休み）") == ("09:00", "17:00")
    assert S.time_of("00:00:00") == "00:00" and S.time_of("9時半") == "09:30"
    assert S.time_of("25:00") is None
    for yes in ("○", "〇", "有", "有り", "あり", "1"):
        assert S.yesno_of(yes) is True
    for no in ("×", "無", "無し", "なし", "0"):
        assert S.yesno_of(no) is False
    assert S.yesno_of("△") is None
    assert S.lgcode_of("13113") == "131130" and S.lgcode_of("131131") is None
    assert S.lgcode_of("37201") == "372013"  # without its check digit
    assert S.lgcode_of("11002") == "011002" and S.lgcode_of("1100") == "011002"  # 0 lost
    assert S.lgcode_of("１３１１３０") == "131130" and S.lgcode_of("12345") is None
    assert S.kana_of("ｲﾁｶﾜｶﾝｺｳ･ﾌﾞｯｻﾝ") == "イチカワカンコウ・ブッサン"
    assert S.kana_of("しぶや") == "シブヤ"
    assert S.integer_of("３") == "3" and S.integer_of("2基") == "2"
    assert S.integer_of("有") is None
    assert S.publisher_of("131130") == S.Publisher("131130", "東京都渋谷区")
    assert S.publisher_of("011011").name == "北海道札幌市中央区"
    assert S.publisher_of("130001").name == "東京都"
    assert S.publisher_of("999999") is None


def test_no_publisher_and_no_address():
    result = S.convert(["名称"], [["どこかの便所"]], SMALL, None)
    row = dict(zip(result.header, result.rows[0]))
    assert row["名称"] == "どこかの便所" and row["全国地方公共団体コード"] == ""
    assert row["ID"].startswith("ID-")
    assert result.file_name == "public_toilet.csv"


def test_ids_the_file_repeats_are_made_unique():
    result = S.convert(["NO", "名称"], [["1", "A"], ["1", "B"], ["2", "C"], ["1", "D"]],
                       SMALL, S.publisher_of("131130"))
    assert [row[1] for row in result.rows] == ["1", "1-2", "2", "1-3"]
    (change,) = [c for c in result.changes if c.rule == "STD-06"]
    assert change.cells == [(2, 0), (4, 0)]


def test_local_names_of_the_name_and_address_columns_and_of_the_yes_no_columns():
    header = ["施設名", "設置住所", "車いすトイレ", "ベビーシート", "開放時間", "Y座標", "X座標",
              "収容人数", "都道府県名"]
    rows = [["神南公衆便所", "渋谷区神南1-1-1", "有", "無", "9:00-17:00", "35.66", "139.69",
             "35", "東京都"],
            ["宇田川公衆便所", "渋谷区宇田川町2-1", "無", "有", "24時間", "35.67", "139.70",
             "40", "東京都"]]
    result = S.convert(header, rows, SMALL, S.publisher_of("131130"))
    how = {m["target"]: (m["source"], m["how"]) for m in result.mapping}
    assert how["名称"] == ("施設名", "synonym")
    assert how["所在地_連結表記"] == ("設置住所", "synonym")
    assert how["車椅子使用者用トイレ有無"] == ("車いすトイレ", "values")
    assert how["乳幼児用設備設置トイレ有無"] == ("ベビーシート", "values")
    assert how["緯度"] == ("Y座標", "values") and how["経度"] == ("X座標", "values")
    assert "収容人数" in result.unmapped  # 35 and 40 are no latitudes
    first = dict(zip(result.header, result.rows[0]))
    assert first["所在地_連結表記"] == "東京都渋谷区神南一丁目1-1"
    assert first["備考"] == "収容人数: 35"


def test_start_and_end_columns_a_span_in_one_and_words_kept_in_the_notes():
    aed = standards.get("aed")
    header = ["名称", "開始時間", "終了時間", "利用可能日時特記事項"]
    rows = [["市役所", "8:30～17:15", "", "土日祝休み"],
            ["体育館", "９時", "２１時半", ""],
            ["公園", "日の出", "日没", "冬季閉鎖"]]
    result = S.convert(header, rows, aed, S.publisher_of("222127"))
    out = [dict(zip(result.header, row)) for row in result.rows]
    assert [(o["開始時間"], o["終了時間"]) for o in out] == [
        ("08:30", "17:15"), ("09:00", "21:30"), ("", "")]
    assert out[0]["利用可能日時特記事項"] == "土日祝休み"
    assert out[2]["利用可能日時特記事項"] == "冬季閉鎖 / 開始時間: 日の出 / 終了時間: 日没"
    named = {cell for change in result.changes for cell in change.cells}
    assert {(1, 1), (2, 1), (2, 2), (3, 1), (3, 2)} <= named


def test_words_around_opening_hours_are_kept_in_the_notes():
    result = S.convert(["名称", "開放時間"], [["a", "9時～17時（土日は休み）"]], SMALL, None)
    row = dict(zip(result.header, result.rows[0]))
    assert (row["利用開始時間"], row["利用終了時間"]) == ("09:00", "17:00")
    assert row["利用可能時間特記事項"] == "9時～17時（土日は休み）"


def test_coverage_says_how_much_of_a_standard_a_local_layout_gives():
    kobe, evacuation, _ = converted("hyogo-kobe_201706okunaihinanjo.csv")
    assert S.coverage(kobe.header, kobe.rows, evacuation) >= 0.6
    population = prepare((DATAFILES / "chiba-ichikawa_122033_104_population.csv")
                         .read_bytes()).tables[0]
    assert S.coverage(population.header, population.rows, evacuation) < 0.3
    koto, toilets, _ = converted("tokyo-koto_131083_public_toilet.TRANSCODED.csv")
    assert S.coverage(koto.header, koto.rows, toilets) == 1.0


def test_phone_numbers_and_postal_codes_in_the_standards_form():
    assert S.first_phone("078-803-5921(昼)、078-803-5777(夜)") == "078-803-5921"
    assert S.first_phone("-") is None
    result = S.convert(["名称", "電話番号", "郵便番号"],
                       [["a", "078-803-5921(昼)、078-803-5777(夜)", "〒658-0013"],
                        ["b", "078−413−3264", "6580013"], ["c", "-", ""]],
                       standards.get("evacuation_space"), S.publisher_of("281000"))
    out = [dict(zip(result.header, row)) for row in result.rows]
    assert [o["電話番号"] for o in out] == ["078-803-5921", "078-413-3264", ""]
    assert out[0]["備考"] == "電話番号: 078-803-5921(昼)、078-803-5777(夜)"
    assert out[2]["備考"] == "電話番号: -"
    assert [o["郵便番号"] for o in out] == ["658-0013", "6580013", ""]
    assert not [e for e in result.after.column_errors if e["column"] in ("電話番号", "郵便番号")]


def test_a_postal_code_before_the_address_and_a_local_id_column_are_kept():
    rows = [["1", "神南便所", "〒150-0041 東京都渋谷区神南1-19-8"],
            ["2", "宇田川便所", "東京都渋谷区宇田川町2-1"]]
    toilets = S.convert(["通し番号", "名称", "住所"], rows, SMALL, S.publisher_of("131130"))
    first = dict(zip(toilets.header, toilets.rows[0]))
    assert first["ID"] == "1" and first["備考"] == "郵便番号: 150-0041"
    assert first["所在地_連結表記"] == "東京都渋谷区神南一丁目19-8"
    shelters = S.convert(["通し番号", "名称", "住所"], rows,
                         standards.get("evacuation_space"), S.publisher_of("131130"))
    first = dict(zip(shelters.header, shelters.rows[0]))
    assert first["郵便番号"] == "150-0041" and first["備考"] == ""


def test_the_files_own_building_and_one_in_the_address_are_both_kept():
    result = S.convert(["名称", "住所", "方書"],
                       [["a", "東京都渋谷区神南1-1 渋谷ビル", "2階"],
                        ["b", "東京都渋谷区神南1-1 渋谷ビル", "渋谷ビル"],
                        ["c", "東京都渋谷区神南1-1", "3階"]], SMALL, S.publisher_of("131130"))
    got = [(row[8], row[13]) for row in result.rows]  # 所在地_連結表記, 建物名等(方書)
    assert got == [("東京都渋谷区神南一丁目1　渋谷ビル　2階", "渋谷ビル　2階"),
                   ("東京都渋谷区神南一丁目1　渋谷ビル", "渋谷ビル"),
                   ("東京都渋谷区神南一丁目1　3階", "3階")]
