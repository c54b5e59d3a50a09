"""Turn a file's bytes into sheets of cells: format and encoding are sniffed from the content,
never taken from the declared format (municipal catalogs label XLSX as ``xisx``, CSV as XLS)."""
from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import io
import html
import json
import re
import zipfile
from typing import Any

from ckanext.tdpf.lib import encoding as encodings

MAX_ROWS = 50_000


class UnreadableFile(Exception):
    """The content is not what any reader understands; ``code`` says why."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclasses.dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    merged: list[str] = dataclasses.field(default_factory=list)
    hidden_rows: list[int] = dataclasses.field(default_factory=list)
    hidden_columns: list[str] = dataclasses.field(default_factory=list)
    formulas: list[str] = dataclasses.field(default_factory=list)
    highlighted: list[str] = dataclasses.field(default_factory=list)
    hidden_sheet: bool = False


@dataclasses.dataclass
class Workbook:
    kind: str  # csv | xlsx | xls
    sheets: list[Sheet]
    encoding: str | None = None
    has_objects: bool | None = None
    # CSV only: where a quoted value holds a line break (L1-14), where a row has more
    # values than the header (an unquoted comma, L1-15), and parse errors.
    quoted_newlines: list[str] = dataclasses.field(default_factory=list)
    field_counts: list[int] = dataclasses.field(default_factory=list)
    truncated: bool = False
    # The table located on each sheet, by sheet name (kept by rules.locate: rules that look
    # at every sheet must not locate them again).
    located: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    return f"{column_letter(column)}{row + 1}"


# --- sniffing -----------------------------------------------------------------------------

def sniff(content: bytes) -> str:
    """The file's real kind, from its first bytes."""
    head = content[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(content)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00",
                        b"MM\x00*", b"BM")):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "document"
    text = _text_head(head)
    if text is None:
        return "binary"
    stripped = text.lstrip("\ufeff \t\r\n").lower()
    if stripped.startswith(("<!doctype html", "<html", "<head", "<body")):
        return "html"
    if stripped.startswith("<?xml") or stripped.startswith("<rdf:") or stripped.startswith("<"):
        return "rdf" if "rdf" in stripped[:2000] else "xml"
    if stripped.startswith(("{", "[")):
        return "json"
    if stripped.startswith(("@prefix", "@base")):
        return "rdf"
    return "text"


