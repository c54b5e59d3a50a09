"""データ整備: a messy municipal file (CSV/TSV in any encoding, XLSX, XLS, ODS, text PDF) made
into tidy tables, one UTF-8 CSV each, with every change listed against the rule of the data
rate it fixes. Plain code, no CKAN: the plugin, the CLI and the benchmark all call
``prepare``.

Nothing is dropped silently: every non-empty cell of the source ends in a prepared table or
is named (``Change.cells``) by a change that says where it went (a table's description, or
dropped as hidden).
"""
from __future__ import annotations

import csv
import dataclasses
import io
import logging
import zipfile
from typing import Any

from ckanext.tdpf.lib.i18n import N_, english, japanese
from ckanext.tdpf.lib.rating import readers
from ckanext.tdpf.lib.rating.readers import Sheet, UnreadableFile, Workbook, cell_name


log = logging.getLogger(__name__)

# The engine's version, recorded on every published file (tdpf_prep_version): a change of
# what preparing does changes it.
VERSION = "1.0"

# --- results ----------------------------------------------------------------------------------

ERRORS = {
    "unsupported_format": N_("This file format cannot be prepared; upload CSV, TSV, Excel "
                             "(XLSX, XLS), ODS or a PDF with text tables."),
    "unreadable": N_("The file could not be read; it may be damaged."),
    "encrypted": N_("The workbook is protected with a password; save it without one."),
    "zip_bomb": N_("The file expands to far more data than its size; it was not opened."),
    "too_large": N_("The file is larger than the size limit for data preparation."),
    "needs_ocr": N_("The PDF holds images of pages, not text: it needs OCR (character "
                    "recognition) before it can be prepared."),
    "empty": N_("No table was found in the file."),
    "not_streamable": N_("This large file holds more than one table or section heading rows "
                         "in one sheet; split it into files of one table each."),
    "too_many_rows": N_("A sheet of the workbook has more than 50,000 rows; save it as XLSX "
                        "or CSV (large XLSX and CSV files are prepared in parts) or split it."),
    "unknown_encoding": N_("The file's character encoding could not be recognized."),
}


class PrepError(Exception):
    """The file cannot be prepared; ``code`` is a key of ``ERRORS``."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code

    @property
    def message(self) -> dict[str, str]:
        return {"ja": japanese(ERRORS[self.code]), "en": english(ERRORS[self.code])}


MAX_PLACES = 50  # places a change names in the API; the engine keeps them all


@dataclasses.dataclass
class Change:
    """One kind of change on one table: the rule it fixes, the source cells it touched."""

    rule: str
    message: str  # msgid (English, with {placeholders}); Japanese from the catalog
    sheet: str
    cells: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    where_text: str = ""  # a place that is not a cell (the workbook, a sheet)
    total: int | None = None  # cells changed, when ``cells`` names only the first of them

    @property
    def where(self) -> str:
        if self.where_text:
            return self.where_text
        return ranges(self.sheet, self.cells)

    def what(self, language: str = "ja") -> str:
        count = self.total if self.total is not None else (
            len(self.cells) or self.params.get("count", 1))
        params = dict(self.params, count=count)
        return (japanese if language == "ja" else english)(self.message, **params)

    def as_dict(self, language: str = "ja") -> dict[str, str]:
        """For the API and pages: the first places only (``what`` gives the count)."""
        places = self.where.split(", ")
        where = ", ".join(places[:MAX_PLACES]) + (", …" if len(places) > MAX_PLACES else "")
        return {"rule": self.rule, "where": where, "what": self.what(language)}


@dataclasses.dataclass
class PreparedTable:
    name: str
    sheet: str
    header: list[str]
    rows: list[list[str]]
    changes: list[Change]
    description: list[str]       # titles and notes moved out of the table, in order
    sources: set[tuple[int, int]] = dataclasses.field(default_factory=set, repr=False)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue()

    def csv_bytes(self) -> bytes:
        return self.csv_text().encode("utf-8")


@dataclasses.dataclass
class Prepared:
    kind: str
    encoding: str | None
    tables: list[PreparedTable]
    changes: list[Change]        # changes of the file, not of one table (hidden sheets…)

    def table(self, name: str | None) -> PreparedTable:
        if not name:
            return self.tables[0]
        return next(t for t in self.tables if t.name == name)


def ranges(sheet: str, cells: list[tuple[int, int]]) -> str:
    """Cells as A1 ranges: runs down a column joined, then neighbouring columns with the same
    run: 「Sheet!A4, Sheet!C7:D9」."""
    by_column: dict[int, list[int]] = {}
    for r, c in sorted(set(cells), key=lambda rc: (rc[1], rc[0])):
        by_column.setdefault(c, []).append(r)
    runs: list[tuple[int, int, int]] = []  # (first row, last row, column)
    for c, rows in sorted(by_column.items()):
        start = previous = rows[0]
        for r in rows[1:] + [-1]:
            if r == previous + 1:
                previous = r
                continue
            runs.append((start, previous, c))
            start = previous = r
    blocks: dict[tuple[int, int], list[list[int]]] = {}
    for first, last, c in runs:
        spans = blocks.setdefault((first, last), [])
        if spans and spans[-1][1] == c - 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    prefix = f"{sheet}!" if sheet else ""
    parts = []
    for (first, last), spans in sorted(blocks.items(), key=lambda item: (item[1][0][0],
                                                                          item[0])):
        for left, right in spans:
            a, b = cell_name(first, left), cell_name(last, right)
            parts.append(prefix + (a if a == b else f"{a}:{b}"))
    return ", ".join(parts)


# --- reading ----------------------------------------------------------------------------------

MAX_EXPANSION = 100          # a zip member may expand at most this many times its size
MAX_EXPANDED = 512 * 1024 * 1024


def check_archive(content: bytes) -> None:
    """Refuse a zip bomb before any reader opens it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise PrepError("unreadable", str(error)) from error
    total = sum(info.file_size for info in infos)
    if total > MAX_EXPANDED or any(
            info.file_size > 1024 * 1024 and info.file_size > MAX_EXPANSION * max(
                info.compress_size, 1) for info in infos):
        raise PrepError("zip_bomb")


