"""One cell at a time: spaces, line breaks, platform-dependent characters, numbers, symbols
and dates. Each function returns the new value (or the same one) and what it did, so the
caller can record every change against the rule it fixes."""
from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any

from ckanext.tdpf.lib.rating.rules import PLATFORM_SYMBOL, _platform_dependent, _suspect_chars

# --- text -----------------------------------------------------------------------------------

SPACES = "[ \u3000\t]"
# Letters spread out to a width, as the scorer sees them (rules.LETTER_SPACED): 「東　京　都」.
SPREAD = re.compile(r"^[^\s\u3000]\s*[\u3000 ]+\s*[^\s\u3000]$"
                    r"|^(?:[^\x00-\x7f\s\u3000]{1,2}[ \u3000]+){2,}[^\x00-\x7f\s\u3000]{1,2}$")
WIDE_GAP = re.compile(r"[ \u3000\t]{2,}")
CJK_GAP = re.compile(r"(?<=[^\x00-\x7f\s\u3000])[ \u3000\t]+(?=[^\x00-\x7f\s\u3000])")
LINE_BREAK = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def flatten_lines(value: str, joiner: str = " ") -> str:
    """Line breaks inside a cell become one space (a header's become nothing)."""
    return LINE_BREAK.sub(joiner, value.strip("\r\n"))


def clean_spaces(value: str, header: bool = False) -> str:
    """Layout spaces out: leading and trailing spaces, letter-spacing (「東　灘　区」 →
    「東灘区」) and runs of spaces (one is kept). In a header, spaces between Japanese
    characters go too (「人 口 動 態」 → 「人口動態」)."""
    if " " not in value and "\u3000" not in value and "\t" not in value:
        return value
    value = value.strip(" \u3000\t")
    if header:
        value = CJK_GAP.sub("", value).replace("\u3000", " ")
    elif SPREAD.match(value):
        value = re.sub(SPACES, "", value)
    return WIDE_GAP.sub(" ", value)


# Replacements where NFKC does not give what people write (№ → No., not No).
PLATFORM_OVERRIDES = {"№": "No.", "℡": "TEL", "〝": "\"", "〟": "\"", "∮": "∮"}


def replace_platform_chars(value: str) -> tuple[str, list[str]]:
    """Platform-dependent symbols (① ㈱ № ㎡ Ⅳ …) replaced by what they stand for; variant
    kanji (髙, 﨑) are left alone: they are names."""
    if value.isascii():
        return value, []
    found = [char for char in _suspect_chars(value) if _platform_dependent(char) == PLATFORM_SYMBOL]
    if not found:
        return value, []
    for char in set(found):
        value = value.replace(char, PLATFORM_OVERRIDES.get(char)
                              or unicodedata.normalize("NFKC", char))
    return value, sorted(set(found))


# --- numbers --------------------------------------------------------------------------------

NUMBER = re.compile(r"^-?(\d+|\d*\.\d+)([eE][+-]?\d+)?$")
PLAIN = re.compile(r"^-?\d+(\.\d+)?$")  # the common case, taken as it is
GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
UNITS = ("百万円", "千円", "万円", "億円", "円", "人", "件", "世帯", "戸", "台", "km2", "m2", "km",
         "kg", "ha", "m", "t", "%", "歳", "才", "回", "か所", "箇所", "校", "社", "本", "冊", "棟")
UNIT = re.compile(r"^(.*?\d)\s*(" + "|".join(re.escape(u) for u in UNITS) + r")$")
# Footnote marks after a value: ※, ※1, *, **, 注1, a), (a), a)b), 1)
FOOTNOTE = re.compile(r"^(.*?)\s*((?:※\d*|\*+|注\d*|\(?[a-z]\)|\(\d\)|\d\))+)$")
NEGATIVE = re.compile(r"^[△▲]\s*")
NUMBER_AND_NOTE = re.compile(r"^(-?\d[\d,]*(?:\.\d+)?)\s*[,、]\s*(\D.*)$")

# The declared convention for symbols in number columns: what each means and what the
# prepared file holds instead (recorded in every table's description).
ZERO, UNKNOWN, SECRET = "zero", "unknown", "secret"
SYMBOLS = {
    "-": ZERO, "－": ZERO, "―": ZERO, "‐": ZERO, "−": ZERO, "—": ZERO, "--": ZERO, "---": ZERO,
    "…": UNKNOWN, "‥": UNKNOWN, "...": UNKNOWN, "・・・": UNKNOWN, "不詳": UNKNOWN,
    "x": SECRET, "X": SECRET, "ｘ": SECRET, "Ｘ": SECRET, "✕": SECRET, "×": SECRET,
    "χ": SECRET, "秘": SECRET, "秘匿": SECRET, "*": SECRET, "＊": SECRET, "**": SECRET,
    "***": SECRET,
}
SYMBOL_VALUES = {ZERO: "0", UNKNOWN: "", SECRET: ""}


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


class Number:
    """A number cell read apart: its digits, unit, footnote and what was done."""

    def __init__(self, value: str, unit: str = "", note: str = "", symbol: str = "",
                 steps: tuple[str, ...] = ()):
        self.value, self.unit, self.note, self.symbol, self.steps = (value, unit, note, symbol,
                                                                      steps)


