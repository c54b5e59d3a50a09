"""The Digital Agency's machine-readability rules (行政データにおける機械可読性に関するルール,
2026-03-31), one check per rule, run on a sheet whose table region has been located.

A check returns ``None`` when the rule does not apply to the file (it is then left out of the
level score, as the published scoring does), or the list of violations (empty = passed).
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import re
import unicodedata
from typing import Any, Callable, Iterable

from ckanext.tdpf.lib import municipalities
from ckanext.tdpf.lib.i18n import N_

from .readers import Sheet, Workbook, cell_name, column_letter, is_date

# Severity and the published fixed deductions per level (docs/rule_scoring_table.csv).
FATAL, CRITICAL, MAJOR, MINOR = "FATAL", "CRITICAL", "MAJOR", "MINOR"
DEDUCTIONS = {
    1: {CRITICAL: 10, MAJOR: 5, MINOR: 2},
    2: {CRITICAL: 40, MAJOR: 30, MINOR: 10},
    3: {CRITICAL: 15, MAJOR: 10, MINOR: 5},
}
MAX_LOCATIONS = 5


@dataclasses.dataclass
class Violation:
    message: str          # msgid, English; Japanese from the catalog
    locations: list[str]
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    level: int
    severity: str
    title: str
    check: Callable[["Table"], list[Violation] | None]
    formats: frozenset[str] = frozenset({"csv", "xlsx", "xls"})


# --- the table region ---------------------------------------------------------------------

NUMBER = re.compile(r"^[+-]?(\d+|\d*\.\d+)([eE][+-]?\d+)?$")
DIRTY_NUMBER = re.compile(
    r"^[△▲▽▼+\-－−]?\s*[\d０-９][\d０-９,，]*(\.[\d０-９]+)?\s*"
    r"(人|件|円|千円|万円|百万円|億円|%|％|世帯|戸|台|㎡|m2|m|km|kg|t|歳|才|回|か所|箇所|校|社|本)?"
    r"\s*[※*＊注\)）]*$")
SPECIAL_SYMBOLS = {"-", "－", "―", "‐", "−", "…", "‥", "x", "X", "ｘ", "Ｘ", "*", "＊", "**",
                   "***", "秘", "秘匿", "χ", "・", "…", "--", "---", "...", "△", "▲"}
DASHES = {"-", "－", "―", "‐", "−", "--", "---"}


def text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(NUMBER.match(value.strip()))


@dataclasses.dataclass
class Table:
    """One sheet with its header rows, body rows and surroundings located."""

    book: Workbook
    sheet: Sheet
    width: int
    header_rows: list[int]
    body: list[int]
    leading: list[int]        # non-empty rows above the header (titles, units)
    trailing: list[int]       # non-empty rows below the body (notes, sources)
    gaps: list[int]           # blank rows inside the body
    second_tables: list[int]  # first rows of further tables on the sheet

    @property
    def rows(self) -> list[list[Any]]:
        return self.sheet.rows

    def cell(self, row: int, column: int) -> Any:
        values = self.rows[row]
        return values[column] if column < len(values) else None

    def header(self, column: int) -> str:
        return self._headers[column]

    @functools.cached_property
    def _headers(self) -> list[str]:
        return ["".join(part for part in (text(self.cell(r, c)).strip() for r in self.header_rows)
                        if part) for c in range(self.width)]

    def column_values(self, column: int) -> list[tuple[int, Any]]:
        return self._columns[column]

    @functools.cached_property
    def _columns(self) -> list[list[tuple[int, Any]]]:
        columns: list[list[tuple[int, Any]]] = [[] for _ in range(self.width)]
        for r in self.body:
            for c, value in enumerate(self.rows[r]):
                if value is not None and (not isinstance(value, str) or value.strip()):
                    columns[c].append((r, value))
        return columns

    def data_columns(self) -> list[int]:
        return self._data_columns

    @functools.cached_property
    def _data_columns(self) -> list[int]:
        return [c for c in range(self.width) if self._columns[c]]

    def numeric_columns(self) -> list[int]:
        return self._numeric_columns

    @functools.cached_property
    def _numeric_columns(self) -> list[int]:
        found = []
        for column in self.data_columns():
            values = [v for _, v in self.column_values(column)]
            numeric = sum(1 for v in values if is_number(v) or DIRTY_NUMBER.match(text(v).strip()))
            symbols = sum(1 for v in values if text(v).strip() in SPECIAL_SYMBOLS)
            if numeric and (numeric + symbols) / len(values) >= 0.7 and numeric >= symbols:
                found.append(column)
        return found


def _filled(row: list[Any]) -> int:
    return sum(1 for value in row
               if value is not None and (not isinstance(value, str) or value.strip()))


def locate(book: Workbook, sheet: Sheet) -> Table | None:
    """The sheet's table, located once per workbook."""
    if sheet.name not in book.located:
        book.located[sheet.name] = _locate(book, sheet)
    return book.located[sheet.name]


