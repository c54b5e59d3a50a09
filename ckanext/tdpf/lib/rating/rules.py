"""The Digital Agency's machine-readability rules (行政データにおける機械可読性に関するルール,
2026-03-31), one check per rule, run on a sheet whose table region has been located.

A check returns ``None`` when the rule does not apply to the file (it is then left out of the
level score, as the published scoring does), or the list of violations (empty = passed).
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import functools
import itertools
import operator
import re
import unicodedata
from typing import Any, Callable, Iterable

from ckanext.tdpf.lib import municipalities
from ckanext.tdpf.lib.i18n import N_

from .readers import Sheet, Workbook, cell_name, column_index, column_letter, is_date

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
    judgment: bool = False  # decided from what the values look like; a person should check


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
    if isinstance(value, str):
        written = value.strip()
        return (written.isascii() and written.isdigit()) or bool(NUMBER.match(written))
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float))


# What a written value is, for the number-column rules: a number, a number written with
# marks or units (DIRTY_NUMBER), a special symbol, or text.
NUMERIC, DIRTY, SYMBOL, WORDS = 1, 2, 3, 0
DIGITS_ONLY = re.compile(r"[0-9]+(?:\x00[0-9]+)*")  # values of ASCII digits joined by NUL


def _kind(written: str) -> int:
    if written.isascii() and written.isdigit():
        return NUMERIC  # most cells of a statistics table (NUMBER matches them too)
    if NUMBER.match(written):
        return NUMERIC
    if DIRTY_NUMBER.match(written):
        return DIRTY
    return SYMBOL if written in SPECIAL_SYMBOLS else WORDS


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
    margin: list[int] = dataclasses.field(default_factory=list)    # blank rows between
    # the rows above the table and its header
    sections: list[int] = dataclasses.field(default_factory=list)  # heading rows of groups
    metadata: list[int] = dataclasses.field(default_factory=list)  # LinkData #type… rows

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

    def header_spans(self) -> list[tuple[int, int, str]]:
        """Header cells merged across columns: (first column, last column, label)."""
        return self._header_spans

    @functools.cached_property
    def _header_spans(self) -> list[tuple[int, int, str]]:
        spans = []
        first_row, last_row = self.header_rows[0], self.header_rows[-1]
        for ref in self.sheet.merged:
            bounds = _bounds(ref)
            if bounds is None:
                continue
            top, left, bottom, right = bounds
            if right > left and first_row <= top <= last_row:
                spans.append((left, right, text(self.cell(top, left)).strip()))
        return spans

    def column_values(self, column: int) -> list[tuple[int, Any]]:
        return self._columns[column]

    def column_texts(self, column: int) -> list[str]:
        """The column's non-empty values as written (``text(value).strip()``), in the order
        of ``column_values``."""
        return self._texts[column]

    @functools.cached_property
    def _texts(self) -> list[list[str]]:
        return [[value.strip() if isinstance(value, str) else text(value).strip()
                 for _, value in values] for values in self._columns]

    def strings(self) -> list[tuple[int, int, str]]:
        """The body's text cells: (row, column, value), in reading order."""
        return self._strings

    @functools.cached_property
    def _strings(self) -> list[tuple[int, int, str]]:
        return [(r, c, value) for r in self.body for c, value in enumerate(self.rows[r])
                if isinstance(value, str)]

    @functools.cached_property
    def _columns(self) -> list[list[tuple[int, Any]]]:
        columns: list[list[tuple[int, Any]]] = [[] for _ in range(self.width)]
        body = self.body
        for c, values in enumerate(itertools.zip_longest(*[self.rows[r] for r in body])):
            columns[c] = [(r, value) for r, value in zip(body, values) if value is not None
                          and (not isinstance(value, str) or value.strip())]
        return columns

    def data_columns(self) -> list[int]:
        return self._data_columns

    @functools.cached_property
    def _data_columns(self) -> list[int]:
        return [c for c in range(self.width) if self._columns[c]]

    def numeric_columns(self) -> list[int]:
        """Columns of quantities: mostly numbers, and not codes (identifiers, category codes
        and other numbers that are names, not amounts)."""
        return self._numeric_columns

    @functools.cached_property
    def _numeric_columns(self) -> list[int]:
        found = []
        for column in self.data_columns():
            values = [v for _, v in self.column_values(column)]
            texts = self.column_texts(column)
            kinds = self._kinds(column)
            if kinds is None:  # more than 30 % text
                continue
            self._number_kinds[column] = kinds
            numeric = kinds.count(NUMERIC) + kinds.count(DIRTY)
            symbols = kinds.count(SYMBOL)
            if (numeric and (numeric + symbols) / len(values) >= 0.7 and numeric >= symbols
                    and not is_code_column(self.header(column), values, texts)):
                found.append(column)
        return found

    def _kinds(self, column: int) -> list[int] | None:
        """Each value's ``_kind`` (NUMERIC for a number that is not text); None as soon as
        more than 30 % of them are text (no number column then)."""
        kinds = []
        values, texts = self._columns[column], self._texts[column]
        joined = "\x00".join(texts)
        if DIGITS_ONLY.fullmatch(joined) and joined.count("\x00") == len(texts) - 1:
            return [NUMERIC] * len(values)  # a column of counts, found at C speed
        count, words = len(values), 0
        for (_, value), written in zip(values, texts):
            if isinstance(value, str):
                kind = NUMERIC if written.isdigit() and written.isascii() else _kind(written)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                kind = NUMERIC
            else:
                kind = _kind(written)
            if kind == WORDS:
                words += 1
                if (count - words) / count < 0.7:
                    return None
            kinds.append(kind)
        return kinds

    @functools.cached_property
    def _number_kinds(self) -> dict[int, list[int]]:
        """``_kinds`` of the columns that are mostly numbers (kept by ``numeric_columns``)."""
        return {}

    def not_plain_numbers(self, column: int) -> list[tuple[int, Any, str]]:
        """The cells of a column that are not plain numbers (``is_number``): (row, value,
        value as written); what the number-column rules look at."""
        return self._not_plain_numbers[column]

    @functools.cached_property
    def _not_plain_numbers(self) -> dict[int, list[tuple[int, Any, str]]]:
        found = {}
        for column in self.numeric_columns():
            found[column] = [
                (r, value, written) for (r, value), written, kind in
                zip(self.column_values(column), self.column_texts(column),
                    self._number_kinds[column])
                if kind != NUMERIC or not (isinstance(value, str) or is_number(value))]
        return found

    def cells_with(self, pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
        """The body's text cells (as ``strings``) in which ``pattern`` matches; the pattern
        must not match across cells (a character class, say), as it is run once over all
        of them."""
        joined, starts = self._joined_strings
        strings = self._strings
        found = []
        match = pattern.search(joined)
        while match is not None:
            index = bisect.bisect_right(starts, match.start()) - 1
            found.append(strings[index])
            if index + 1 >= len(starts):
                break
            match = pattern.search(joined, starts[index + 1])
        return found

    def joined_strings(self) -> str:
        """The body's text cells joined by NUL."""
        return self._joined_strings[0]

    @functools.cached_property
    def _joined_strings(self) -> tuple[str, list[int]]:
        values = [value for _, _, value in self._strings]
        # where each value starts: the lengths before it, and a separator after each
        starts = list(map(operator.add, itertools.accumulate(map(len, values), initial=0),
                          range(len(values))))[:len(values)]
        return "\x00".join(values), starts


CODE_HEADER = re.compile(r"(コード|番号|ＩＤ|ID|区分|№|連番|^(No|NO|no)\.?$|^#)")
ENGLISH_CODE_WORDS = {"id", "code", "no", "identification", "identifier"}
CATEGORY_HEADER = re.compile(r"(種別|分類|種類|類型|category|Category|type|Type|kind|Kind)")
LEADING_ZERO = re.compile(r"^0\d+$")
LEADING_ZERO_IN = re.compile(r"(?:^|\x00)0\d+(?:\x00|$)")  # in values joined by NUL


def is_code_column(name: str, values: list[Any], texts: list[str] | None = None) -> bool:
    """A column of codes: named as one (コード, 番号, ID, 区分, prefCode), written with leading
    zeros, or a category column holding small integers. (``texts``: the values as written,
    stripped, where the caller has them.)"""
    if CODE_HEADER.search(name) or _english_words(name) & ENGLISH_CODE_WORDS:
        return True
    joined = "\x00".join(texts) if texts is not None else ""
    if texts is not None and joined.count("\x00") == max(0, len(texts) - 1):
        if LEADING_ZERO_IN.search(joined):  # (a number's text never starts with 0, digit)
            return True
    elif any(isinstance(v, str) and "0" in v and LEADING_ZERO.match(v.strip()) for v in values):
        return True
    return bool(CATEGORY_HEADER.search(name)) and all(
        float(v).is_integer() and 0 <= float(v) < 100 for v in values if is_number(v))


def _english_words(name: str) -> set[str]:
    """The words of a physical field name: prefCode → {pref, code}, total_count → …"""
    return {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}


_REFERENCE = re.compile(r"^([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?$")


def _bounds(ref: str) -> tuple[int, int, int, int] | None:
    """A merged range's (top, left, bottom, right), 0-based."""
    match = _REFERENCE.match(ref)
    if match is None:
        return None
    left, top, right, bottom = match.groups()
    right, bottom = right or left, bottom or top
    return int(top) - 1, column_index(left), int(bottom) - 1, column_index(right)


_TEXT_ONLY = {str, type(None)}


def _filled(row: list[Any]) -> int:
    """The row's values: neither empty nor blank text."""
    if set(map(type, row)) <= _TEXT_ONLY:  # a CSV's row, counted at C speed
        present = list(filter(None, row))
        return len(present) - sum(map(str.isspace, present))
    return sum(1 for value in row
               if value is not None and (not isinstance(value, str) or value.strip()))


def locate(book: Workbook, sheet: Sheet) -> Table | None:
    """The sheet's table, located once per workbook."""
    if sheet.name not in book.located:
        book.located[sheet.name] = _locate(book, sheet)
    return book.located[sheet.name]


# LinkData rows other than the header (#property): #type, #object, #lang, #comment…
LINKDATA_DIRECTIVE = re.compile(r"^#(?!property$)[A-Za-z]+$")


def _locate(book: Workbook, sheet: Sheet) -> Table | None:
    """Find the table on a sheet: the header row is the first row filled across at least
    half of the table's width; rows above it are titles, rows below the last dense row are
    notes, a blank row followed by a new header or by rows of another shape starts another
    table; rows of one value inside the body head the groups below them."""
    rows = sheet.rows
    counts = [_filled(row) for row in rows]
    if not any(counts):
        return None
    width = max(len(row) for row in rows)
    widest = max(counts)
    dense = max(2, (widest + 1) // 2) if widest > 1 else 1
    linkdata = any(row and text(row[0]).strip() == "#property" for row in rows[:50])
    metadata = [r for r in range(len(rows)) if linkdata and _is_directive(rows[r])]
    skipped = set(metadata)
    header = next((r for r, count in enumerate(counts) if count >= dense and r not in skipped),
                  None)
    if header is None:  # nothing but LinkData directives
        return None
    header_rows = [header]
    nxt = header + 1
    if (nxt < len(rows) and nxt not in skipped and _is_subheader(
            rows[nxt], rows[header], counts[header] < widest, rows[nxt + 1:nxt + 2])):
        header_rows.append(nxt)
        nxt += 1
    leading = [r for r in range(header) if counts[r] and r not in skipped]
    margin = [r for r in range(leading[-1] + 1, header) if not counts[r]] if leading else []
    body_rows = [r for r in range(nxt, len(rows)) if r not in skipped and (
        counts[r] >= min(dense, 2) or (counts[r] and widest <= 2))]
    last = body_rows[-1] if body_rows else header_rows[-1]
    # notes after the table: sparse rows after the last dense row
    while body_rows and counts[last] < dense and counts[last] <= 2 and widest > 3:
        body_rows.pop()
        last = body_rows[-1] if body_rows else header_rows[-1]
    body_set = set(body_rows)
    gaps = [r for r in range(nxt, last + 1) if counts[r] == 0]
    sparse = [r for r in range(nxt, last + 1)
              if counts[r] and r not in body_set and r not in skipped]
    sections = _section_rows(rows, sparse, body_set, nxt)
    inner = [r for r in sparse if r not in sections]  # sub-headings or notes in the body
    second_tables = _further_tables(rows, header, gaps, body_rows)
    if second_tables:
        cut = second_tables[0]
        body_rows = [r for r in body_rows if r < cut]
        gaps = [r for r in gaps if r < cut]
        sections = [r for r in sections if r < cut]
        inner = [r for r in inner if r < cut]
    trailing = [r for r in range(last + 1, len(rows)) if counts[r] and r not in skipped]
    return Table(book, sheet, width, header_rows, body_rows, leading, sorted(inner + trailing),
                 gaps, second_tables, margin=margin, sections=sections, metadata=metadata)


def _is_directive(row: list[Any]) -> bool:
    """A LinkData row of property types, objects or comments (#type, #object…)."""
    return bool(row) and isinstance(row[0], str) and bool(LINKDATA_DIRECTIVE.match(row[0].strip()))


def _is_subheader(row: list[Any], header: list[Any], header_has_gaps: bool,
                  following: list[list[Any]]) -> bool:
    """The second row of a two-level header: text only, at least two names (a row of one is a
    section heading), under a header with gaps — left blank under a group heading spanning
    columns, or naming columns under the gaps: repeating the header's names, or standing over
    numbers in most of its columns."""
    values = [v for v in row if v is not None]
    if not header_has_gaps or len(values) < 2 or any(_numeric_like(v) or is_date(v)
                                                     for v in values):
        return False  # values, dashes and marks are data, not names
    if row[0] is None:
        return True
    under_gap = any(value is not None and (c >= len(header) or header[c] is None)
                    for c, value in enumerate(row))
    repeated = any(value is not None and c < len(header) and text(value).strip()
                   == text(header[c]).strip() for c, value in enumerate(row))
    over_numbers = sum(1 for data in following for c, value in enumerate(data)
                       if c < len(row) and row[c] is not None and is_number(value))
    return under_gap and (repeated or over_numbers * 2 >= len(values))


NOTE_MARK = re.compile(r"^[※*＊注（(〔\[【]")


def _is_note(label: str) -> bool:
    """A note rather than a heading: 「※休館中」, 「単位：人」, 「令和5年4月1日現在」."""
    return bool(NOTE_MARK.match(label) or SENTENCE.search(label)) or label.endswith(("現在", "時点"))


def _section_rows(rows: list[list[Any]], sparse: list[int], body: set[int],
                  first: int) -> list[int]:
    """Rows of one short label each heading the records below them (an area name written once
    above its group): several of them, or one opening the body."""
    found = []
    for r in sparse:
        values = [v for v in rows[r] if v is not None and text(v).strip()]
        label = text(values[0]).strip() if len(values) == 1 else ""
        if (label and isinstance(values[0], str) and len(label) <= 30 and not _is_note(label)
                and r + 1 in body and label not in map(text, rows[r + 1])):
            found.append(r)
    return found if len(found) >= 2 or (found and found[0] == first) else []


def _further_tables(rows: list[list[Any]], header: int, gaps: list[int],
                    body: list[int]) -> list[int]:
    """First rows of the blocks after blank rows that are not more of the table above:
    a new header, or rows of another shape (a tally of symbols and counts under a list)."""
    blocks: list[list[int]] = []
    previous = None
    for r in body:
        if previous is None or bisect.bisect_right(gaps, previous) < bisect.bisect_left(gaps, r):
            blocks.append([])
        blocks[-1].append(r)
        previous = r
    starts: list[int] = []
    main: list[int] = []
    for block in blocks:
        if main and (_looks_like_header(rows, block[0], header, main)
                     or _different_shape(rows, block, main)):
            starts.append(block[0])
        elif not starts:
            main += block
    return starts


def _numeric_like(value: Any) -> bool:
    return (is_number(value) or text(value).strip() in SPECIAL_SYMBOLS
            or bool(DIRTY_NUMBER.match(text(value).strip())))


def _numeric_share(rows: list[list[Any]], indexes: list[int], column: int) -> float | None:
    values = [rows[r][column] for r in indexes if column < len(rows[r])
              and rows[r][column] is not None]
    return sum(1 for v in values if _numeric_like(v)) / len(values) if values else None


def _different_shape(rows: list[list[Any]], block: list[int], above: list[int]) -> bool:
    """A block much narrower than the rows above it, or whose columns hold numbers where the
    rows above hold text (or text where they hold numbers)."""
    widths = sorted(_filled(rows[r]) for r in above)
    if max(_filled(rows[r]) for r in block) * 2 <= widths[len(widths) // 2]:
        return True
    if len(block) > 1 and not any(_numeric_like(v) for v in rows[block[0]] if v is not None):
        block = block[1:]  # the block's own header
    for c in {c for r in block for c, v in enumerate(rows[r]) if v is not None}:
        share, theirs = _numeric_share(rows, block, c), _numeric_share(rows, above, c)
        if theirs is not None and (share == 1 and theirs <= 0.2 or share == 0 and theirs >= 0.8):
            return True
    return False


def _looks_like_header(rows: list[list[Any]], row: int, header: int, above: list[int]) -> bool:
    """A row of names: text only, repeating the header's names or naming columns whose values
    above are numbers."""
    values = {c: text(v).strip() for c, v in enumerate(rows[row]) if v is not None}
    if len(values) < 2 or any(is_number(v) for v in values.values()):
        return False
    names = {text(v).strip() for v in rows[header] if v is not None}
    return len(names & set(values.values())) >= 2 or any(
        (_numeric_share(rows, above, c) or 0) >= 0.8 for c in values)


# --- helpers --------------------------------------------------------------------------------

def _places(cells: Iterable[str]) -> list[str]:
    return list(cells)[:MAX_LOCATIONS]


def _violation(message: str, places: list[str], judgment: bool = False,
               **params: Any) -> list[Violation]:
    return [Violation(message, _places(places), dict(params, count=len(places)), judgment)]


def _cells(table: Table, rows: Iterable[int]):
    for r in rows:
        for c, value in enumerate(table.rows[r]):
            if value is not None:
                yield r, c, value


NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _header_and_body_strings(table: Table, pattern: re.Pattern[str] | None = None
                             ) -> list[tuple[int, int, str]]:
    """The header's and the body's text cells; with ``pattern`` (a character class) only
    those in which it matches."""
    header = [(r, c, value) for r, c, value in _cells(table, table.header_rows)
              if isinstance(value, str)]
    if pattern is None:
        return header + table.strings()
    return [cell for cell in header if pattern.search(cell[2])] + table.cells_with(pattern)


PLATFORM_SYMBOL, VARIANT_KANJI = "symbol", "variant"


@functools.lru_cache(maxsize=4096)
def _platform_dependent(char: str) -> str | None:
    """How a character depends on the platform: a symbol (NEC special characters such as ①,
    ㈱, №, ㎡, the non-kanji IBM extensions, compatibility characters Shift_JIS lacks such as
    ㉑), a variant kanji (NEC-selected and IBM extension kanji such as 髙, 﨑, and kanji
    Shift_JIS lacks), or None. Other characters Shift_JIS lacks (é, ü) are plain text."""
    if ord(char) < 0x80:
        return None
    try:
        encoded = char.encode("cp932")
    except UnicodeEncodeError:
        if _is_kanji(char):
            return VARIANT_KANJI
        return PLATFORM_SYMBOL if unicodedata.normalize("NFKC", char) != char else None
    if len(encoded) == 2 and (encoded[0] == 0x87 or 0xED <= encoded[0] <= 0xEE
                              or 0xFA <= encoded[0] <= 0xFC):
        return VARIANT_KANJI if _is_kanji(char) else PLATFORM_SYMBOL
    return None


@functools.lru_cache(maxsize=1)
def _cp932_extensions() -> re.Pattern[str]:
    """Every character of CP932's NEC special, NEC-selected and IBM extension rows."""
    chars = set()
    for lead in (0x87, 0xED, 0xEE, 0xFA, 0xFB, 0xFC):
        for trail in range(0x40, 0xFD):
            try:
                chars.add(bytes((lead, trail)).decode("cp932"))
            except UnicodeDecodeError:
                continue
    return re.compile("[" + "".join(sorted(re.escape(char) for char in chars)) + "]")


def _suspect_chars(value: str) -> list[str]:
    """The characters of a value that may depend on the platform (for _platform_dependent)."""
    if value.isascii():
        return []
    try:
        value.encode("cp932")
    except UnicodeEncodeError:
        return [char for char in value if _platform_dependent(char)]
    return _cp932_extensions().findall(value)


def _is_kanji(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH",
                                                 "CJK COMPATIBILITY IDEOGRAPH"))


DATE_MARK = re.compile(r"\d|明治|大正|昭和|平成|令和")  # what WAREKI and DATE_SHAPES all need
WAREKI = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHR]\.?\s?\d{1,2}[年./-])")
SEIREKI = re.compile(r"(1[89]\d\d|20\d\d)")
DATE_SHAPES = [
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ].*)?$"), "iso"),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}"), "slash"),
    (re.compile(r"^\d{4}年\d{1,2}月(\d{1,2}日)?$"), "kanji"),
    (re.compile(r"^\d{4}\.\d{1,2}\.\d{1,2}$"), "dot"),
    (re.compile(r"^\d{8}$"), "compact"),
]
ANY_DATE_SHAPE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in DATE_SHAPES))
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
DITTO_MARK = re.compile("[" + re.escape("".join({ch for mark in DITTO for ch in mark})) + "]")


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
    if table.margin:
        found += _violation(N_("Blank rows between the text above the table and its header "
                               "({count} rows)."),
                            [f"{table.sheet.name}!A{r + 1}" for r in table.margin])
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
    right = [cell_name(r, c) for r in table.body if len(table.rows[r]) > header_width
             for c in range(header_width, len(table.rows[r])) if table.rows[r][c] is not None]
    places = [f"{table.sheet.name}!A{r + 1}" for r in rows] + right
    return _violation(N_("Titles, notes or other text outside the table ({count} places)."),
                      places) if places else []