def read_number(raw: Any) -> Number | None:
    """A number written any way (「１，２３４人」, 「△12」, 「3.5%※」), a symbol of the
    declared convention, or None when the cell is no number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return Number(format_number(raw))
    text = str(raw).strip()
    if not text:
        return None
    if PLAIN.match(text):
        return Number(text)
    steps: list[str] = []
    normal = nfkc(text).replace(" ", "")
    if normal != text.replace(" ", "").replace("\u3000", ""):
        steps.append("width")
    if normal in SYMBOLS or text in SYMBOLS:
        meaning = SYMBOLS.get(text) or SYMBOLS[normal]
        return Number(SYMBOL_VALUES[meaning], symbol=meaning, steps=("symbol",))
    note = ""
    match = FOOTNOTE.match(normal)
    if match and match.group(1):
        normal, note = match.group(1), match.group(2)
        steps.append("note")
    if NEGATIVE.match(normal):
        normal = NEGATIVE.sub("-", normal)
        steps.append("negative")
    unit = ""
    match = UNIT.match(normal)
    if match:
        normal, unit = match.group(1), match.group(2)
        steps.append("unit")
    if GROUPED.match(normal):
        normal = normal.replace(",", "")
        steps.append("separator")
    if normal.startswith("+") and NUMBER.match(normal[1:]):
        normal = normal[1:]
    if not NUMBER.match(normal):
        return None
    return Number(normal, unit, note, steps=tuple(steps))


def split_number_and_note(raw: Any) -> tuple[str, str] | None:
    """「81,分校2」: a number followed by words → the number and the words."""
    if not isinstance(raw, str):
        return None
    match = NUMBER_AND_NOTE.match(nfkc(raw.strip()))
    if not match or not GROUPED.match(match.group(1)) and not NUMBER.match(match.group(1)):
        return None
    return match.group(1).replace(",", ""), match.group(2)


def format_number(value: int | float) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


# --- dates ----------------------------------------------------------------------------------

ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018,
        "M": 1867, "T": 1911, "S": 1925, "H": 1988, "R": 2018}
# The last day of each era (an era year past it is still counted in its Western year: 平成31年
# is 2019, 昭和64年 is 1989).
ERA_DATE = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\.?\s*(元|\d{1,2})\s*"
    r"(?:年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)?|[./-]\s*(\d{1,2})(?:\s*[./-]\s*(\d{1,2}))?)"
    r"(?:\s*\((?:[月火水木金土日])\))?$")
YEAR_ONLY = re.compile(r"^(元|\d{1,2})\s*年(?:\s*(\d{1,2})\s*月)?$")  # 「24年」 under 平成23年
WESTERN = re.compile(
    r"^(\d{4})\s*(?:[/.-]\s*(\d{1,2})\s*(?:[/.-]\s*(\d{1,2}))?|年\s*(\d{1,2})\s*月"
    r"(?:\s*(\d{1,2})\s*日)?)(?:\s*\((?:[月火水木金土日])\))?$")


def _iso(year: int, month: str | None, day: str | None) -> str | None:
    if month is None:
        return f"{year:04d}"
    try:
        if day is None:
            datetime.date(year, int(month), 1)
            return f"{year:04d}-{int(month):02d}"
        return datetime.date(year, int(month), int(day)).isoformat()
    except ValueError:
        return None


def read_date(raw: Any, era: str | None = None) -> tuple[str, str | None] | None:
    """An ISO 8601 date (or year-month, or year) for a date written in any common Japanese
    way, with the era it was written in (for the cells below: 「平成23年」 then 「24年」)."""
    if isinstance(raw, datetime.datetime):
        if raw.time() == datetime.time(0, 0):
            return raw.date().isoformat(), None
        return raw.isoformat(timespec="seconds"), None
    if isinstance(raw, datetime.date):
        return raw.isoformat(), None
    if not isinstance(raw, str) or not any(char.isdigit() for char in raw):
        return None
    text = nfkc(raw).strip()
    match = ERA_DATE.match(text)
    if match:
        name, year, m1, d1, m2, d2 = match.groups()
        if len(name) == 1 and not (m1 or (m2 and d2)):
            return None  # 「S1-2」 is a size, not a date: a letter era needs a full date
        western = ERAS[name] + (1 if year == "元" else int(year))
        iso = _iso(western, m1 or m2, d1 or d2)
        return (iso, name) if iso else None
    match = WESTERN.match(text)
    if match:
        year, m1, d1, m2, d2 = match.groups()
        if not 1800 <= int(year) <= 2200:
            return None
        iso = _iso(int(year), m1 or m2, d1 or d2)
        return (iso, None) if iso else None
    if era:
        match = YEAR_ONLY.match(text)
        if match:
            year, month = match.groups()
            iso = _iso(ERAS[era] + (1 if year == "元" else int(year)), month, None)
            return (iso, era) if iso else None
    return None


def split_footnote(raw: str) -> tuple[str, str]:
    """「平成23年 a)b)」 → 「平成23年」, 「a)b)」."""
    match = FOOTNOTE.match(nfkc(raw).strip())
    if match and match.group(1):
        return match.group(1), match.group(2)
    return raw, ""


def plain(value: Any) -> str:
    """A value as text in the prepared CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return read_date(value)[0]  # type: ignore[index]
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)