def _locate(book: Workbook, sheet: Sheet) -> Table | None:
    """Find the table on a sheet: the header row is the first row filled across at least
    half of the table's width; rows above it are titles, rows below the last dense row are
    notes, a blank row followed by a new header starts another table."""
    rows = sheet.rows
    counts = [_filled(row) for row in rows]
    if not any(counts):
        return None
    width = max(len(row) for row in rows)
    widest = max(counts)
    dense = max(2, (widest + 1) // 2) if widest > 1 else 1
    header = next(index for index, count in enumerate(counts) if count >= dense)
    header_rows = [header]
    # A second header row: mostly text, under a header with gaps (a two-level header).
    nxt = header + 1
    if (nxt < len(rows) and counts[nxt] and counts[header] < widest
            and all(not is_number(v) and not is_date(v) for v in rows[nxt] if v is not None)
            and (not rows[nxt] or rows[nxt][0] is None)):
        header_rows.append(nxt)
        nxt += 1
    leading = [r for r in range(header) if counts[r]]
    body_rows = [r for r in range(nxt, len(rows)) if counts[r] >= min(dense, 2) or
                 (counts[r] and widest <= 2)]
    last = body_rows[-1] if body_rows else header_rows[-1]
    # notes after the table: sparse rows after the last dense row
    while body_rows and counts[last] < dense and counts[last] <= 2 and widest > 3:
        body_rows.pop()
        last = body_rows[-1] if body_rows else header_rows[-1]
    trailing = [r for r in range(last + 1, len(rows)) if counts[r]]
    gaps, second_tables = [], []
    body_set = set(body_rows)
    inside = [r for r in range(nxt, last + 1)]
    for r in inside:
        if counts[r] == 0:
            gaps.append(r)
        elif r not in body_set:
            trailing.append(r)  # a sparse row inside the body: a sub-heading or note
    for r in gaps:
        following = r + 1
        while following <= last and counts[following] == 0:
            following += 1
        if following <= last and _looks_like_header(rows[following], rows[header]):
            second_tables.append(following)
    return Table(book, sheet, width, header_rows, sorted(body_set), leading, sorted(trailing),
                 gaps, second_tables)


def _looks_like_header(row: list[Any], header: list[Any]) -> bool:
    values = [text(v).strip() for v in row if v is not None]
    if not values or any(is_number(v) for v in values):
        return False
    names = {text(v).strip() for v in header if v is not None}
    return len(values) >= 2 and (len(names & set(values)) >= 2 or len(values) >= len(names) // 2)


# --- helpers --------------------------------------------------------------------------------

def _places(cells: Iterable[str]) -> list[str]:
    return list(cells)[:MAX_LOCATIONS]


def _violation(message: str, places: list[str], **params: Any) -> list[Violation]:
    return [Violation(message, _places(places), dict(params, count=len(places)))]


def _cells(table: Table, rows: Iterable[int] | None = None):
    for r in table.body if rows is None else rows:
        for c, value in enumerate(table.rows[r]):
            if value is not None:
                yield r, c, value


def _platform_dependent(char: str) -> bool:
    """NEC special characters (row 13), NEC-selected and IBM extensions of CP932, and
    characters Shift_JIS cannot represent at all."""
    if ord(char) < 0x80:
        return False
    try:
        encoded = char.encode("cp932")
    except UnicodeEncodeError:
        return unicodedata.category(char) not in ("Zs", "Cc", "Cf")
    return len(encoded) == 2 and (encoded[0] == 0x87 or 0xED <= encoded[0] <= 0xEE
                                  or 0xFA <= encoded[0] <= 0xFC)


WAREKI = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHR]\.?\s?\d{1,2}[年./-])")
SEIREKI = re.compile(r"(1[89]\d\d|20\d\d)")
DATE_SHAPES = [
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ].*)?$"), "iso"),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}"), "slash"),
    (re.compile(r"^\d{4}年\d{1,2}月(\d{1,2}日)?$"), "kanji"),
    (re.compile(r"^\d{4}\.\d{1,2}\.\d{1,2}$"), "dot"),
    (re.compile(r"^\d{8}$"), "compact"),
]
TIME_HEADER = re.compile(r"(年月日|日付|日時|時点|年度|年月|期間|開始|終了|更新日|設置日|開設|date|time|"
                         r"year|Date|Time|Year)")