def l1_05_headers(table: Table) -> list[Violation]:
    missing = [column_letter(c) for c in table.data_columns() if not table.header(c)]
    return _violation(N_("Columns without a name: {columns}."), missing,
                      columns=", ".join(missing[:MAX_LOCATIONS])) if missing else []


# Letters spread out to a width: 「東　京　都」, 「青  森県」, 「区　分」.
LETTER_SPACED = re.compile(
    r"^[^\s　]\s*[　 ]+\s*[^\s　]$"
    r"|^(?:[^\x00-\x7f\s　]{1,2}[ 　]+){2,}[^\x00-\x7f\s　]{1,2}$"
    r"|[^\x00-\x7f\s　][ 　]{2,}[^\x00-\x7f\s　]")


LAYOUT_MARK = re.compile("[ \u3000\t\n\r]")


def l1_06_layout_spaces(table: Table) -> list[Violation]:
    places = []
    for r, c, value in _header_and_body_strings(table, LAYOUT_MARK):
        if (value != value.strip(" \u3000\t")
                or ((" " in value or "\u3000" in value) and LETTER_SPACED.search(value))
                or (table.book.kind != "csv" and ("\n" in value or "\r" in value))):
            places.append(cell_name(r, c))
    return _violation(N_("Spaces or line breaks used for layout in {count} cells."),
                      places) if places else []


