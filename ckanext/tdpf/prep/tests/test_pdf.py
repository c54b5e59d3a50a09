"""Tables in text PDFs (pattern ①), on PDFs made here from real municipal CSV files: the
prepared table is the one preparing the CSV itself gives; a scan needs OCR."""
from __future__ import annotations

import csv
import io

import pytest

from ckanext.tdpf.lib import encoding
from ckanext.tdpf.prep.engine import PrepError, prepare

from .conftest import DATAFILES, pdf_of_table, pdf_of_text_table, scanned_pdf


def _columns(name: str, columns: list[int], limit: int | None = None) -> list[list[str]]:
    content = (DATAFILES / name).read_bytes()
    text = content.decode(encoding.detect(content))
    rows = [[row[c] if c < len(row) else "" for c in columns]
            for row in csv.reader(io.StringIO(text))]
    return rows[:limit] if limit else rows


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("name, columns", [
    ("shizuoka-yaizu_222127_aed.csv", [0, 1, 3, 4, 8, 14, 15]),  # 82 rows: three pages
    ("tokyo-metro_jy26qv0700_age_population_2026.csv", [1, 2, 4, 5, 6, 7]),
])
def test_a_pdf_table_prepares_as_its_csv_does(name, columns):
    rows = _columns(name, columns, limit=120)
    from_pdf = prepare(pdf_of_table(rows, title="一覧表"))
    from_csv = prepare(_csv(rows))
    (table,) = from_pdf.tables
    assert table.header == from_csv.tables[0].header
    # The Japanese fonts' character collection maps 「～」 to WAVE DASH (〜), as every PDF
    # reader shows it.
    assert table.rows == [[value.replace("～", "〜") for value in row]
                          for row in from_csv.tables[0].rows]
    assert table.description[0] == "一覧表"
    assert table.description[1:] == from_csv.tables[0].description


def test_a_table_printed_without_lines_prepares_as_its_csv_does():
    rows = _columns("shizuoka-yaizu_222127_library.csv", [0, 2, 3, 4, 8])
    from_pdf = prepare(pdf_of_text_table(rows, "焼津市 図書館", [30, 160, 230, 300, 520]))
    from_csv = prepare(_csv(rows))
    (table,) = from_pdf.tables
    assert table.header == from_csv.tables[0].header
    assert table.rows == from_csv.tables[0].rows
    assert table.description[0] == "焼津市 図書館"


def test_a_scanned_pdf_needs_ocr():
    with pytest.raises(PrepError) as error:
        prepare(scanned_pdf())
    assert error.value.code == "needs_ocr"


def test_a_damaged_pdf_is_unreadable():
    with pytest.raises(PrepError) as error:
        prepare(b"%PDF-1.4\n%%EOF\n")
    assert error.value.code == "unreadable"