def _text_head(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore")
    if encodings.looks_like_utf16(head):
        return head.decode(encodings.utf16_byte_order(head), errors="ignore")
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "cp932"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as error:
            if error.start > len(head) - 4:  # cut in the middle of a character
                return head[: error.start].decode(encoding, errors="ignore")
    return head.decode("latin-1")


def _zip_kind(content: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    except zipfile.BadZipFile:
        return "binary"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names or "ppt/presentation.xml" in names:
        return "document"
    if any(name.endswith("content.xml") for name in names):
        return "ods"
    return "zip"


def _ole_kind(content: bytes) -> str:
    # Excel 97–2003 workbooks name their stream "Workbook" (or "Book"), in UTF-16.
    sample = content[: 1 << 20]
    if "Workbook".encode("utf-16-le") in sample or "Book".encode("utf-16-le") in sample:
        return "xls"
    return "document"


def detect_encoding(content: bytes) -> str:
    try:
        return encodings.detect(content)
    except encodings.UnknownEncoding:
        raise UnreadableFile("unknown_encoding") from None


# --- CSV ----------------------------------------------------------------------------------

def read_csv(content: bytes) -> Workbook:
    detected = detect_encoding(content)
    text = content.decode(detected, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    book = Workbook("csv", [], encoding=detected)
    rows: list[list[Any]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for index, row in enumerate(reader):
            if index >= MAX_ROWS:
                book.truncated = True
                break
            for column, value in enumerate(row):
                if "\n" in value or "\r" in value:
                    book.quoted_newlines.append(cell_name(index, column))
            book.field_counts.append(len(row))
            while row and row[-1] == "":
                row.pop()
            rows.append([value if value != "" else None for value in row])
    except csv.Error as error:
        raise UnreadableFile("malformed_csv", str(error)) from error
    book.sheets.append(Sheet("CSV", rows))
    return book


# --- Excel --------------------------------------------------------------------------------

def read_xlsx(content: bytes) -> Workbook:
    """Cell values and fills through openpyxl's read-only mode (the full mode builds an object
    for every cell of every merged range, slow on workbooks with thousands of them); merged
    ranges, hidden rows and columns and formulas are read from the sheet XML."""
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        values = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        layouts = _sheet_layouts(archive)
    except Exception as error:  # openpyxl raises many kinds on broken files
        raise UnreadableFile("malformed_excel", str(error)) from error
    book = Workbook("xlsx", [], has_objects=any(
        name.startswith(("xl/drawings/", "xl/charts/", "xl/media/", "xl/embeddings/"))
        for name in names))
    try:
        for sheet in values.worksheets:
            rows, highlighted = _xlsx_cells(sheet, book)
            layout = layouts.get(sheet.title, _Layout())
            book.sheets.append(Sheet(
                sheet.title, rows, merged=layout.merged, hidden_rows=layout.hidden_rows,
                hidden_columns=layout.hidden_columns, formulas=layout.formulas,
                highlighted=highlighted, hidden_sheet=sheet.sheet_state != "visible"))
    except Exception as error:
        raise UnreadableFile("malformed_excel", str(error)) from error
    finally:
        values.close()
    return book


def _xlsx_cells(sheet, book: Workbook) -> tuple[list[list[Any]], list[str]]:
    """A sheet's values by row (trailing blanks dropped) and the filled cells holding values."""
    if not hasattr(sheet, "reset_dimensions"):  # a chartsheet
        return [], []
    sheet.reset_dimensions()  # the stored dimension can be wrong; read every stored cell
    rows: list[list[Any]] = []
    highlighted: list[str] = []
    for r_index, row in enumerate(sheet.iter_rows(min_row=1, min_col=1)):
        if r_index >= MAX_ROWS:
            book.truncated = True
            break
        values_row = []
        for c_index, cell in enumerate(row):
            value = cell.value
            if isinstance(value, str) and value == "":
                value = None
            values_row.append(value)
            if value is not None and _highlighted(cell.fill):
                highlighted.append(cell_name(r_index, c_index))
        while values_row and values_row[-1] is None:
            values_row.pop()
        rows.append(values_row)
    while rows and not rows[-1]:  # styled rows without values after the last value
        rows.pop()
    return rows, highlighted


def _highlighted(fill) -> bool:
    return (fill is not None and fill.patternType == "solid" and fill.fgColor is not None
            and fill.fgColor.type == "rgb" and fill.fgColor.rgb not in ("00000000", "FFFFFFFF"))


@dataclasses.dataclass
class _Layout:
    merged: list[str] = dataclasses.field(default_factory=list)
    hidden_rows: list[int] = dataclasses.field(default_factory=list)  # 1-based
    hidden_columns: list[str] = dataclasses.field(default_factory=list)
    formulas: list[str] = dataclasses.field(default_factory=list)


_SHEET = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_RELATION = re.compile(rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_RELATION_REVERSED = re.compile(rb'<Relationship [^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')
_FORMULA = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*>(?:<v>[^<]*</v>)?<f[ >/]')
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell [^>]*?ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_ROW = re.compile(rb'<(?:\w+:)?row ([^>]*)>')
_COLUMN = re.compile(rb'<(?:\w+:)?col ([^>]*)>')
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_COLUMN_MIN = re.compile(rb'\bmin="([0-9]+)"')


def _sheet_layouts(archive: zipfile.ZipFile) -> dict[str, _Layout]:
    """What openpyxl's read-only mode leaves out, per sheet name, from one pass over each
    sheet's XML: merged ranges, hidden rows and columns, formula cells."""
    rels = archive.read("xl/_rels/workbook.xml.rels")
    targets = dict(_RELATION.findall(rels))
    targets.update({rid: target for target, rid in _RELATION_REVERSED.findall(rels)})
    members = set(archive.namelist())
    found: dict[str, _Layout] = {}
    for name, rid in _SHEET.findall(archive.read("xl/workbook.xml")):
        target = targets.get(rid, b"").decode().lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        if path in members:
            found[html.unescape(name.decode("utf-8"))] = _layout(archive.read(path))
    return found


def _layout(xml: bytes) -> _Layout:
    hidden_rows = [int(number.group(1)) for attributes in _ROW.findall(xml)
                   if _HIDDEN.search(attributes) and (number := _ROW_NUMBER.search(attributes))]
    hidden_columns = [column_letter(int(first.group(1)) - 1) for attributes in _COLUMN.findall(xml)
                      if _HIDDEN.search(attributes) and (first := _COLUMN_MIN.search(attributes))]
    return _Layout(merged=[ref.decode() for ref in _MERGED.findall(xml)],
                   hidden_rows=hidden_rows, hidden_columns=hidden_columns,
                   formulas=[ref.decode() for ref in _FORMULA.findall(xml)])


def read_xls(content: bytes) -> Workbook:
    import xlrd

    try:
        workbook = xlrd.open_workbook(file_contents=content, formatting_info=True,
                                      on_demand=True)
    except Exception as error:  # xlrd raises XLRDError and struct errors alike
        raise UnreadableFile("malformed_excel", str(error)) from error
    book = Workbook("xls", [], has_objects=None)
    for sheet in workbook.sheets():
        rows: list[list[Any]] = []
        for r_index in range(min(sheet.nrows, MAX_ROWS)):
            row = []
            for c_index, cell in enumerate(sheet.row(r_index)):
                row.append(_xls_value(cell, workbook.datemode))
            while row and row[-1] is None:
                row.pop()
            rows.append(row)
        merged = [
            f"{cell_name(rlo, clo)}:{cell_name(rhi - 1, chi - 1)}"
            for rlo, rhi, clo, chi in sheet.merged_cells
        ]
        book.sheets.append(Sheet(
            sheet.name, rows, merged=merged,
            hidden_rows=[r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden],
            hidden_columns=[column_letter(c) for c, info in sheet.colinfo_map.items()
                            if info.hidden],
            hidden_sheet=sheet.visibility != 0,
        ))
    return book


def _xls_value(cell, datemode: int) -> Any:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value if cell.value != "" else None
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return int(cell.value) if float(cell.value).is_integer() else cell.value
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return None  # error cells


def parse_json(content: bytes) -> Any:
    try:
        return json.loads(content.decode(detect_encoding(content)))
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableFile("malformed_json", str(error)) from error


def is_date(value: Any) -> bool:
    return isinstance(value, (datetime.date, datetime.datetime))