ENCRYPTED_MARKS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))


def read(content: bytes) -> Workbook:
    """The file as sheets of cells, or PrepError."""
    if not content.strip():
        raise PrepError("empty")
    kind = readers.sniff(content)
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and any(
            mark in content[: 1 << 20] for mark in ENCRYPTED_MARKS):
        raise PrepError("encrypted")  # an OOXML workbook with a password is an OLE file
    try:
        if kind == "text":
            return readers.read_csv(content)
        if kind in ("xlsx", "ods"):
            check_archive(content)
            if kind == "xlsx":
                return _hidden_column_spans(content, readers.read_xlsx(content))
            from .ods import read_ods
            return read_ods(content)
        if kind == "xls":
            return _read_xls(content)
        if kind == "pdf":
            from .pdf import read_pdf
            return read_pdf(content)
    except UnreadableFile as error:
        if error.code == "unknown_encoding":
            raise PrepError("unknown_encoding") from error
        raise PrepError("unreadable", error.detail) from error
    if kind == "binary" and content.startswith(b"PK"):
        raise PrepError("unreadable", "broken zip")
    raise PrepError("needs_ocr" if kind == "image" else "unsupported_format", kind)


def _hidden_column_spans(content: bytes, book: Workbook) -> Workbook:
    """Every column of a hidden span (<col min="2" max="4" hidden="1">), where the reader
    records its first: hidden columns are left out, all of them."""
    from lxml import etree

    archive = zipfile.ZipFile(io.BytesIO(content))
    parts = readers._workbook_parts(archive, set(archive.namelist()))
    sheets = {sheet.name: sheet for sheet in book.sheets}
    for name, path, _ in parts.sheets:
        sheet = sheets.get(name)
        if sheet is None:
            continue
        for event, element in etree.iterparse(io.BytesIO(archive.read(path)),
                                              events=("start",), resolve_entities=False,
                                              no_network=True):
            tag = etree.QName(element).localname
            if tag == "sheetData":
                break  # the columns come before the cells
            if tag == "col" and element.get("hidden") in ("1", "true"):
                first, last = int(element.get("min", 1)), int(element.get("max", 1))
                for index in range(first - 1, min(last, first + 1024)):
                    letters = readers.column_letter(index)
                    if letters not in sheet.hidden_columns:
                        sheet.hidden_columns.append(letters)
    return book


def _read_xls(content: bytes) -> Workbook:
    try:
        return readers.read_xls(content)
    except UnreadableFile as error:
        if "encrypt" in error.detail.lower():
            raise PrepError("encrypted") from error
        raise


# --- preparing --------------------------------------------------------------------------------

def prepare(content: bytes, sheet: str | None = None) -> Prepared:
    """Every table of every sheet (or of the one sheet named), prepared."""
    book = read(content)
    long_sheets: set[str] = set()
    if book.truncated:  # the reader stopped at its row limit: never a silent loss
        if book.kind == "csv":
            from .stream import prepare_large
            return prepare_large(content)
        if book.kind != "xlsx":
            raise PrepError("too_many_rows")
        long_sheets = {item.name for item in book.sheets if len(item.rows) >= readers.MAX_ROWS}
    from .tables import prepare_sheet

    tables: list[PreparedTable] = []
    changes: list[Change] = []
    sheets = [s for s in book.sheets if sheet is None or s.name == sheet]
    if sheet is not None and not sheets:
        raise PrepError("empty", sheet)
    for item in sheets:
        if item.hidden_sheet and sheet is None:
            cells = _filled_cells(item)
            if cells:
                changes.append(Change("L1-13", N_("Hidden sheet {sheet} left out ({count} "
                                                  "cells); prepare it on its own if it is "
                                                  "data."), item.name, cells,
                                      {"sheet": item.name}))
            continue
        if item.name in long_sheets:
            from .stream import prepare_large_sheet
            tables.append(prepare_large_sheet(content, item.name))
            continue
        try:
            tables += prepare_sheet(book, item, naming_sheet=book.kind != "csv")
        except Exception as error:  # a sheet no rule foresaw: refused, never half-prepared
            log.exception("could not prepare sheet %s", item.name)
            raise PrepError("unreadable", f"sheet {item.name}") from error

    if book.has_objects:
        changes.append(Change("L1-10", N_("Images, charts and other objects are not carried "
                                          "over."), "", where_text="workbook"))
    if not tables:
        raise PrepError("empty")
    _unique_names(tables)
    return Prepared(book.kind, book.encoding, tables, changes)


def _filled_cells(sheet: Sheet) -> list[tuple[int, int]]:
    return [(r, c) for r, row in enumerate(sheet.rows) for c, value in enumerate(row)
            if value is not None and (not isinstance(value, str) or value.strip())]


def _unique_names(tables: list[PreparedTable]) -> None:
    seen: dict[str, int] = {}
    for table in tables:
        if table.name in seen:
            seen[table.name] += 1
            table.name = f"{table.name} ({seen[table.name]})"
        else:
            seen[table.name] = 1