UNIT_IN_HEADER = re.compile(
    r"[（(［\[]\s*(単位[:：]?)?\s*[^)）\]］]{0,12}"
    r"(人|件|円|%|％|世帯|戸|台|回|歳|才|m|km|kg|g|t|ha|㎡|m2|平方|個|本|枚|箇所|か所|校|社|"
    r"棟|床|冊|食|日|月|年|時間|分|秒|度|kW|kWh|L|l|cm|mm|㎞|人口)")
UNIT_WORDS = ("金額", "価格", "料金", "費用", "人口", "人数", "面積", "距離", "割合", "率", "比",
              "年齢", "数", "件数", "高さ", "重量", "気温", "温度", "年度", "年", "月", "日", "時")
UNITLESS_WORDS = ("コード", "番号", "No", "NO", "ID", "緯度", "経度", "郵便", "電話", "FAX",
                  "順位", "区分", "フラグ", "階層", "指数", "№", "連番", "#")
# English field names (physical names such as "prefCode", "total_count")
ENGLISH_UNITLESS = {"id", "code", "no", "number", "num", "count", "total", "lat", "lon", "lng",
                    "latitude", "longitude", "year", "month", "day", "zip", "tel", "phone",
                    "fax", "rank", "index", "seq", "flag", "type", "level", "order"}
REGION_HEADER = re.compile(r"(都道府県|市区町村|地方公共団体名|自治体|区名|市名|地域|地区|^区$)")
REGION_CODE_HEADER = re.compile(r"(地方公共団体コード|団体コード|市区町村コード|都道府県コード|地域コード)")
YES = {"○", "◯", "〇", "有", "有り", "あり", "アリ", "yes", "y", "true", "可", "はい"}
NO = {"×", "✕", "✗", "無", "無し", "なし", "ナシ", "no", "n", "false", "不可", "いいえ"}
DITTO = {"〃", "同上", "〃", "同", "々", "\"\"", "''", "”", "〃〃"}


def _normalized(value: Any) -> str:
    return unicodedata.normalize("NFKC", text(value)).strip().lower().replace(" ", "")


@functools.lru_cache(maxsize=1)
def official_region_names() -> frozenset[str]:
    names: set[str] = set()
    for item in municipalities.registry().values():
        name = item.name.replace(" ", "").replace("\u3000", "")
        names |= {name, item.prefecture + name}
        if " " in item.name:  # wards of designated cities: 「神戸市 東灘区」
            city, ward = item.name.split(" ", 1)
            names |= {ward, city + ward}
    return frozenset(names)


# --- Level 1 -------------------------------------------------------------------------------

def l1_02_one_table(table: Table) -> list[Violation]:
    return _violation(N_("More than one table on the sheet (a new table starts at row {row})."),
                      [f"{table.sheet.name}!A{r + 1}" for r in table.second_tables],
                      row=table.second_tables[0] + 1) if table.second_tables else []


