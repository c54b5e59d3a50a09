"""Turn a file's bytes into sheets of cells: format and encoding are sniffed from the content,
never taken from the declared format (municipal catalogs label XLSX as ``xisx``, CSV as XLS)."""
from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import functools
import io
import json
import re
import zipfile
from typing import Any

from lxml import etree

from ckanext.tdpf.lib import encoding as encodings

MAX_ROWS = 50_000
MAX_COLUMNS = 16_384  # Excel's limit (XFD)


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


def column_index(letters: str) -> int:
    """A column's 0-based index from its letters: A → 0, AB → 27."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


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
            joined = "".join(row)
            if "\n" in joined or "\r" in joined:
                for column, value in enumerate(row):
                    if "\n" in value or "\r" in value:
                        book.quoted_newlines.append(cell_name(index, column))
            book.field_counts.append(len(row))
            while row and row[-1] == "":
                row.pop()
            rows.append([value or None for value in row])
    except csv.Error as error:
        raise UnreadableFile("malformed_csv", str(error)) from error
    book.sheets.append(Sheet("CSV", rows))
    return book


# --- Excel --------------------------------------------------------------------------------

def read_xlsx(content: bytes) -> Workbook:
    """Values, fills, merged ranges, hidden rows, columns and sheets and formula cells, read
    from the workbook's XML in one pass over each sheet. (openpyxl builds an object for every
    cell, style and cell of a merged range: most of the scorer's time on workbooks with many
    sheets and thousands of merged ranges.) Values are converted as openpyxl converts them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        parts = _workbook_parts(archive, names)
        book = Workbook("xlsx", [], has_objects=any(
            name.startswith(("xl/drawings/", "xl/charts/", "xl/media/", "xl/embeddings/"))
            for name in names))
        for name, path, hidden in parts.sheets:
            book.sheets.append(_read_sheet(archive.read(path), name, hidden, parts, book))
    except Exception as error:  # zip, XML and value errors of broken or hostile files
        raise UnreadableFile("malformed_excel", str(error)) from error
    return book


def _local(tag: Any) -> str:
    """An element's name without its namespace ("" for comments)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _xml(content: bytes) -> etree._Element:
    return etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))


def _elements(content: bytes, *names: str):
    """The named elements of a large part, each when it ends, without building the tree."""
    return (element for _, element in etree.iterparse(
        io.BytesIO(content), tag=[f"{{*}}{name}" for name in names], resolve_entities=False,
        no_network=True))


@dataclasses.dataclass
class _Parts:
    sheets: list[tuple[str, str, bool]]  # name, path in the archive, hidden
    strings: list[str]
    dates: set[int]        # cell style indexes with a date format
    durations: set[int]    # … with an elapsed-time format ([h]:mm)
    filled: set[int]       # … with a solid colour fill
    epoch: datetime.datetime


def _workbook_parts(archive: zipfile.ZipFile, names: set[str]) -> _Parts:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    relations = {}
    for element in _xml(archive.read("xl/_rels/workbook.xml.rels")):
        target = element.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        relations[element.get("Id")] = (path, element.get("Type", ""))
    sheets, epoch = [], CALENDAR_WINDOWS_1900
    for element in _xml(archive.read("xl/workbook.xml")).iter():
        tag = _local(element.tag)
        if tag == "workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif tag == "sheet":
            relation = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            path, kind = relations.get(relation, ("", ""))
            if path in names and kind.endswith("/worksheet"):
                sheets.append((element.get("name", ""), path,
                               element.get("state", "visible") != "visible"))
    by_kind = {kind.rpartition("/")[2]: path for path, kind in relations.values()}
    strings = by_kind.get("sharedStrings", "xl/sharedStrings.xml")
    styles = by_kind.get("styles", "xl/styles.xml")
    dates, durations, filled = (_styles(archive.read(styles)) if styles in names
                                else (set(), set(), set()))
    return _Parts(sheets, _shared_strings(archive.read(strings)) if strings in names else [],
                  dates, durations, filled, epoch)


def _shared_strings(xml: bytes) -> list[str]:
    strings = []
    for element in _elements(xml, "si"):
        strings.append(_text(element).replace("x005F_", ""))
        element.clear()
    return strings


def _text(element: etree._Element) -> str:
    """A string item's text: its plain text and its runs, without phonetic guides (rPh)."""
    plain, runs = "", []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            plain = child.text or ""
        elif tag == "r":
            runs += [part.text or "" for part in child if _local(part.tag) == "t"]
    return plain + "".join(runs)


def _styles(xml: bytes) -> tuple[set[int], set[int], set[int]]:
    from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format

    formats, fills, cell_formats = {}, [], []
    for section in _xml(xml):
        tag = _local(section.tag)
        if tag == "numFmts":
            formats = {int(item.get("numFmtId", -1)): item.get("formatCode", "")
                       for item in section}
        elif tag == "fills":
            fills = [_solid_colour(fill) for fill in section]
        elif tag == "cellXfs":
            cell_formats = [(int(xf.get("numFmtId", 0)), int(xf.get("fillId", 0)))
                            for xf in section]
    dates, durations, filled = set(), set(), set()
    for index, (number_format, fill) in enumerate(cell_formats):
        code = formats.get(number_format) or builtin_format_code(number_format) or ""
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
        if fill < len(fills) and fills[fill]:
            filled.add(index)
    return dates, durations, filled


