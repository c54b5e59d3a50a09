"""The scorer's rules on files built to break, or to pass, one rule each (issue #15)."""
from __future__ import annotations

import io
from typing import Any

import openpyxl

from ckanext.tdpf.lib import rating
from ckanext.tdpf.lib.rating import readers, rules


def rate_csv(text: str) -> rating.Rating:
    return rating.rate(text.encode())


def workbook(rows: list[list[Any]], merged: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref in merged:
        sheet.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def findings(result: rating.Rating, rule: str) -> list[dict[str, Any]]:
    return [finding for finding in result.findings if finding["rule"] == rule]


def flagged(result: rating.Rating, rule: str) -> bool:
    return bool(findings(result, rule))


def csv_table(text: str) -> rules.Table:
    book = readers.read_csv(text.encode())
    return rules.locate(book, book.sheets[0])


class TestOneValuePerCell:
    """L1-07, judged per column."""

    def test_lists_of_departments_and_of_facility_names(self):
        departments = rate_csv("名称,診療科\r\nA病院,内科、外科、小児科\r\nB医院,内科、皮膚科\r\n"
                               "C診療所,眼科\r\n")
        assert [f["locations"] for f in findings(departments, "L1-07")] == [["B2", "B3"]]
        names = rate_csv("地区,名称\r\n東部,A公園、B公園\r\n西部,C広場，D広場\r\n北部,E公園\r\n")
        assert flagged(names, "L1-07")

    def test_latitude_and_longitude_in_one_cell_is_a_judgment(self):
        result = rate_csv('名称,位置\r\nA,"35.68,139.76"\r\nB,35.69 139.77\r\nC,35.70 139.70\r\n')
        [finding] = findings(result, "L1-07")
        assert finding["count"] == 3 and finding["judgment"] is True

    def test_two_quantities_written_as_a_over_b(self):
        result = rate_csv("名称,定員/現員\r\nA保育園,12/15\r\nB保育園,20/18\r\nC保育園,30/30\r\n")
        assert flagged(result, "L1-07")

    def test_line_break_lists_in_csv_cells(self):
        result = rate_csv('名称,設置場所\r\nA館,"1階ロビー\n3階受付"\r\nB館,"体育館\n職員室"\r\n'
                          "C館,玄関\r\n")
        assert flagged(result, "L1-07")
        assert flagged(result, "L1-14")

    def test_sentences_whose_comma_is_punctuation_pass(self):
        result = rate_csv("名称,備考\r\nA館,土日、祝日は休館します。\r\nB館,月曜日、年末年始は休館\r\n"
                          "C館,駐車場はありません。\r\nD館,雨天の場合、中止します\r\n")
        assert not flagged(result, "L1-07")

    def test_one_list_in_a_long_column_of_names_passes(self):
        rows = "".join(f"{n},施設{n}\r\n" for n in range(1, 41))
        result = rate_csv("番号,名称\r\n" + rows + "41,東公園、西公園\r\n")
        assert not flagged(result, "L1-07")

    def test_dates_and_separate_coordinates_pass(self):
        result = rate_csv("名称,開館日,緯度,経度\r\nA,12/15,35.68,139.76\r\nB,1/5,35.69,139.77\r\n")
        assert not flagged(result, "L1-07")


FACILITIES = ("名称,所在地,種別,電話番号\r\n"
              "東公園,東灘区1,○,078-111-1111\r\n"
              "西公園,西区2,●,078-222-2222\r\n"
              "北公園,北区3,○,078-333-3333\r\n"
              "南公園,須磨区4,○,078-444-4444\r\n")


class TestOneTablePerSheet:
    """L1-02: a tally below the data is a second table, not data."""

    def test_tally_of_symbols_and_counts_under_a_list(self):
        text = FACILITIES + ",,,\r\n○,3\r\n●,1\r\n"
        result = rate_csv(text)
        assert flagged(result, "L1-02")
        assert not flagged(result, "L1-03")  # the blank row ends a table, it splits none
        table = csv_table(text)
        assert table.body == [1, 2, 3, 4]
        assert table.second_tables == [6]

    def test_more_of_the_same_rows_after_a_blank_row_is_one_split_table(self):
        result = rate_csv(FACILITIES + ",,,\r\n中公園,中央区5,●,078-555-5555\r\n")
        assert not flagged(result, "L1-02")
        assert flagged(result, "L1-03")


class TestHeaderInRowOne:
    """L3-01: one header row, data from row 2."""

    def test_group_header_over_sub_headers(self):
        content = workbook([["地域", "人口（人）", None, "世帯数（世帯）"],
                            [None, "男", "女", None],
                            ["千代田区", 35000, 33000, 38000],
                            ["中央区", 85000, 90000, 100000]],
                           merged=("A1:A2", "B1:C1", "D1:D2"))
        result = rating.rate(content)
        [finding] = findings(result, "L3-01")
        assert finding["locations"] == ["Sheet!A1:A2"]
        assert result.l3 == 0

    def test_repeated_names_under_a_group_header(self):
        content = workbook([["地域", "人口（人）", None, "世帯数（世帯）"],
                            ["地域", "男", "女", "世帯数（世帯）"],
                            ["千代田区", 35000, 33000, 38000],
                            ["中央区", 85000, 90000, 100000]])
        assert flagged(rating.rate(content), "L3-01")

    def test_sub_headers_over_numbers(self):
        text = ("年月,人口（人）,,世帯数（世帯）\r\n区別,総数,男,世帯数\r\n"
                "千代田区,68000,33000,38000\r\n中央区,175000,85000,100000\r\n")
        assert csv_table(text).header_rows == [0, 1]
        assert flagged(rate_csv(text), "L3-01")

    def test_a_row_of_dashes_under_a_header_with_gaps_is_data(self):
        table = csv_table("校名,区分,学級数（学級）,\r\n港島学園,前年,－,－\r\n港島学園,計,28,3\r\n")
        assert table.header_rows == [0] and table.body == [1, 2]

    def test_a_first_row_of_text_over_one_number_is_data(self):
        table = csv_table("名称,住所,電話番号,\r\nA公園,東灘区1,078-111-1111,工事中\r\n"
                          "B公園,灘区2,078-222-2222,3\r\n")
        assert table.header_rows == [0] and table.body == [1, 2]

    def test_one_header_row_passes(self):
        content = workbook([["地域", "人口（男）（人）", "人口（女）（人）"],
                            ["千代田区", 35000, 33000], ["中央区", 85000, 90000]])
        assert not flagged(rating.rate(content), "L3-01")


class TestRegion:
    """L3-06: region columns are known by their values."""

    def test_classification_named_like_a_region_is_no_region_column(self):
        result = rate_csv("地域区分,件数（件）\r\n住宅地,12\r\n商業地,5\r\n工業地,3\r\n")
        assert not flagged(result, "L3-06")

    def test_names_cut_short_are_flagged(self):
        result = rate_csv("地域,人口（人）\r\n東灘,1\r\n灘,2\r\n中央,3\r\n")
        assert flagged(result, "L3-06")

    def test_region_codes_pass(self):
        result = rate_csv("地域コード,地域,人口（人）\r\n281018,東灘,1\r\n281026,灘,2\r\n")
        assert not flagged(result, "L3-06")

    def test_a_section_row_is_not_joined_into_the_header(self):
        text = ("名称,所在地,電話番号,,\r\n,東部地域,,,\r\n"
                "東公園,神戸市東灘区1,078-111-1111,a,b\r\n西公園,神戸市灘区2,078-222-2222,c,d\r\n")
        table = csv_table(text)
        assert table.header_rows == [0]
        assert not flagged(rate_csv(text), "L3-06")


class TestOmissions:
    """L2-02: a heading row standing for a value every record below it leaves out."""

    SECTIONS = ("名称,所在地,電話番号\r\n東部地域,,\r\n東公園,東灘区1,078-111-1111\r\n"
                "北公園,灘区2,078-222-2222\r\n西部地域,,\r\n西公園,西区3,078-333-3333\r\n"
                "南公園,須磨区4,078-444-4444\r\n")

    def test_area_names_written_once_above_their_groups(self):
        result = rate_csv(self.SECTIONS)
        [finding] = findings(result, "L2-02")
        assert finding["locations"] == ["CSV!A2", "CSV!A5"]
        assert result.l2 == 0
        assert not flagged(result, "L1-04")  # not notes outside the table

    def test_a_unit_or_date_note_under_the_header_is_no_heading(self):
        for note in ("単位：人", "令和5年4月1日現在"):
            result = rate_csv(f"名称,所在地,人数\r\n{note},,\r\nA館,東灘区1,3\r\nB館,灘区2,4\r\n")
            assert not flagged(result, "L2-02")

    def test_area_in_a_column_and_a_note_row_pass(self):
        result = rate_csv("地域,名称,所在地\r\n東部,東公園,東灘区1\r\n東部,北公園,灘区2\r\n"
                          "※北公園は工事中,,\r\n西部,西公園,西区3\r\n")
        assert not flagged(result, "L2-02")


class TestUniqueColumnNames:
    """L2-03: a header merged over two columns names both."""

    def test_label_merged_over_a_symbol_and_a_name_column(self):
        content = workbook([["番号", "種別", None, "所在地"],
                            [1, "○", "公園", "東灘区1"], [2, "●", "広場", "灘区2"]],
                           merged=("B1:C1",))
        assert flagged(rating.rate(content), "L2-03")

    def test_merged_group_label_over_named_sub_headers_passes(self):
        content = workbook([["地域", "人口（人）", None],
                            [None, "男", "女"],
                            ["千代田区", 35000, 33000], ["中央区", 85000, 90000]],
                           merged=("A1:A2", "B1:C1"))
        assert not flagged(rating.rate(content), "L2-03")


class TestPlatformDependentCharacters:
    """L1-08: proper nouns may keep their variant kanji; addresses and symbols may not."""

    def test_variant_kanji_in_names_of_people_and_companies_pass(self):
        result = rate_csv("施設名,代表者,運営法人,氏名\r\nA館,髙橋一郎,株式会社髙島屋,𠮷田花子\r\n"
                          "B館,山﨑次郎,有限会社山田,佐藤三郎\r\n")
        assert not flagged(result, "L1-08")

    def test_variant_kanji_in_addresses_and_official_names(self):
        result = rate_csv("名称,住所\r\n髙松市役所,香川県高松市番町1\r\nA館,髙松市番町2\r\n")
        [finding] = findings(result, "L1-08")
        assert finding["locations"] == ["A2", "B3"]

    def test_symbols_anywhere_even_in_names(self):
        result = rate_csv("氏名,会社名,面積\r\n髙橋①,㈱髙島屋,12㎡\r\n№1,A,3\r\n")
        [finding] = findings(result, "L1-08")
        assert finding["count"] == 4
        assert set(finding["message"]["en"]) >= set("①㈱㎡№")
        assert "髙" not in finding["message"]["en"]

    def test_characters_shift_jis_lacks_are_not_platform_dependent(self):
        result = rate_csv("名称,備考\r\nCafé Ü,—\r\nKöln,ß\r\n")
        assert not flagged(result, "L1-08")
        assert flagged(rate_csv("名称,住所\r\nA,𠮷野町1\r\n"), "L1-08")
        assert flagged(rate_csv("名称,番号\r\nA,㉑\r\n"), "L1-08")


class TestNumberColumns:
    """Codes and LinkData's metadata rows are not numbers (L1-09, L2-01, L3-03)."""

    def test_code_columns_with_dashes_and_marks(self):
        result = rate_csv("区分,種別コード,名称,人数（人）\r\n1,01,A,10\r\n2,02,B,20\r\n-,*,C,5\r\n"
                          "3,03,D,7\r\n")
        assert not {"L1-09", "L2-01", "L3-03"} & {f["rule"] for f in result.findings}

    def test_category_of_small_integers(self):
        result = rate_csv("施設種別,名称,人数（人）\r\n1,A,10\r\n2,B,20\r\n-,C,5\r\n1,D,7\r\n")
        assert not flagged(result, "L1-09")

    def test_a_huge_number_in_a_category_column_breaks_no_rule(self):
        result = rate_csv("施設種別,名称,人数（人）\r\n1e400,A,10\r\n2,B,-\r\n1,C,5\r\n")
        assert flagged(result, "L1-09")

    def test_quantities_still_checked(self):
        result = rate_csv("名称,人数（人）\r\nA,10\r\nB,-\r\nC,5\r\nD,7\r\n")
        assert flagged(result, "L1-09")

    def test_linkdata_metadata_rows(self):
        text = ("#property,name,population,area\r\n#type,string,integer,decimal\r\n"
                "#object,,,\r\n1,A,100,1.5\r\n2,B,200,2.5\r\n3,C,300,3.5\r\n")
        result = rate_csv(text)
        assert not {"L2-01", "L3-01", "L1-04"} & {f["rule"] for f in result.findings}
        table = csv_table(text)
        assert table.metadata == [1, 2] and table.body == [3, 4, 5]

    def test_linkdata_directives_above_the_header(self):
        result = rate_csv("#lang,ja\r\n#property,name,population\r\n#type,string,integer\r\n"
                          "1,A,100\r\n2,B,200\r\n3,C,300\r\n")
        assert not {"L2-01", "L3-01", "L1-04"} & {f["rule"] for f in result.findings}

    def test_values_starting_with_a_hash_outside_linkdata_are_data(self):
        table = csv_table("タグ,件数（件）\r\n#tokyo,3\r\n#osaka,5\r\n")
        assert table.metadata == [] and table.body == [1, 2]


class TestLayoutSpaces:
    """L1-06: letters spread out with spaces."""

    def test_letter_spaced_names(self):
        result = rate_csv("都道府県,人口（人）\r\n青  森県,1\r\n東　京　都,2\r\n大阪府,3\r\n")
        [finding] = findings(result, "L1-06")
        assert finding["locations"] == ["A2", "A3"]

    def test_names_and_addresses_with_one_space_pass(self):
        result = rate_csv("氏名,住所\r\n山田　太郎,千代田区 丸の内1丁目\r\n佐藤 一郎,中央区　銀座\r\n")
        assert not flagged(result, "L1-06")


class TestMinorFaults:
    def test_flag_columns_need_no_unit(self):
        flags = rate_csv("名称,駐車場,面積（㎡）\r\nA,1,10\r\nB,0,20\r\nC,1,30\r\n")
        assert not flagged(flags, "L3-04")

    def test_number_column_without_unit_is_a_judgment(self):
        [finding] = findings(rate_csv("名称,規模\r\nA,120\r\nB,80\r\nC,95\r\n"), "L3-04")
        assert finding["judgment"] is True

    def test_blank_rows_between_notes_and_header(self):
        result = rate_csv("注記：推計値\r\n出典：区の統計\r\n\r\n\r\n" + FACILITIES)
        [finding] = findings(result, "L1-03")
        assert finding["locations"] == ["CSV!A3", "CSV!A4"]

    def test_notes_right_above_the_header_leave_l1_03_alone(self):
        result = rate_csv("注記：推計値\r\n出典：区の統計\r\n" + FACILITIES)
        assert not flagged(result, "L1-03")


class TestNotJudged:
    def test_rules_not_judged_from_the_file_are_listed_without_deduction(self):
        result = rate_csv(FACILITIES)
        assert [item["rule"] for item in result.not_judged] == ["L3-02", "L3-07", "L3-08"]
        for item in result.not_judged:
            assert item["kind"] == "not_judged"
            assert item["title"]["ja"] != item["title"]["en"]
            assert item["reason"]["ja"] != item["reason"]["en"]
        assert result.l3 == 100

    def test_findings_say_whether_they_are_judgments(self):
        result = rate_csv("名称,名称,規模\r\nA,B,120\r\nC,D,80\r\n")
        assert {f["rule"]: f["judgment"] for f in result.findings} == {
            "L2-03": False, "L3-04": True}

    def test_a_pdf_has_nothing_not_judged(self):
        assert rating.rate(b"%PDF-1.7\n").not_judged == []


def test_each_sheet_is_located_once(monkeypatch):
    """L1-03 compares the headers of every sheet; it must not locate them again per sheet."""
    calls = []
    original = rules._locate

    def counting(book, sheet):
        calls.append(sheet.name)
        return original(book, sheet)

    monkeypatch.setattr(rules, "_locate", counting)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for index in range(11):
        sheet = book.create_sheet(f"表{index + 1}")
        sheet.append(["学校名", "学級数（学級）", None])
        for row in range(2, 40):
            sheet.append([f"学校{row}", row, row])
            sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    out = io.BytesIO()
    book.save(out)
    result = rating.rate(out.getvalue())
    assert sorted(calls) == sorted(f"表{index + 1}" for index in range(11))
    assert findings(result, "L1-12")[0]["count"] == 38
