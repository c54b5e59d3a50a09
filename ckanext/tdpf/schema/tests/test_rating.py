"""The data-rate scorer on real municipal files and on files built to break one rule each."""
from __future__ import annotations

import io
import zipfile
import json

import openpyxl
import pytest

from ckanext.tdpf.lib import rating
from ckanext.tdpf.lib.rating import readers, rules
from ckanext.tdpf.schema.tests.conftest import DATAFILES

REAL_FILES = sorted(p for p in DATAFILES.iterdir() if p.suffix != ".md")
TIDY = ("全国地方公共団体コード,ID,地方公共団体名,名称,緯度,経度,設置年月日\r\n"
        "131083,1,江東区,亀戸公衆トイレ,35.697,139.826,2020-04-01\r\n"
        "131083,2,江東区,大島公衆トイレ,35.690,139.835,2021-10-15\r\n"
        "131083,3,江東区,砂町公衆トイレ,35.672,139.839,2019-03-31\r\n")


def rules_of(result: rating.Rating) -> set[str]:
    return {finding["rule"] for finding in result.findings}


def xlsx(build) -> bytes:
    book = openpyxl.Workbook()
    build(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_sheet(sheet):
    sheet.append(["地域", "人口（人）", "世帯数"])
    sheet.append(["千代田区", 68000, 38000])
    sheet.append(["中央区", 175000, 100000])


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_every_real_file_gets_a_stage_and_level_scores(path):
    result = rating.rate(path.read_bytes())
    assert result.error is None
    assert result.stage in (2, 3)
    assert 0 <= result.l1 <= 100
    assert result.l2 is not None and result.l3 is not None
    for finding in result.findings:
        assert finding["message"]["ja"] != finding["message"]["en"]
        assert finding["locations"]


class TestRealFiles:
    def test_shift_jis_csv_is_read_as_cp932(self):
        result = rating.rate((DATAFILES / "chiba-ichikawa_122033_108_aed.csv").read_bytes())
        assert result.encoding == "cp932"
        assert result.detected_format == "CSV"

    def test_utf8_with_bom(self):
        result = rating.rate((DATAFILES / "shizuoka-yaizu_222127_library.csv").read_bytes())
        assert result.encoding == "utf-8-sig"
        assert (result.stage, result.l1, result.l2, result.l3) == (3, 100, 100, 100)

    def test_messy_excel_is_marked_down_for_what_is_wrong(self):
        result = rating.rate(
            (DATAFILES / "hyogo-kobe_20160501_school_basic_survey.xlsx").read_bytes())
        assert {"L1-04", "L1-05", "L1-10", "L1-12", "L2-03", "L3-01"} <= rules_of(result)
        assert result.l2 == 0 and result.l3 == 0  # FATAL findings zero their level
        assert result.detected_format == "XLSX"

    def test_old_xls_is_read(self):
        result = rating.rate(
            (DATAFILES / "hyogo-kobe_jinkou2708_estimated_population.xls").read_bytes())
        assert result.detected_format == "XLS"
        assert {"L1-12", "L3-01"} <= rules_of(result)

    def test_wide_population_table_breaks_the_long_format_rule(self):
        result = rating.rate((DATAFILES / "chiba-ichikawa_122033_104_population.csv").read_bytes())
        assert "L3-09" in rules_of(result)

    def test_broken_csv_is_stage_2(self):
        result = rating.rate((DATAFILES / "hyogo-kobe_201706okunaihinanjo.csv").read_bytes())
        assert "L1-14" in rules_of(result)  # a line break inside a value
        assert "L1-08" in rules_of(result)  # №, a platform-dependent character
        assert (result.stage, result.l1) == (2, 0)


class TestEncodings:
    @pytest.mark.parametrize("encoding, expected", [
        ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"),
        ("utf-16", "utf-16"),
    ])
    def test_csv_in_every_encoding_municipalities_use(self, encoding, expected):
        result = rating.rate(TIDY.encode(encoding))
        assert result.encoding == expected
        assert result.stage == 3
        assert result.l1 == 100 and result.l2 == 100

    def test_utf16_without_bom(self):
        result = rating.rate(TIDY.encode("utf-16-le"))
        assert result.encoding == "utf-16-le"
        assert result.stage == 3


class TestRules:
    def test_tidy_csv_passes_every_rule(self):
        result = rating.rate(TIDY.encode())
        assert result.findings == []
        assert (result.stage, result.l1, result.l2, result.l3) == (3, 100, 100, 100)

    def test_line_break_in_a_value_is_fatal_for_csv(self):
        result = rating.rate((TIDY + '131083,4,江東区,"東雲\n公衆トイレ",35.6,139.8,2020-01-01\r\n')
                             .encode())
        assert "L1-14" in rules_of(result)
        assert result.l1 == 0 and result.stage == 2

    def test_unquoted_comma_is_fatal_for_csv(self):
        result = rating.rate((TIDY + "131083,4,江東区,東雲,公衆トイレ,35.6,139.8,2020-01-01\r\n")
                             .encode())
        assert "L1-15" in rules_of(result)
        assert result.l1 == 0

    def test_numbers_with_units_and_commas_break_l2_01(self):
        text = "地域,人口（人）\r\n千代田区,\"68,000\"\r\n中央区,175000人\r\n港区,260000\r\n"
        result = rating.rate(text.encode())
        assert "L2-01" in rules_of(result)
        assert result.l2 == 0

    def test_duplicate_headers_break_l2_03(self):
        result = rating.rate("名称,計,計\r\nA,1,2\r\nB,3,4\r\n".encode())
        assert "L2-03" in rules_of(result)

    def test_title_rows_break_l3_01_and_l1_04(self):
        result = rating.rate(("江東区 公衆トイレ一覧\r\n\r\n" + TIDY).encode())
        assert {"L3-01", "L1-04", "L1-03"} <= rules_of(result)
        assert result.l3 == 0
        assert result.l1 == 85  # L1-04 is MAJOR: -5; the blank margin row, L1-03 CRITICAL: -10

    def test_platform_dependent_characters(self):
        result = rating.rate("名称,備考\r\n施設①,㈱東京\r\n施設②,髙島屋\r\n".encode())
        finding = next(f for f in result.findings if f["rule"] == "L1-08")
        assert finding["count"] == 4
        assert result.l1 == 90  # CRITICAL: -10

    def test_japanese_era_without_western_year(self):
        result = rating.rate("名称,開設年月日\r\nA,令和5年4月1日\r\nB,平成30年10月1日\r\n".encode())
        assert "L3-05" in rules_of(result)

    def test_region_names_must_be_official(self):
        result = rating.rate("区,人口（人）\r\n東灘,1\r\n灘,2\r\n中央,3\r\n".encode())
        assert "L3-06" in rules_of(result)
        ok = rating.rate("区,人口（人）\r\n千代田区,1\r\n中央区,2\r\n港区,3\r\n".encode())
        assert "L3-06" not in rules_of(ok)

    def test_merged_hidden_formulas_objects_in_excel(self):
        def build(sheet):
            table_sheet(sheet)
            sheet["D1"] = "計"
            sheet["D2"] = "=B2+C2"
            sheet["D3"] = "=B3+C3"
            sheet.merge_cells("A5:C5")
            sheet["A5"] = "注：推計値"
            sheet.row_dimensions[3].hidden = True
        result = rating.rate(xlsx(build))
        assert {"L1-12", "L1-13", "L2-06", "L1-04"} <= rules_of(result)
        assert result.detected_format == "XLSX"
        assert result.stage == 3  # no FATAL at level 1

    def test_clean_excel(self):
        result = rating.rate(xlsx(table_sheet))
        assert result.findings == []
        assert (result.stage, result.l1, result.l2, result.l3) == (3, 100, 100, 100)

    def test_two_tables_on_one_sheet_is_fatal(self):
        def build(sheet):
            table_sheet(sheet)
            sheet.append([])
            sheet.append(["地域", "面積（㎢）", "人口密度"])
            sheet.append(["千代田区", 11.66, 5800])
        result = rating.rate(xlsx(build))
        assert "L1-02" in rules_of(result)
        assert result.l1 == 0 and result.stage == 2


class TestFormatsAndStages:
    def test_pdf_is_stage_0(self):
        result = rating.rate(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
        assert (result.stage, result.l1, result.l2, result.l3) == (0, 0, None, None)
        assert rules_of(result) == {"L1-01"}

    def test_html_page_is_stage_0(self):
        assert rating.rate(b"<!DOCTYPE html><html><body>data</body></html>").stage == 0

    def test_plain_text_is_stage_1(self):
        result = rating.rate("この資料は区の施設の案内です。\n詳しくは窓口へ。\n".encode())
        assert result.stage == 1

    def test_word_document_is_stage_1(self):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("word/document.xml", "<w:document/>")
        assert rating.rate(archive.getvalue()).stage == 1

    def test_json_and_geojson_are_stage_3(self):
        geo = {"type": "FeatureCollection", "features": []}
        result = rating.rate(json.dumps(geo).encode())
        assert (result.stage, result.detected_format, result.l2) == (3, "GEOJSON", None)
        assert rating.rate(b'[{"a": 1}]').detected_format == "JSON"

    def test_declared_format_is_not_trusted(self):
        """A CSV named .xlsx, an XLSX named .csv: the content decides."""
        assert rating.rate(xlsx(table_sheet)).detected_format == "XLSX"
        assert rating.rate(TIDY.encode()).detected_format == "CSV"

    def test_csv_in_a_zip(self):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("readme.txt", "説明")
            zf.writestr("data.csv", TIDY)
        result = rating.rate(archive.getvalue())
        assert result.stage == 3 and result.detected_format == "CSV"

    @pytest.mark.parametrize("content, error", [
        (b"", "empty"), (b"   \n", "empty"), (b"\x00\x01\x02\x03" * 100, "unknown_format"),
        (b'{"broken": ', "malformed_json"), (b"PK\x03\x04garbage", "unknown_format"),
    ])
    def test_unreadable_files_say_why(self, content, error):
        result = rating.rate(content)
        assert result.stage is None
        assert result.error == error
        assert result.error_message["ja"] and result.error_message["en"]

    def test_broken_excel(self):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("xl/workbook.xml", "<not-a-workbook")
        result = rating.rate(archive.getvalue())
        assert result.error == "malformed_excel"

    def test_stage_4_needs_metadata_and_standard_conformance(self):
        assert rating.stage_with_metadata(3, True, None) == 4
        assert rating.stage_with_metadata(3, True, True) == 4
        assert rating.stage_with_metadata(3, True, False) == 3
        assert rating.stage_with_metadata(3, False, True) == 3
        assert rating.stage_with_metadata(2, True, True) == 2


class TestScoring:
    """The Digital Agency's published formula (docs/guides/scoring.md)."""

    def v(self):
        return [rules.Violation("x", ["A1"])]

    def test_deductions_per_level(self):
        assert rating.level_score([(rules.CRITICAL, self.v()), (rules.MINOR, self.v())], 1) == 88
        assert rating.level_score([(rules.CRITICAL, self.v())], 2) == 60
        assert rating.level_score([(rules.MAJOR, self.v()), (rules.CRITICAL, self.v())], 3) == 75

    def test_fatal_zeroes_the_level(self):
        assert rating.level_score([(rules.FATAL, self.v()), (rules.MINOR, [])], 1) == 0

    def test_passed_rules_deduct_nothing_and_no_rules_means_no_score(self):
        assert rating.level_score([(rules.CRITICAL, []), (rules.FATAL, [])], 1) == 100
        assert rating.level_score([], 2) is None

    def test_score_never_goes_below_zero(self):
        many = [(rules.CRITICAL, self.v())] * 12
        assert rating.level_score(many, 1) == 0


def test_cells_are_named_like_in_a_spreadsheet():
    assert readers.cell_name(0, 0) == "A1"
    assert readers.cell_name(9, 27) == "AB10"


def test_hostile_and_random_files_never_break_the_rating():
    """Whatever a resource URL serves, the rating ends with a stage or a reason."""
    import random

    generator = random.Random(20261122)
    values = ["", "1", "x", "東京", "令和5年", "-", "○", "①", '"a,b"', " y ", "2024/1/1", "区",
              "その他（a）", '"', "\t"]
    cases = [b"\xff\xfe\x00", b"PK\x03\x04" + bytes(200),
             b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), b"[1, {", b"\n" * 50]
    for _ in range(150):
        cases.append(bytes(generator.getrandbits(8) for _ in range(generator.randint(1, 2000))))
        rows = "\n".join(",".join(generator.choice(values)
                                  for _ in range(generator.randint(1, 8)))
                         for _ in range(generator.randint(1, 30)))
        cases.append(rows.encode(generator.choice(["utf-8", "cp932", "utf-16"])))
    for content in cases:
        result = rating.rate(content)
        assert result.stage is not None or result.error in rating.ERRORS, result