MULTI_VALUE_MARK = re.compile(r"[(（、・]")
MULTI_VALUE = re.compile(r"\d[\d,.]*\s*[（(]\s*\d[\d,.]*\s*[)）]|\d[\d,.]*\s*[、・]\s*\d[\d,.]*$")
LIST_SEPARATOR = re.compile(r"\s*(?:[、，]|\r?\n)\s*")
# A clause or a note, not a name: sentence punctuation or note marks, a verb or copula ending,
# a conjunctive particle, a topic or object particle after a kanji (「祝日は休館します」).
SENTENCE = re.compile(r"[。．！？!?：:＝=※]|(ます|です|ました|ません|ください|する|した|ない|れる|"
                      r"いる|ある|なる|こと)$|ので|けど|ため|では|には|により|による|場合|"
                      r"[一-龥々][はをが][一-龥ぁ-んァ-ン]")
COORDINATES = re.compile(r"^[+-]?(\d{1,2}\.\d+)\s*[,，、/\s]\s*[+-]?(\d{1,3}\.\d+)$")
QUANTITY_PAIR = re.compile(r"^\d+(\.\d+)?\s*[/／]\s*\d+(\.\d+)?$")
DAY_HEADER = re.compile(r"(日|月)")


def _noun_list(value: str) -> bool:
    """Two or more short names in one cell: 「内科、外科、小児科」, one name per line."""
    if "、" not in value and "，" not in value and "\n" not in value:
        return False
    parts = LIST_SEPARATOR.split(value.strip())
    return len(parts) >= 2 and all(
        0 < len(part) <= 25 and not part.isdigit() and not SENTENCE.search(part)
        for part in parts)


