"""The Excel reader: cells, layout and values as the workbook stores them."""
from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
from openpyxl.styles import PatternFill

from ckanext.tdpf.lib import rating
from ckanext.tdpf.lib.rating import readers


def saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_layout_merged_hidden_rows_columns_and_sheets():
    book = openpyxl.Workbook()
    sheet = book.active
    for row in range(1, 6):
        sheet.append([f"a{row}", row, row * 2, row * 3])
    sheet.merge_cells("B5:D5")
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["C"].hidden = True
    hidden = book.create_sheet("hidden")
    hidden.sheet_state = "hidden"
    hidden.append(["x", 1])
    first, second = readers.read_xlsx(saved(book)).sheets
    assert (first.merged, first.hidden_rows, first.hidden_columns) == (["B5:D5"], [3], ["C"])
    assert first.rows[4] == ["a5", 5]
    assert (first.hidden_sheet, second.hidden_sheet) == (False, True)


def test_values_are_those_openpyxl_reads():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "人口 & 世帯"
    sheet.append(["名称", "日時", "時刻", "経過", "真偽", "数式", "小数", "指数", "文字"])
    sheet.append(["A", datetime.datetime(2024, 4, 1, 12, 30), datetime.time(9, 15),
                  datetime.timedelta(hours=30), True, "=G2*2", 1.5, 1e20, "0012"])
    sheet.append(["B", datetime.date(1900, 1, 15), None, None, False, None, -0.25, 3, " "])
    sheet["D2"].number_format = "[h]:mm:ss"
    sheet["A2"].fill = PatternFill("solid", fgColor="FFFF0000")
    sheet["A3"].fill = PatternFill("solid", fgColor="FFFFFFFF")
    content = saved(book)
    expected = [list(row) for row in openpyxl.load_workbook(
        io.BytesIO(content), data_only=True).active.iter_rows(values_only=True)]
    for row in expected:
        while row and row[-1] is None:
            row.pop()
    [read] = readers.read_xlsx(content).sheets
    assert read.name == "人口 & 世帯"
    assert read.rows == expected
    assert read.rows[1][1] == datetime.datetime(2024, 4, 1, 12, 30)
    assert read.rows[1][3] == datetime.timedelta(hours=30)
    assert (read.formulas, read.highlighted) == (["F2"], ["A2"])


def handmade(sheet_xml: str, strings_xml: str,
             main: str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main") -> bytes:
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as parts:
        parts.writestr("xl/workbook.xml", f'<x:workbook xmlns:x="{main}" xmlns:r="{relations}">'
                       '<x:sheets><x:sheet name="表" sheetId="1" r:id="rId1"/></x:sheets>'
                       '</x:workbook>')
        parts.writestr("xl/_rels/workbook.xml.rels",
                       '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       f'relationships"><Relationship Id="rId1" Type="{relations}/worksheet" '
                       'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
                       f'{relations}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
                       '</Relationships>')
        parts.writestr("xl/worksheets/sheet1.xml",
                       f'<x:worksheet xmlns:x="{main}"><x:sheetData>{sheet_xml}</x:sheetData>'
                       '</x:worksheet>')
        parts.writestr("xl/sharedStrings.xml", f'<x:sst xmlns:x="{main}">{strings_xml}</x:sst>')
    return archive.getvalue()


def test_prefixed_xml_phonetic_guides_and_cells_without_references():
    strings = ('<x:si><x:r><x:t>東</x:t></x:r><x:r><x:t>京</x:t></x:r>'
               '<x:rPh sb="0" eb="2"><x:t>トウキョウ</x:t></x:rPh></x:si>'
               '<x:si><x:t>区</x:t></x:si>')
    cells = ('<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c/><x:c t="s"><x:v>1</x:v></x:c></x:row>'
             '<x:row r="3"><x:c r="B3"><x:v>7</x:v></x:c><x:c t="inlineStr"><x:is><x:t>a</x:t>'
             '</x:is></x:c></x:row>')
    [sheet] = readers.read_xlsx(handmade(cells, strings)).sheets
    assert sheet.name == "表"
    assert sheet.rows == [["東京", None, "区"], [], [None, 7, "a"]]


def test_strict_ooxml_cells_values_and_formulas():
    """Strict Open XML names its cells in another namespace: read the same."""
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    cells = ('<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1"><x:f>1+1</x:f>'
             '<x:v>2</x:v></x:c></x:row>')
    [sheet] = readers.read_xlsx(handmade(cells, '<x:si><x:t>区</x:t></x:si>', strict)).sheets
    assert sheet.rows == [["区", None, 2]]
    assert sheet.formulas == ["C1"]


def test_a_workbook_without_namespaces():
    content = handmade('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>', "")
    archive = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(archive, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = (b'<worksheet><sheetData><row><c><v>7</v></c><c r="C1"><f>A1*2</f>'
                        b'<v>14</v></c></row></sheetData></worksheet>')
            out.writestr(name, data)
    [sheet] = readers.read_xlsx(archive.getvalue()).sheets
    assert sheet.rows == [[7, None, 14]]
    assert sheet.formulas == ["C1"]


def test_entities_are_not_expanded():
    strings = '<x:si><x:t>&unknown;</x:t></x:si>'
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    content = handmade('<x:row r="1"><x:c t="s"><x:v>0</x:v></x:c></x:row>', strings)
    assert rating.rate(content).error == "malformed_excel"
    archive = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(archive, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/sharedStrings.xml":
                data = doctype + data.replace(b"&unknown;", b"&e;")
            out.writestr(name, data)
    result = readers.read_xlsx(archive.getvalue())
    assert "root:" not in str(result.sheets[0].rows)


def test_a_cell_beyond_the_last_column_is_a_broken_file():
    content = handmade('<x:row r="1"><x:c r="ZZZZZZ1"><x:v>1</x:v></x:c></x:row>', "")
    assert rating.rate(content).error == "malformed_excel"


def test_colours_count_in_the_table_not_in_its_title():
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["施設一覧"], [], ["名称", "人数（人）"], ["A館", 3], ["B館", 4]):
        sheet.append(row)
    red = PatternFill("solid", fgColor="FFFF0000")
    sheet["A1"].fill = sheet["B4"].fill = red
    [finding] = [f for f in rating.rate(saved(book)).findings if f["rule"] == "L1-11"]
    assert finding["locations"] == ["B4"]