def _solid_colour(fill: etree._Element) -> bool:
    """A solid fill of an explicit colour other than none or white."""
    for pattern in fill:
        if _local(pattern.tag) == "patternFill" and pattern.get("patternType") == "solid":
            colour = next((c for c in pattern if _local(c.tag) == "fgColor"), None)
            rgb = colour.get("rgb") if colour is not None else None
            return rgb is not None and rgb not in ("00000000", "FFFFFFFF")
    return False


def _read_sheet(xml: bytes, name: str, hidden: bool, parts: _Parts, book: Workbook) -> Sheet:
    sheet = Sheet(name, [], hidden_sheet=hidden)
    number = 0
    for element in _elements(xml, "row", "col", "mergeCell"):
        tag = _local(element.tag)
        if tag == "row":
            number = int(element.get("r") or number + 1)
            if number > MAX_ROWS:
                book.truncated = True
                break
            sheet.rows += [[] for _ in range(number - 1 - len(sheet.rows))]
            sheet.rows.append(_read_row(element, number - 1, parts, sheet))
            if element.get("hidden") in ("1", "true"):
                sheet.hidden_rows.append(number)
            element.clear()
            while element.getprevious() is not None:  # rows read: free them
                del element.getparent()[0]
        elif tag == "col" and element.get("hidden") in ("1", "true"):
            sheet.hidden_columns.append(column_letter(int(element.get("min", 1)) - 1))
        elif tag == "mergeCell" and element.get("ref"):
            sheet.merged.append(element.get("ref"))
    while sheet.rows and not sheet.rows[-1]:
        sheet.rows.pop()
    return sheet


def _read_row(element: etree._Element, r_index: int, parts: _Parts, sheet: Sheet) -> list[Any]:
    """A row's values. The hot path of a workbook: the cell's parts are told apart by their
    full names in the row's namespace (transitional or strict SpreadsheetML alike)."""
    row: list[Any] = []
    namespace = element.tag[:-3]  # "{…}" of "{…}row"
    names = (namespace + "c", namespace + "v", namespace + "f", namespace + "is")
    for cell in element:
        if cell.tag != names[0]:
            continue
        if len(cell):
            _read_cell(cell, row, r_index, parts, sheet, names)
        elif cell.get("r") is None:
            row.append(None)  # an empty cell placed by its order alone
    while row and row[-1] is None:
        row.pop()
    return row


_CELL_COLUMN = re.compile(r"[A-Z]+")


@functools.lru_cache(maxsize=4096)
def _column_of(reference: str) -> int | None:
    """The 0-based column of a cell reference ("AB12" → 27), None without letters."""
    match = _CELL_COLUMN.match(reference)
    return column_index(match.group()) if match else None


def _read_cell(element: etree._Element, row: list[Any], r_index: int, parts: _Parts,
               sheet: Sheet, names: tuple[str, str, str, str]) -> None:
    reference = element.get("r")
    # (four letters are past Excel's last column already: a longer key is not kept)
    column = _column_of(reference.rstrip("0123456789")[:4]) if reference else None
    if column is None:
        column = len(row)
    if column >= MAX_COLUMNS:
        raise ValueError(f"cell {reference} is beyond Excel's last column")
    style = int(element.get("s") or 0)
    value, formula = _cell_value(element, style, parts, names)
    if column == len(row):
        row.append(value)
    else:
        row += [None] * (column + 1 - len(row))
        row[column] = value
    if formula:
        sheet.formulas.append(cell_name(r_index, column))
    if value is not None and style in parts.filled:
        sheet.highlighted.append(cell_name(r_index, column))


def _cell_value(element: etree._Element, style: int, parts: _Parts,
                names: tuple[str, str, str, str]) -> tuple[Any, bool]:
    """The cell's value (None for an empty one) and whether it holds a formula."""
    kind = element.get("t", "n")
    raw, formula, inline = None, False, None
    _, value_tag, formula_tag, inline_tag = names
    for child in element:
        tag = child.tag
        if tag == value_tag:
            raw = child.text
        elif tag == formula_tag:
            formula = True
        elif tag == inline_tag:
            inline = child
    if kind == "inlineStr":
        value = _text(inline) if inline is not None else None
    elif not raw:
        value = None
    elif kind == "n":
        value = float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
        if style in parts.dates:
            value = _excel_date(value, style in parts.durations, parts.epoch)
    elif kind == "s":
        value = parts.strings[int(raw)]
    elif kind == "b":
        value = bool(int(raw))
    elif kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        value = from_ISO8601(raw)
    else:  # str (a formula's text) and e (an error such as #N/A), as written
        value = raw
    return (None if value == "" else value), formula


def _excel_date(serial: float, duration: bool, epoch: datetime.datetime) -> Any:
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(serial, epoch, timedelta=duration)
    except (OverflowError, ValueError):
        return "#VALUE!"  # a date out of range, as openpyxl reads it


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