def noun_list(value: str) -> bool:
    """A cell that lists two or more short names (see ``list_cells`` for the column)."""
    return _noun_list(value)


def list_cells(texts: list[str]) -> list[int]:
    """The cells (indexes into ``texts``, a column's text cells) that are lists of names,
    where the column is one of lists: two or more such cells, at least 5 % of the column,
    and no more sentences than lists (a column of notes whose 「、」 is punctuation is not)."""
    joined = "\x00".join(texts)
    if "、" not in joined and "，" not in joined and "\n" not in joined:
        return []
    lists = [i for i, value in enumerate(texts) if _noun_list(value)]
    if (len(lists) >= 2 and len(lists) >= 0.05 * len(texts)
            and sum(1 for value in texts if SENTENCE.search(value)) <= len(lists)):
        return lists
    return []


def _coordinates(value: str) -> bool:
    """Latitude and longitude in one cell: 「35.68,139.76」, 「35.68 139.76」."""
    match = COORDINATES.match(value.strip())
    return bool(match) and float(match.group(1)) <= 90 and float(match.group(2)) <= 180


def l1_07_one_value_per_cell(table: Table) -> list[Violation]:
    """Judged per column: a column holds several values per cell when its cells are lists
    of names (not sentences whose 「、」 is punctuation), coordinate pairs or two quantities
    written as a/b; numbers with a second number in brackets are found in any cell."""
    places = [cell_name(r, c) for r, c, value in table.cells_with(MULTI_VALUE_MARK)
              if MULTI_VALUE.search(value)]
    coordinates = []
    numeric = set(table.numeric_columns())
    for c in table.data_columns():
        if c in numeric:
            continue
        strings = [(r, written) for (r, v), written in zip(table.column_values(c),
                                                           table.column_texts(c))
                   if isinstance(v, str)]
        joined = "\x00".join(v for _, v in strings)  # what marks occur in the column at all
        places += [cell_name(strings[i][0], c) for i in list_cells([v for _, v in strings])]
        pairs = [r for r, v in strings if ("/" in v or "／" in v) and QUANTITY_PAIR.match(v)
                 ] if "/" in joined or "／" in joined else []
        if pairs and len(pairs) >= 0.3 * len(strings) and not (
                DAY_HEADER.search(table.header(c)) or TIME_HEADER.search(table.header(c))):
            places += [cell_name(r, c) for r in pairs]
        located = [r for r, v in strings if "." in v and _coordinates(v)
                   ] if "." in joined else []
        if located and len(located) >= 0.3 * len(strings):
            coordinates += [cell_name(r, c) for r in located]
    found = _violation(N_("Cells holding more than one value ({count} cells)."),
                       places) if places else []
    if coordinates:
        found += _violation(N_("Latitude and longitude in one cell ({count} cells); give each "
                               "its own column."), coordinates, judgment=True)
    return found