def l1_03_fragmentation(table: Table) -> list[Violation]:
    gaps = [r for r in table.gaps if r + 1 not in {t for t in table.second_tables}]
    found = []
    if gaps:
        found += _violation(N_("Blank rows split the data ({count} places)."),
                            [f"{table.sheet.name}!A{r + 1}" for r in gaps])
    headers = {}
    for sheet in table.book.sheets:
        other = locate(table.book, sheet) if sheet is not table.sheet else table
        if other is not None:
            key = tuple(text(v).strip() for v in sheet.rows[other.header_rows[0]])
            headers.setdefault(key, []).append(sheet.name)
    split = [names for key, names in headers.items() if len(names) > 1 and len(key) > 1]
    if split and table.sheet.name == split[0][0]:
        found += _violation(N_("The same table is split over several sheets: {sheets}."),
                            split[0], sheets=", ".join(split[0]))
    return found


def l1_04_outside(table: Table) -> list[Violation]:
    rows = [r for r in table.leading + table.trailing]
    # cells to the right of the table's header width
    header_width = max(len(table.rows[r]) for r in table.header_rows)
    right = [cell_name(r, c) for r in table.body for c, v in enumerate(table.rows[r])
             if c >= header_width and v is not None]
    places = [f"{table.sheet.name}!A{r + 1}" for r in rows] + right
    return _violation(N_("Titles, notes or other text outside the table ({count} places)."),
                      places) if places else []


def l1_05_headers(table: Table) -> list[Violation]:
    missing = [column_letter(c) for c in table.data_columns() if not table.header(c)]
    return _violation(N_("Columns without a name: {columns}."), missing,
                      columns=", ".join(missing[:MAX_LOCATIONS])) if missing else []


def l1_06_layout_spaces(table: Table) -> list[Violation]:
    places = []
    for r, c, value in _cells(table, table.header_rows + table.body):
        if not isinstance(value, str):
            continue
        if (value != value.strip(" \u3000\t") or re.search(r"^[^\s　]\s*[　 ]+\s*[^\s　]$", value)
                or (table.book.kind != "csv" and ("\n" in value or "\r" in value))):
            places.append(cell_name(r, c))
    return _violation(N_("Spaces or line breaks used for layout in {count} cells."),
                      places) if places else []


MULTI_VALUE = re.compile(r"\d[\d,.]*\s*[（(]\s*\d[\d,.]*\s*[)）]|\d[\d,.]*\s*[、・]\s*\d[\d,.]*$")


def l1_07_one_value_per_cell(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for r, c, value in _cells(table)
              if isinstance(value, str) and (MULTI_VALUE.search(value)
                                             or value.count("\n") >= 1 and len(value) < 200
                                             and table.book.kind != "csv")]
    return _violation(N_("Cells holding more than one value ({count} cells)."),
                      places) if places else []


def l1_08_platform_chars(table: Table) -> list[Violation]:
    places, chars = [], []
    for r, c, value in _cells(table, table.header_rows + table.body):
        if isinstance(value, str):
            found = [ch for ch in value if _platform_dependent(ch)]
            if found:
                places.append(cell_name(r, c))
                chars.extend(ch for ch in found if ch not in chars)
    return _violation(N_("Platform-dependent characters ({chars}) in {count} cells."), places,
                      chars="".join(chars[:10])) if places else []


def l1_09_blank_and_zero(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for c in table.numeric_columns()
              for r, value in table.column_values(c) if text(value).strip() in DASHES]
    return _violation(N_("Dashes in number columns leave zero and \"no data\" "
                         "indistinguishable ({count} cells)."), places) if places else []


def l1_10_objects(table: Table) -> list[Violation] | None:
    if table.book.has_objects is None:
        return None
    return _violation(N_("The workbook contains images, charts or other objects."),
                      ["workbook"]) if table.book.has_objects else []


def l1_11_formatting(table: Table) -> list[Violation]:
    body = {cell_name(r, c) for r in table.body for c in range(len(table.rows[r]))}
    places = [name for name in table.sheet.highlighted if name in body]
    return _violation(N_("Cell colours carry meaning in {count} cells; put it in a column."),
                      places) if places else []


