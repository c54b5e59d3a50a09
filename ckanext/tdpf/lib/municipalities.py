"""全国地方公共団体コード: the check digit and the bundled national list (CC0, J-LIS/GSI)."""
from __future__ import annotations

import csv
import dataclasses
import functools
import pathlib

DATA = pathlib.Path(__file__).parent / "data" / "localgovjp-utf8.csv"
WEIGHTS = (6, 5, 4, 3, 2)
TOKYO = "130001"


@dataclasses.dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    prefecture: str


def check_digit(first_five: str) -> int:
    total = sum(int(digit) * weight for digit, weight in zip(first_five, WEIGHTS))
    return (11 - total % 11) % 10


def has_valid_check_digit(code: str) -> bool:
    return (len(code) == 6 and code.isascii() and code.isdigit()
            and check_digit(code[:5]) == int(code[5]))


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, Municipality]:
    """Every municipality of the national list plus the 47 prefectures."""
    found: dict[str, Municipality] = {}
    with DATA.open(encoding="utf-8-sig", newline="") as stream:
        for row in csv.DictReader(stream):
            code = row["lgcode"].zfill(6)
            found[code] = Municipality(code, row["city"], row["pref"])
            pref_code = f"{code[:2]}000"
            pref_code += str(check_digit(pref_code))
            found.setdefault(pref_code, Municipality(pref_code, row["pref"], row["pref"]))
    return found


def lookup(code: str) -> Municipality | None:
    return registry().get(code) if has_valid_check_digit(code) else None


def is_prefecture(code: str) -> bool:
    return code[2:5] == "000"