# Proper nouns the rule exempts: variant kanji in the names of people and companies.
PERSON_OR_COMPANY_HEADER = re.compile(
    r"(氏名|名前|人名|代表者|設置者|開設者|管理者|運営者|所有者|事業者|申請者|責任者|担当者|院長|"
    r"医師|会社|企業|法人名|商号|屋号|店名|事業所名|団体名)")
COMPANY = re.compile(r"(株式会社|有限会社|合同会社|合資会社|合名会社|[(（][株有][)）]|法人)")
ADDRESS_HEADER = re.compile(r"(住所|所在地|所在|地番|市区町村|都道府県|自治体|地域|地区|町名)")


def l1_08_platform_chars(table: Table) -> list[Violation]:
    """Platform-dependent characters; variant kanji only where they are not part of a person's
    or company's name (they still count in addresses and official names: 髙松市)."""
    places, chars = [], []
    exempt = {c for c in range(table.width) if PERSON_OR_COMPANY_HEADER.search(table.header(c))
              and not ADDRESS_HEADER.search(table.header(c))}
    address = {c for c in range(table.width) if ADDRESS_HEADER.search(table.header(c))}
    header_rows = set(table.header_rows)
    for r, c, value in _platform_candidates(table):
        found = _suspect_chars(value)
        if found and r not in header_rows and (c in exempt or (
                c not in address and COMPANY.search(value))):  # a proper noun
            found = [ch for ch in found if _platform_dependent(ch) != VARIANT_KANJI]
        if found:
            places.append(cell_name(r, c))
            chars.extend(ch for ch in found if ch not in chars)
    return _violation(N_("Platform-dependent characters ({chars}) in {count} cells."), places,
                      chars="".join(chars[:10])) if places else []