def l1_12_merged(table: Table) -> list[Violation]:
    return _violation(N_("Merged cells: {ranges}."), table.sheet.merged,
                      ranges=", ".join(table.sheet.merged[:MAX_LOCATIONS])) \
        if table.sheet.merged else []


def l1_13_hidden(table: Table) -> list[Violation]:
    places = [f"{table.sheet.name}!{r}:{r}" for r in table.sheet.hidden_rows]
    places += [f"{table.sheet.name}!{c}:{c}" for c in table.sheet.hidden_columns]
    if table.sheet.hidden_sheet:
        places.append(table.sheet.name)
    return _violation(N_("Hidden rows, columns or sheets ({count})."), places) if places else []


def l1_14_newlines(table: Table) -> list[Violation]:
    return _violation(N_("Line breaks inside values ({count} cells): one record per line."),
                      table.book.quoted_newlines) if table.book.quoted_newlines else []


def l1_15_quoting(table: Table) -> list[Violation]:
    """More non-empty values than the header has fields: a comma that was not quoted."""
    width = table.book.field_counts[table.header_rows[0]]
    rows = [r + 1 for r in table.body if len(table.rows[r]) > width]
    return _violation(N_("Rows with more values than the header ({count} rows): values "
                         "containing commas must be quoted."),
                      [f"row {r}" for r in rows]) if rows else []


# --- Level 2 -------------------------------------------------------------------------------

def l2_01_numbers(table: Table) -> list[Violation]:
    places = []
    for c in table.numeric_columns():
        for r, value in table.column_values(c):
            if not is_number(value) and not is_date(value):
                places.append(cell_name(r, c))
    return _violation(N_("Number columns hold text, units, thousands separators or marks "
                         "({count} cells)."), places) if places else []


def l2_02_omissions(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for r, c, value in _cells(table) if text(value).strip() in DITTO]
    numeric = set(table.numeric_columns())
    for c in [c for c in table.data_columns()[:2] if c not in numeric]:
        blanks, seen_value = [], False
        for r in table.body:
            if table.cell(r, c) is not None:
                seen_value = True
            elif seen_value and _filled(table.rows[r]) >= max(2, table.width // 2):
                blanks.append(cell_name(r, c))
        if len(blanks) >= 2:  # a grouping column: blank means "same as above"
            places += blanks
    return _violation(N_("Values left out as \"same as above\" ({count} cells)."),
                      places) if places else []


def l2_03_unique_headers(table: Table) -> list[Violation]:
    names = collections.Counter(table.header(c) for c in table.data_columns()
                                if table.header(c))
    duplicated = [name for name, count in names.items() if count > 1]
    return _violation(N_("Column names used more than once: {names}."), duplicated,
                      names=", ".join(duplicated[:MAX_LOCATIONS])) if duplicated else []


def l2_04_choices(table: Table) -> list[Violation]:
    found = []
    for c in table.data_columns():
        values = [text(v).strip() for _, v in table.column_values(c)]
        distinct = set(values)
        if len(values) < 5 or len(distinct) > 15 or c in table.numeric_columns():
            continue
        keys = collections.defaultdict(set)
        for value in distinct:
            key = _normalized(value)
            key = "yes" if key in YES else "no" if key in NO else key
            keys[key].add(value)
        variants = [sorted(group) for group in keys.values() if len(group) > 1]
        if variants:
            found.append(f"{table.header(c) or column_letter(c)}: {' / '.join(variants[0])}")
    return _violation(N_("The same answer is written in different ways: {examples}."), found,
                      examples="; ".join(found[:3])) if found else []


OTHER_DETAIL = re.compile(r"^その他\s*[（(:：「]\s*\S")


def l2_05_other_detail(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for r, c, value in _cells(table)
              if isinstance(value, str) and OTHER_DETAIL.match(value.strip())]
    return _violation(N_("\"Other\" answers carry their details in the same column ({count} "
                         "cells); put the details in a column of their own."),
                      places) if places else []


def l2_06_formulas(table: Table) -> list[Violation]:
    return _violation(N_("Formulas instead of values ({count} cells)."),
                      table.sheet.formulas) if table.sheet.formulas else []


# --- Level 3 -------------------------------------------------------------------------------

def l3_01_header_first(table: Table) -> list[Violation]:
    found = []
    if table.header_rows[0] > 0:
        found += _violation(N_("The table does not start at row 1 (the header is row {row})."),
                            [f"{table.sheet.name}!A1:A{table.header_rows[0]}"],
                            row=table.header_rows[0] + 1)
    last_header = table.header_rows[-1]
    if table.body and table.body[0] > last_header + 1:
        found += _violation(N_("Blank rows between the header and the data."),
                            [f"{table.sheet.name}!A{last_header + 2}"])
    return found


def l3_03_symbols(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for c in table.numeric_columns()
              for r, value in table.column_values(c) if text(value).strip() in SPECIAL_SYMBOLS]
    return _violation(N_("Special symbols in number columns ({count} cells) need a stated "
                         "definition."), places) if places else []


def l3_04_units(table: Table) -> list[Violation] | None:
    columns = table.numeric_columns()
    if not columns:
        return None
    missing = []
    for c in columns:
        name = table.header(c)
        if not name or UNIT_IN_HEADER.search(name) or any(w in name for w in UNITLESS_WORDS):
            continue
        if any(name.endswith(w) or w in name for w in UNIT_WORDS) or name.isdigit():
            continue
        words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}
        if words & ENGLISH_UNITLESS:
            continue
        missing.append(name)
    return _violation(N_("Number columns without a unit: {names}."), missing,
                      names=", ".join(missing[:MAX_LOCATIONS])) if missing else []


