"""The conversion engine on the real municipal files and on small made-up ones: nothing is
lost, what is not changed is copied as it was, and each kind of mess is fixed."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from ckanext.tdpf.lib.rating import readers
from ckanext.tdpf.prep.engine import PrepError, prepare, read
from ckanext.tdpf.prep.engine import values as V

from .conftest import FIXTURES


def _filled(value) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_source_cell_is_in_a_table_or_named_by_a_change(path):
    content = path.read_bytes()
    book = read(content)  # the scorer's readers, independently of the tables made
    prepared = prepare(content)
    for sheet in book.sheets:
        accounted = set()
        for table in prepared.tables:
            if table.sheet == sheet.name:
                accounted |= table.sources
                for change in table.changes:
                    if change.sheet == sheet.name:
                        accounted |= set(change.cells)
        for change in prepared.changes:
            if change.sheet == sheet.name:
                accounted |= set(change.cells)
        lost = [readers.cell_name(r, c) for r, row in enumerate(sheet.rows)
                for c, value in enumerate(row) if _filled(value) and (r, c) not in accounted]
        assert lost == [], f"{sheet.name}: cells neither kept nor named: {lost[:10]}"


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_cells_no_change_names_are_copied_unchanged(path):
    content = path.read_bytes()
    book = read(content)
    sheets = {sheet.name: sheet for sheet in book.sheets}
    for table in prepare(content).tables:
        named = {cell for change in table.changes for cell in change.cells}
        rows = sheets[table.sheet].rows
        for (i, j), (r, c) in table.cell_map.items():
            if (r, c) in named:
                continue
            assert table.rows[i][j] == V.plain(rows[r][c]), (table.name, i, j, r, c)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_prepared_csv_is_one_rectangular_utf8_table(path):
    for table in prepare(path.read_bytes()).tables:
        rows = list(csv.reader(io.StringIO(table.csv_bytes().decode("utf-8"))))
        assert rows[0] == table.header and len(set(table.header)) == len(table.header)
        assert all(len(row) == len(table.header) for row in rows)
        assert not any("\n" in value or "\r" in value for row in rows for value in row)


def test_kobe_population_two_tables_headers_joined_eras_and_notes():
    path = next(p for p in FIXTURES if "jinkou2708" in p.name)
    prepared = prepare(path.read_bytes())
    first, second = prepared.tables
    assert first.name == "毎月人口ＨＰ" and second.name == "毎月人口ＨＰ (2)"
    assert "人口Population_男 Males" in first.header
    assert first.rows[0][0] == "2011" and first.rows[1][0] == "2012"  # 平成23年, then 24年
    assert [row[0] for row in first.rows[4:7]] == ["2015-06", "2015-07", "2015-08"]
    assert "東灘区" == first.rows[7][0]  # 「 東  灘  区    」
    assert first.rows[0][-1].startswith("年月 Year and Month_区別 Ward (\"ku\"): a)b)")
    assert "神戸市の推計人口" in first.description
    assert any(line.startswith("*** 人口動態については") for line in second.description)
    assert second.header[3] == "人口_増加数_Net Change"
    rules = {change.rule for change in first.changes}
    assert {"L3-01", "L1-06", "L3-05", "L3-03", "L1-12"} <= rules


def test_kobe_shelters_tally_below_is_its_own_table_named_by_the_columns_above():
    path = next(p for p in FIXTURES if "okunaihinanjo" in p.name)
    main, tally = prepare(path.read_bytes()).tables
    assert main.header[10:14] == ["災害ごとの注意事項_土砂災害", "災害ごとの注意事項_洪水",
                                "災害ごとの注意事項_津波", "災害ごとの注意事項_備考"]
    assert main.row_count == 335
    assert tally.header[0] == "緊急避難場所の利用" and tally.rows[0][0] == "335"


def _xlsx(rows, merged=(), hidden_rows=()) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "データ"
    for row in rows:
        sheet.append(row)
    for ref in merged:
        sheet.merge_cells(ref)
    for number in hidden_rows:
        sheet.row_dimensions[number].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_title_merged_groups_ditto_symbols_units_and_hidden_rows():
    content = _xlsx([
        ["令和6年度 施設別利用者数"],
        [],
        ["施設", "区分", "利用者", None],
        [None, None, "男", "女"],
        ["中央図書館", "本館", "1,234人", "１，０００人"],
        [None, "分館", "－", "…"],
        ["〃", "移動", "✕", "12※"],
        ["秘密の行", "本館", "9", "9"],
        ["西図書館", "本館", "△5", "7"],
        [],
        ["※ 開館日: R6.4.1"],
    ], merged=["A3:A4", "B3:B4", "C3:D3", "A1:D1"], hidden_rows=[8])
    prepared = prepare(content)
    (table,) = prepared.tables
    assert table.header == ["施設", "区分", "利用者_男（人）", "利用者_女（人）", "注記"]
    assert table.rows == [
        ["中央図書館", "本館", "1234", "1000", ""],
        ["中央図書館", "分館", "0", "", "利用者_女（人）: 不詳"],
        ["中央図書館", "移動", "", "12", "利用者_男（人）: 秘匿; 利用者_女（人）: ※"],
        ["西図書館", "本館", "-5", "7", ""],
    ]
    assert table.description[0] == "令和6年度 施設別利用者数"
    assert "※ 開館日: R6.4.1" in table.description
    where = {(change.rule, change.where) for change in table.changes}
    assert ("L1-13", "データ!A8:D8") in where  # the hidden row
    assert ("L2-02", "データ!A7") in where  # the ditto mark
    assert ("L2-02", "データ!A5") in where  # the group's value, filled below it


@pytest.mark.parametrize("written, iso", [
    ("令和6年4月1日", "2024-04-01"), ("R6.4.1", "2024-04-01"), ("H31.4.30", "2019-04-30"),
    ("平成31年4月30日", "2019-04-30"), ("令和元年5月1日", "2019-05-01"), ("R1.5.1", "2019-05-01"),
    ("昭和64年1月7日", "1989-01-07"), ("平成元年1月8日", "1989-01-08"), ("平成27年８月", "2015-08"),
    ("２０２４年４月１日", "2024-04-01"), ("2024/4/1", "2024-04-01"), ("2024.04.01", "2024-04-01"),
])
def test_dates_and_eras_become_iso_8601(written, iso):
    assert V.read_date(written)[0] == iso


@pytest.mark.parametrize("written", ["S1-2", "R6", "令和6年13月1日", "東京都", "2024"])
def test_what_is_no_date_stays(written):
    assert V.read_date(written) is None


def test_platform_dependent_symbols_replaced_variant_kanji_kept():
    assert V.replace_platform_chars("①㈱№3㎡髙島屋")[0] == "1(株)No.3m2髙島屋"


@pytest.mark.parametrize("written, value, unit, note", [
    ("１，２３４人", "1234", "人", ""), ("△12", "-12", "", ""), ("3.5%※", "3.5", "%", "※"),
    ("12 a)", "12", "", "a)"), ("1,234,567", "1234567", "", ""),
])
def test_numbers_normalized(written, value, unit, note):
    number = V.read_number(written)
    assert (number.value, number.unit, number.note) == (value, unit, note)


def test_letter_spacing_removed_but_words_keep_their_space():
    assert V.clean_spaces(" 東  灘  区    ") == "東灘区"
    assert V.clean_spaces("財団法人 三宅医学研究所") == "財団法人 三宅医学研究所"


def test_encrypted_workbook_refused():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptedPackage".encode(
        "utf-16-le") + b"\x00" * 512
    with pytest.raises(PrepError) as error:
        prepare(ole)
    assert error.value.code == "encrypted"


def test_zip_bomb_refused_before_reading():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 1024 * 1024))
    with pytest.raises(PrepError) as error:
        prepare(out.getvalue())
    assert error.value.code == "zip_bomb"


@pytest.mark.parametrize("content, code", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "needs_ocr"), (b"   ", "empty"),
    (b"{\\rtf1 hello}", "unsupported_format"), (b"PK\x03\x04broken", "unreadable"),
])
def test_files_that_cannot_be_prepared_say_why(content, code):
    with pytest.raises(PrepError) as error:
        prepare(content)
    assert error.value.code == code
    assert error.value.message["ja"] and error.value.message["en"]


def test_ods_read_with_spans_and_hidden_rows():
    content = _ods()
    (table,) = prepare(content).tables
    assert table.header == ["地区", "人口（人）"]
    assert table.rows == [["北区", "100"], ["南区", "200"]]
    assert any(change.rule == "L1-13" for change in table.changes)


def _ods() -> bytes:
    body = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="人口">
<table:table-row><table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>人口表</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>地区</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>人口（人）</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>北区</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="100"/></table:table-row>
<table:table-row table:visibility="collapse"><table:table-cell office:value-type="string"><text:p>隠し</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="5"/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>南区</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="200"/></table:table-row>
<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", body)
    return out.getvalue()


def test_formulas_and_colours_are_listed():
    import openpyxl
    from openpyxl.styles import PatternFill

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["区", "人口"])
    sheet.append(["北区", 100])
    sheet.append(["南区", 200])
    sheet["B3"].fill = PatternFill("solid", fgColor="FFFF0000")
    out = io.BytesIO()
    book.save(out)
    (table,) = prepare(out.getvalue()).tables
    assert {(c.rule, c.where) for c in table.changes} == {("L1-11", "Sheet!B3")}


def test_a_csv_longer_than_the_reader_takes_is_prepared_in_a_stream():
    content = ("区,人口\n" + "北区,１，２３４\n" * (readers.MAX_ROWS + 10)).encode("cp932")
    (table,) = prepare(content).tables
    assert table.row_count == readers.MAX_ROWS + 10
    lines = table.csv_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == "区,人口,注記"  # a note column, in case a later row needs one
    assert len(lines) == readers.MAX_ROWS + 12 and lines[-2] == "北区,1234,"
    (widths,) = [c for c in table.changes if c.what("en").startswith("Full-width")]
    assert widths.total == readers.MAX_ROWS + 10


def test_section_rows_fill_the_column_they_stand_in():
    content = "地区,施設,人数\n北区\n,図書館,10\n,公園,5\n南区\n,図書館,3\n".encode()
    (table,) = prepare(content).tables
    assert table.header == ["地区", "施設", "人数"]
    assert table.rows == [["北区", "図書館", "10"], ["北区", "公園", "5"], ["南区", "図書館", "3"]]


def test_section_rows_become_a_column_of_their_own():
    content = "施設,種別,人数\n北区\n図書館,A,10\n公園,B,5\n南区\n図書館,A,3\n".encode()
    (table,) = prepare(content).tables
    assert table.header == ["区分", "施設", "種別", "人数"]
    assert table.rows[0] == ["北区", "図書館", "A", "10"]


def test_a_file_without_a_header_gets_column_names_and_keeps_its_first_row():
    (table,) = prepare(b"1,2\n3,4\n").tables
    assert table.header == ["列A", "列B"] and table.rows == [["1", "2"], ["3", "4"]]


def test_years_name_columns():
    (table,) = prepare("区分,2019,2020,2021\n北区,1,2,3\n".encode()).tables
    assert table.header == ["区分", "2019", "2020", "2021"]


def test_every_column_of_a_hidden_span_is_left_out():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["区", "非表示1", "非表示2", "非表示3", "人口"])
    sheet.append(["北区", 1, 2, 3, 100])
    sheet.column_dimensions.group("B", "D", hidden=True)
    out = io.BytesIO()
    book.save(out)
    (table,) = prepare(out.getvalue()).tables
    assert table.header == ["区", "人口"] and table.rows == [["北区", "100"]]
    (hidden,) = [change for change in table.changes if change.rule == "L1-13"]
    assert hidden.where == "Sheet!B1:D2"
    assert [c.rule for c in table.changes if c.rule == "L1-03"] == []


def test_a_unit_stated_above_the_table_names_the_number_columns():
    content = "年齢別人口\n（単位：人）\n区,男,女,コード\n北区,10,20,01\n南区,30,40,02\n"
    (table,) = prepare(content.encode()).tables
    assert table.header == ["区", "男（人）", "女（人）", "コード"]
    assert table.description == ["年齢別人口", "（単位：人）"]
    assert any(change.rule == "L3-04" for change in table.changes)


MESS = [None, "", " ", "〃", "同上", "－", "…", "✕", "秘匿", "1,234", "１２", "△3", "令和6年4月1日",
        "R6.4.1", "①", "㈱テスト", "№1", "㎡", "東　京", "a\nb", "※1", "12人", 3.5, 0, -1, "x",
        "合計", "北区", "人口", "区分"]


@pytest.mark.parametrize("seed", range(150))
def test_made_up_messy_sheets_lose_nothing(seed):
    """Random small sheets of the usual mess (merged ranges in the workbooks): every cell is
    kept or named, and what no change names is copied as it was."""
    import random

    chance = random.Random(seed)
    width, height = chance.randint(1, 7), chance.randint(1, 14)
    rows = [[chance.choice(MESS) for _ in range(chance.randint(0, width))]
            for _ in range(height)]
    if seed % 2:
        out = io.StringIO()
        csv.writer(out).writerows([["" if v is None else v for v in row] for row in rows])
        content = out.getvalue().encode()
    else:
        merged = []
        for _ in range(chance.randint(0, 3)):
            top, left = chance.randint(1, height), chance.randint(1, width)
            bottom = min(height, top + chance.randint(0, 2))
            right = min(width, left + chance.randint(0, 2))
            ref = f"{readers.cell_name(top - 1, left - 1)}:{readers.cell_name(bottom - 1, right - 1)}"
            if all(not _overlaps(ref, other) for other in merged):
                merged.append(ref)
        content = _xlsx(rows, merged=merged)
    try:
        prepared = prepare(content)
    except PrepError as error:
        assert error.code == "empty"
        return
    book = read(content)
    for sheet in book.sheets:
        accounted = set()
        for table in prepared.tables:
            accounted |= table.sources | {c for ch in table.changes for c in ch.cells}
        lost = [(r, c) for r, row in enumerate(sheet.rows) for c, v in enumerate(row)
                if _filled(v) and (r, c) not in accounted]
        assert lost == []
        for table in prepared.tables:
            named = {cell for change in table.changes for cell in change.cells}
            for (i, j), (r, c) in table.cell_map.items():
                if (r, c) not in named:
                    assert table.rows[i][j] == V.plain(sheet.rows[r][c])


def _overlaps(a: str, b: str) -> bool:
    from ckanext.tdpf.lib.rating.rules import _bounds

    t1, l1, b1, r1 = _bounds(a)
    t2, l2, b2, r2 = _bounds(b)
    return not (b1 < t2 or b2 < t1 or r1 < l2 or r2 < l1)


def test_the_api_names_the_first_fifty_places_of_a_change():
    from ckanext.tdpf.prep.engine import Change

    change = Change("L1-06", "Layout spaces removed ({count} cells).", "S",
                    [(r * 2, 0) for r in range(60)])
    shown = change.as_dict("en")
    assert shown["where"].startswith("S!A1, S!A3") and shown["where"].endswith("S!A99, …")
    assert shown["what"] == "Layout spaces removed (60 cells)."


def test_a_list_printed_in_blocks_side_by_side_is_stacked():
    content = _xlsx([["町名", "人口", None, "町名", "人口"],
                     ["本町", 10, None, "新町", 30],
                     ["元町", 20, None, None, None]])
    (table,) = prepare(content).tables
    assert table.header == ["町名", "人口"]
    assert table.rows == [["本町", "10"], ["元町", "20"], ["新町", "30"]]
    assert any(change.rule == "L1-02" for change in table.changes)


def test_blocks_of_different_columns_stay_side_by_side():
    content = _xlsx([["区", "人口", None, "区", "世帯"], ["北区", 1, None, "北区", 5]])
    (table,) = prepare(content).tables
    assert table.header == ["区", "人口", "区_2", "世帯"]