def _platform_candidates(table: Table) -> list[tuple[int, int, str]]:
    """The text cells that may hold platform-dependent characters: all with characters
    beyond ASCII, or, where all of the body is in Shift_JIS (CP932), the header's and those
    of the body with a character of CP932's extensions."""
    try:
        table.joined_strings().encode("cp932")
    except UnicodeEncodeError:
        return _header_and_body_strings(table, NOT_ASCII)
    header = [(r, c, value) for r, c, value in _cells(table, table.header_rows)
              if isinstance(value, str) and NOT_ASCII.search(value)]
    return header + table.cells_with(_cp932_extensions())


def l1_09_blank_and_zero(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for c in table.numeric_columns()
              for r, _, written in table.not_plain_numbers(c) if written in DASHES]
    return _violation(N_("Dashes in number columns leave zero and \"no data\" "
                         "indistinguishable ({count} cells)."), places) if places else []


def l1_10_objects(table: Table) -> list[Violation] | None:
    if table.book.has_objects is None:
        return None
    return _violation(N_("The workbook contains images, charts or other objects."),
                      ["workbook"]) if table.book.has_objects else []


def l1_11_formatting(table: Table) -> list[Violation]:
    body = set(table.body)  # a highlighted cell holds a value: its row is all to check
    places = [name for name in table.sheet.highlighted
              if (bounds := _bounds(name)) is not None and bounds[0] in body]
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
        for r, value, _ in table.not_plain_numbers(c):
            if not is_date(value):
                places.append(cell_name(r, c))
    return _violation(N_("Number columns hold text, units, thousands separators or marks "
                         "({count} cells)."), places) if places else []


