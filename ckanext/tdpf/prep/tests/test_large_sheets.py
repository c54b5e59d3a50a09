"""An XLSX sheet longer than the reader takes (50,000 rows) is prepared in a stream, as a
large CSV is, instead of being refused; the workbook's other sheets are prepared whole."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from ckanext.tdpf.lib.rating import readers
from ckanext.tdpf.prep.engine import prepare

ROWS = readers.MAX_ROWS + 20


def workbook() -> bytes:
    book = openpyxl.Workbook(write_only=True)
    long = book.create_sheet("施設")
    long.append(["区別施設数一覧"])  # a title above the table
    long.append([])
    long.append(["番号", "区", "施設数", "診療科"])
    for n in range(ROWS):
        long.append([n + 1, "北区", "１，２３４" if n % 2 else 1234, "内科、外科"])
    short = book.create_sheet("凡例")
    short.append(["記号", "意味"])
    short.append(["－", "該当なし"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def prepared():
    return prepare(workbook())


def test_the_long_sheet_is_prepared_whole_in_a_stream(prepared):
    by_sheet = {table.sheet: table for table in prepared.tables}
    assert set(by_sheet) == {"施設", "凡例"}
    table = by_sheet["施設"]
    assert table.header[:4] == ["番号", "区", "施設数", "診療科"]  # (+ a notes column)
    assert table.row_count == ROWS
    rows = list(csv.reader(io.StringIO(table.csv_bytes().decode("utf-8"))))
    assert len(rows) == ROWS + 1
    assert rows[1][:4] == ["1", "北区", "1234", "内科;外科"]
    assert rows[-1][:4] == [str(ROWS), "北区", "1234", "内科;外科"]
    assert {int(row[0]) for row in rows[1:]} == set(range(1, ROWS + 1))  # none lost
    assert "区別施設数一覧" in table.description


def test_its_changes_name_the_sheet(prepared):
    [table] = [t for t in prepared.tables if t.sheet == "施設"]
    wheres = [change.as_dict()["where"] for change in table.changes]
    assert wheres and all(where.startswith("施設!") for where in wheres if "!" in where)
    assert not any("CSV!" in where for where in wheres)
    widths = [c for c in table.changes if c.rule == "L2-01"]
    assert sum(c.total or len(c.cells) for c in widths) >= ROWS // 2


def test_the_other_sheets_are_prepared_as_before(prepared):
    [legend] = [t for t in prepared.tables if t.sheet == "凡例"]
    assert legend.header == ["記号", "意味"] and legend.rows == [["－", "該当なし"]]
