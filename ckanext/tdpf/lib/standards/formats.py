"""The value formats of the 自治体標準オープンデータセット columns.

Each check takes a cell's text, already stripped, and says whether it is written in the
format; an empty cell ("") passes every format (whether a column may be empty is its
requirement's business, see ``conformance``). Written as the A-13 definition states them:
codes 6 半角 digits with the check digit, ID 半角英数字, カナ 全角, latitude/longitude
decimal degrees in 半角, counts 半角 integers, 有/無, 時刻 hh:mm, images and pages as URLs.
"""
from __future__ import annotations

import datetime
import re
from typing import Callable

from ckanext.tdpf.lib import i18n, municipalities

N_ = i18n.N_

DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
INTEGER = re.compile(r"^[+-]?[0-9]+$")
ID = re.compile(r"^[A-Za-z0-9_-]+$")
TIME = re.compile(r"^([0-9]{2}):([0-9]{2})$")
URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[0-9()-]{6,20}$")
POSTAL = re.compile(r"^[0-9]{3}-?[0-9]{4}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# 全角カナ: カタカナ, 長音, 中黒 and the full-width punctuation, digits and letters names use.
KANA = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FD\u30FE\u30FB\u3000"
                  r"\uFF08\uFF09\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\uFF0D\uFF0E\uFF0F"
                  r"\uFF06\u301C\uFF5E\u3001\u3002\u2010\u2212]+$")
HEIGHT_TYPES = ("階数", "標高", "地表高")


def _ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def lgcode(value: str) -> bool:
    """全国地方公共団体コード: 6 半角 digits, a valid check digit, a known municipality or
    prefecture (the bundled national list)."""
    return not value or municipalities.lookup(value) is not None


def identifier(value: str) -> bool:
    return not value or bool(ID.match(value))


def text(value: str) -> bool:
    return True


def kana(value: str) -> bool:
    return not value or bool(KANA.match(value))


def ascii_text(value: str) -> bool:
    """半角英数字 (names in English): printable ASCII."""
    return not value or (value.isascii() and value.isprintable())


def _degrees(value: str, limit: float) -> bool:
    if not value:
        return True
    if not DECIMAL.match(value):
        return False
    return -limit <= float(value) <= limit


def latitude(value: str) -> bool:
    return _degrees(value, 90)


def longitude(value: str) -> bool:
    return _degrees(value, 180)


def integer(value: str) -> bool:
    return not value or bool(INTEGER.match(value))


def decimal(value: str) -> bool:
    return not value or bool(DECIMAL.match(value))


def yesno(value: str) -> bool:
    return value in ("", "有", "無")


def flag(value: str) -> bool:
    """The 災害種別_* and 指定避難所との重複 columns: 1 where it applies (0 or blank where not)."""
    return value in ("", "1", "0")


def time(value: str) -> bool:
    """hh:mm, 00:00 to 23:59; 24:00 for 'until the end of the day'."""
    if not value:
        return True
    found = TIME.match(value)
    if not found:
        return False
    hours, minutes = int(found.group(1)), int(found.group(2))
    return (hours < 24 and minutes < 60) or (hours, minutes) == (24, 0)


def date(value: str) -> bool:
    """YYYY-MM-DD."""
    if not value:
        return True
    try:
        return datetime.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def url(value: str) -> bool:
    return not value or bool(URL.match(value))


def phone(value: str) -> bool:
    return not value or (bool(PHONE.match(value)) and sum(c.isdigit() for c in value) >= 6)


def postal_code(value: str) -> bool:
    return not value or bool(POSTAL.match(value))


def email(value: str) -> bool:
    return not value or bool(EMAIL.match(value))


def corporate_number(value: str) -> bool:
    """法人番号: 13 半角 digits, the first the check digit of the other twelve."""
    if not value:
        return True
    if len(value) != 13 or not _ascii_digits(value):
        return False
    base = value[1:]
    total = sum(int(digit) * (2 if position % 2 == 0 else 1)
                for position, digit in enumerate(reversed(base), start=1))
    return int(value[0]) == 9 - total % 9


def height_type(value: str) -> bool:
    return value in ("",) + HEIGHT_TYPES


FORMATS: dict[str, Callable[[str], bool]] = {
    "lgcode": lgcode,
    "id": identifier,
    "text": text,
    "kana": kana,
    "ascii": ascii_text,
    "latitude": latitude,
    "longitude": longitude,
    "integer": integer,
    "decimal": decimal,
    "yesno": yesno,
    "flag": flag,
    "time": time,
    "date": date,
    "url": url,
    "phone": phone,
    "postal_code": postal_code,
    "email": email,
    "corporate_number": corporate_number,
    "height_type": height_type,
}

# What each format asks for, for the per-column errors.
DESCRIPTIONS: dict[str, str] = {
    "lgcode": N_("a 6-digit local government code with a valid check digit"),
    "id": N_("half-width letters and digits"),
    "text": N_("text"),
    "kana": N_("full-width katakana"),
    "ascii": N_("half-width letters and digits"),
    "latitude": N_("a latitude in decimal degrees"),
    "longitude": N_("a longitude in decimal degrees"),
    "integer": N_("a whole number in half-width digits"),
    "decimal": N_("a number in half-width digits"),
    "yesno": N_("有 or 無"),
    "flag": N_("1 or blank"),
    "time": N_("a time as hh:mm"),
    "date": N_("a date as YYYY-MM-DD"),
    "url": N_("a URL starting with http:// or https://"),
    "phone": N_("a phone number in half-width digits"),
    "postal_code": N_("a postal code as 123-4567"),
    "email": N_("an e-mail address"),
    "corporate_number": N_("a 13-digit corporate number with a valid check digit"),
    "height_type": N_("階数, 標高 or 地表高"),
}


def check(format_key: str, value: str) -> bool:
    return FORMATS[format_key](value)