def l2_02_omissions(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for r, c, value in table.cells_with(DITTO_MARK)
              if value.strip() in DITTO]
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
    found = _violation(N_("Values left out as \"same as above\" ({count} cells)."),
                       places) if places else []
    if table.sections:
        found += _violation(N_("Heading rows stand for a value left out of every record below "
                               "them ({count} rows); give each record that value in a column."),
                            [f"{table.sheet.name}!A{r + 1}" for r in table.sections])
    return found


def l2_03_unique_headers(table: Table) -> list[Violation]:
    """Column names must differ; a header cell merged over several columns names each of
    the columns under it that has no name of its own."""
    shared = {c: label for left, right, label in table.header_spans()
              for c in range(left + 1, right + 1) if label}
    names = collections.Counter(table.header(c) or shared.get(c, "")
                                for c in table.data_columns())
    names.pop("", None)
    duplicated = [name for name, count in names.items() if count > 1]
    return _violation(N_("Column names used more than once: {names}."), duplicated,
                      names=", ".join(duplicated[:MAX_LOCATIONS])) if duplicated else []


def l2_04_choices(table: Table) -> list[Violation]:
    found = []
    numeric = set(table.numeric_columns())
    for c in table.data_columns():
        values = table.column_texts(c)
        if len(values) < 5 or c in numeric:
            continue
        distinct = set(values)
        if len(distinct) > 15:
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
    places = [cell_name(r, c) for r, c, value in table.strings()
              if "その他" in value and OTHER_DETAIL.match(value.strip())]
    return _violation(N_("\"Other\" answers carry their details in the same column ({count} "
                         "cells); put the details in a column of their own."),
                      places) if places else []


def l2_06_formulas(table: Table) -> list[Violation]:
    return _violation(N_("Formulas instead of values ({count} cells)."),
                      table.sheet.formulas) if table.sheet.formulas else []


# --- Level 3 -------------------------------------------------------------------------------

def l3_01_header_first(table: Table) -> list[Violation]:
    found = []
    if any(r not in table.metadata for r in range(table.header_rows[0])):
        found += _violation(N_("The table does not start at row 1 (the header is row {row})."),
                            [f"{table.sheet.name}!A1:A{table.header_rows[0]}"],
                            row=table.header_rows[0] + 1)
    if len(table.header_rows) > 1:
        first, last = table.header_rows[0] + 1, table.header_rows[-1] + 1
        found += _violation(N_("The header spans rows {first} to {last}; put each column's "
                               "full name in one header row."),
                            [f"{table.sheet.name}!A{first}:A{last}"], first=first, last=last)
    last_header = max(table.header_rows + table.metadata)
    if table.body and table.body[0] > last_header + 1:
        found += _violation(N_("Blank rows between the header and the data."),
                            [f"{table.sheet.name}!A{last_header + 2}"])
    return found