def l3_05_time_axis(table: Table) -> list[Violation] | None:
    places, checked = [], False
    for c in table.data_columns():
        values = [v for _, v in table.column_values(c)]
        strings = [text(v).strip() for v in values if isinstance(v, str)]
        dated = [s for s in strings if WAREKI.search(s) or any(p.match(s) for p, _ in DATE_SHAPES)]
        about_time = TIME_HEADER.search(table.header(c))
        if not dated or len(dated) < len(strings) * (0.5 if about_time else 0.8):
            continue
        checked = True
        if any(WAREKI.search(s) and not SEIREKI.search(s) for s in dated):
            places.append(table.header(c) or column_letter(c))
            continue
        shapes = {shape for s in dated for p, shape in DATE_SHAPES if p.match(s)}
        if len(shapes) > 1:
            places.append(table.header(c) or column_letter(c))
    if not checked:
        return None
    return _violation(N_("Dates are not written in one standard way (Japanese era without the "
                         "Western year, or mixed formats): {columns}."), places,
                      columns=", ".join(places[:MAX_LOCATIONS])) if places else []


def l3_06_region(table: Table) -> list[Violation] | None:
    names = official_region_names()
    numeric = set(table.numeric_columns())
    region_columns = [c for c in table.data_columns() if REGION_HEADER.search(table.header(c))
                      and not REGION_CODE_HEADER.search(table.header(c)) and c not in numeric]
    code_columns = [c for c in table.data_columns() if REGION_CODE_HEADER.search(table.header(c))]
    for c in code_columns:
        values = [text(v).strip() for _, v in table.column_values(c)][:50]
        if values and all(_region_code(v) for v in values):
            return []
    if not region_columns:
        return None
    places = []
    for c in region_columns:
        values = {text(v).strip().replace(" ", "").replace("\u3000", "")
                  for _, v in table.column_values(c)}
        if values and not any(v in names for v in values):
            places.append(table.header(c))
    return _violation(N_("Neither a region code nor official region names in {columns}."),
                      places, columns=", ".join(places)) if places else []


def _region_code(value: str) -> bool:
    """A 6-digit 全国地方公共団体コード, or the 5-digit form without its check digit."""
    if len(value) == 5 and value.isdigit():
        value += str(municipalities.check_digit(value))
    return municipalities.lookup(value.zfill(6)) is not None


WIDE_HEADER = re.compile(r"\d+")


def l3_09_long_format(table: Table) -> list[Violation]:
    groups = collections.defaultdict(set)
    for c in table.data_columns():
        name = table.header(c)
        numbers = WIDE_HEADER.findall(name)
        if numbers:
            groups[WIDE_HEADER.sub("#", name)].add(tuple(numbers))
    wide = [pattern for pattern, numbers in groups.items() if len(numbers) >= 4]
    return _violation(N_("Wide layout: values spread over columns such as {examples}; use one "
                         "row per observation."), wide,
                      examples=", ".join(wide[:3])) if wide else []


EXCEL = frozenset({"xlsx", "xls"})
CSV = frozenset({"csv"})

RULES: list[Rule] = [
    Rule("L1-02", 1, FATAL, N_("One table per sheet"), l1_02_one_table),
    Rule("L1-03", 1, CRITICAL, N_("No fragmented data"), l1_03_fragmentation),
    Rule("L1-04", 1, MAJOR, N_("Nothing outside the data range"), l1_04_outside),
    Rule("L1-05", 1, CRITICAL, N_("Every column has a name"), l1_05_headers),
    Rule("L1-06", 1, CRITICAL, N_("No spaces or line breaks for layout"), l1_06_layout_spaces),
    Rule("L1-07", 1, CRITICAL, N_("One value per cell"), l1_07_one_value_per_cell),
    Rule("L1-08", 1, CRITICAL, N_("No platform-dependent characters"), l1_08_platform_chars),
    Rule("L1-09", 1, MINOR, N_("Blank and zero are distinguished"), l1_09_blank_and_zero),
    Rule("L1-10", 1, CRITICAL, N_("No objects (Excel)"), l1_10_objects, EXCEL),
    Rule("L1-11", 1, CRITICAL, N_("No meaning carried by formatting (Excel)"), l1_11_formatting,
         EXCEL),
    Rule("L1-12", 1, CRITICAL, N_("No merged cells (Excel)"), l1_12_merged, EXCEL),
    Rule("L1-13", 1, CRITICAL, N_("No hidden rows or columns (Excel)"), l1_13_hidden, EXCEL),
    Rule("L1-14", 1, FATAL, N_("One record per line (CSV)"), l1_14_newlines, CSV),
    Rule("L1-15", 1, FATAL, N_("Values containing commas are quoted (CSV)"), l1_15_quoting, CSV),
    Rule("L2-01", 2, FATAL, N_("Numbers are numbers"), l2_01_numbers),
    Rule("L2-02", 2, FATAL, N_("No omitted values"), l2_02_omissions),
    Rule("L2-03", 2, FATAL, N_("Unique column names"), l2_03_unique_headers),
    Rule("L2-04", 2, CRITICAL, N_("Standardized choices"), l2_04_choices),
    Rule("L2-05", 2, MAJOR, N_("\"Other\" details in their own column"), l2_05_other_detail),
    Rule("L2-06", 2, MAJOR, N_("Values instead of formulas (Excel)"), l2_06_formulas, EXCEL),
    Rule("L3-01", 3, FATAL, N_("Header in row 1, data from row 2"), l3_01_header_first),
    Rule("L3-03", 3, MAJOR, N_("Special symbols are defined"), l3_03_symbols),
    Rule("L3-04", 3, MAJOR, N_("Units are stated"), l3_04_units),
    Rule("L3-05", 3, MAJOR, N_("Standard time axis"), l3_05_time_axis),
    Rule("L3-06", 3, CRITICAL, N_("Region codes or official region names"), l3_06_region),
    Rule("L3-09", 3, MAJOR, N_("Long (tidy) layout"), l3_09_long_format),
]
# Not judged from one file (left out of the score, as in the published scoring):
# L3-02 code tables, L3-07 format stable across years, L3-08 definitions and history.
RULE_TITLES = {rule.id: rule.title for rule in RULES} | {
    "L1-01": N_("A machine-readable file format"),
}