def l3_03_symbols(table: Table) -> list[Violation]:
    places = [cell_name(r, c) for c in table.numeric_columns()
              for r, _, written in table.not_plain_numbers(c) if written in SPECIAL_SYMBOLS]
    return _violation(N_("Special symbols in number columns ({count} cells) need a stated "
                         "definition."), places) if places else []


FLAGS = {"0", "1"}


def l3_04_units(table: Table) -> list[Violation] | None:
    columns = table.numeric_columns()
    if not columns:
        return None
    missing = []
    for c in columns:
        name = table.header(c)
        if set(table.column_texts(c)) <= FLAGS:
            continue  # a 0/1 flag has no unit
        if not name or UNIT_IN_HEADER.search(name) or any(w in name for w in UNITLESS_WORDS):
            continue
        if any(name.endswith(w) or w in name for w in UNIT_WORDS) or name.isdigit():
            continue
        if _english_words(name) & ENGLISH_UNITLESS:
            continue
        missing.append(name)
    return _violation(N_("Number columns without a unit: {names}."), missing, judgment=True,
                      names=", ".join(missing[:MAX_LOCATIONS])) if missing else []


def l3_05_time_axis(table: Table) -> list[Violation] | None:
    places, checked = [], False
    for c in table.data_columns():
        strings = [written for (_, v), written in zip(table.column_values(c),
                                                      table.column_texts(c))
                   if isinstance(v, str)]
        about_time = TIME_HEADER.search(table.header(c))
        if not DATE_MARK.search("\x00".join(strings)):
            continue  # no digit and no era name: nothing written as a date
        dated = _dated(strings, len(strings) * (0.5 if about_time else 0.8))
        if not dated:
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


def _dated(strings: list[str], required: float) -> list[str]:
    """The values written as dates, if there are at least ``required`` of them (else [];
    stops as soon as there cannot be)."""
    dated: list[str] = []
    allowed_misses = len(strings) - required
    misses = 0
    for s in strings:
        if s.isdigit() and s.isascii():
            is_dated = len(s) == 8  # of the shapes only the compact 20240401
        else:
            is_dated = bool(WAREKI.search(s) or ANY_DATE_SHAPE.match(s))
        if is_dated:
            dated.append(s)
        else:
            misses += 1
            if misses > allowed_misses:
                return []
    return dated if dated and len(dated) >= required else []


def l3_06_region(table: Table) -> list[Violation] | None:
    """Region columns are recognized by their values: region codes, official names, or
    (under a header naming a region) names cut short of their official form (東灘 for
    東灘区). A column of other values (地域区分: 住宅地, 商業地) is no region column."""
    places, regions = [], False
    for c in table.data_columns():
        values = table.column_texts(c)[:200]
        kind = _region_kind(values, bool(REGION_HEADER.search(table.header(c))
                                         or REGION_CODE_HEADER.search(table.header(c))))
        if kind == "code":
            return []
        if kind is not None:
            regions = True
            if kind == "short":
                places.append(table.header(c) or column_letter(c))
    if not regions:
        return None
    return _violation(N_("Neither a region code nor official region names in {columns}."),
                      places, columns=", ".join(places)) if places else []


REGION_SUFFIXES = ("都", "道", "府", "県", "市", "区", "町", "村")


def _region_kind(values: list[str], named_region: bool) -> str | None:
    """"code", "official" (names from the national list), "short" (names missing their
    市/区/町/村, under a header naming a region) or None (not a region column)."""
    distinct = {v.replace(" ", "").replace("\u3000", "") for v in values} - {""}
    if not distinct:
        return None
    if named_region and all(_region_code(v) for v in list(distinct)[:50]):
        return "code"
    names = official_region_names()
    official = sum(1 for v in distinct if v in names)
    if official >= 0.5 * len(distinct):
        return "official"
    if not named_region:
        return None
    short = sum(1 for v in distinct if v not in names
                and any(v + suffix in names for suffix in REGION_SUFFIXES))
    return "short" if short and official + short >= 0.5 * len(distinct) else None


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
# Rules a file cannot show it keeps (left out of the score, as in the published scoring):
# their title and why they were not judged.
NOT_JUDGED = {
    "L3-02": (N_("Code tables are attached"),
              N_("Whether a table of the codes' meanings comes with the data is not in the "
                 "file.")),
    "L3-07": (N_("The format stays the same from year to year"),
              N_("Needs the files of earlier years to compare with.")),
    "L3-08": (N_("Definitions and update history are stated"),
              N_("Definitions, update history and the character encoding are stated outside "
                 "the file.")),
}
RULE_TITLES = {rule.id: rule.title for rule in RULES} | {
    "L1-01": N_("A machine-readable file format"),
} | {rule_id: title for rule_id, (title, _) in NOT_JUDGED.items()}
