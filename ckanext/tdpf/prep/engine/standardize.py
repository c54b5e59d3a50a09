"""標準形式に変換: a prepared table rewritten in the layout of a 自治体標準オープンデータセット
(``lib.standards``): the standard's columns, all of them, in order, each value in the
standard's form. Plain code, no CKAN: the action, the merge and the tests call ``convert``.

How a source column finds its place (``mapping[*]["how"]``):

- ``same``: it has the standard column's name (spaces and full/half width aside);
- ``old_layout``: the 推奨データセット (old) layout's name of it (``Standard.old_mapping``);
- ``synonym``: a header name of a local layout (``Column.synonyms``);
- ``values``: its values fit the column's format (latitudes, longitudes, 有/無, times, codes)
  and its name shares a telling part with the column's (「洪水」 → 災害種別_洪水);
- ``split``: an address split into 都道府県 / 市区町村 / 町字 / 番地以下 / 方書, a time span
  「9時～17時」 into 開始 / 終了;
- ``filled``: from the publisher (全国地方公共団体コード, 地方公共団体名), from the address
  (所在地_全国地方公共団体コード), from the address columns (所在地_連結表記), or generated
  (ID); ``mapping[*]["from"]`` says which.

Nothing is dropped: a column that maps to nothing goes, cell by cell, into 備考 as
「列名: 値」 (after the row's own 備考), and is listed in ``unmapped``; a value that cannot be
written in its column's format (「時間外は要相談」 in a time column) goes to the column's
特記事項 or to 備考 the same way. Every such move is a ``Change`` naming the source cells
(row 1 = the header, as in the prepared CSV).

IDs: a source ID (ID, NO, 通し番号, …) is kept; one the file repeats gets ``-2``, ``-3``…
Without one, each row gets ``<code>-<8 hex digits>`` (the code: its 全国地方公共団体コード)
from a SHA-1 of its name, address, building, place and coordinates, so a row keeps its ID
when other rows are added, removed or reordered; rows alike in all of these get ``-2``,
``-3``… in their order.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import re
import unicodedata
from typing import Any, Callable

from ckanext.tdpf.lib import municipalities
from ckanext.tdpf.lib.i18n import N_
from ckanext.tdpf.lib.standards import Column, Standard
from ckanext.tdpf.lib.standards import conformance as conformance_
from ckanext.tdpf.lib.standards import file_name as standard_file_name
from ckanext.tdpf.lib.standards import normalize as standards_normalize
from ckanext.tdpf.lib.standards.conformance import Conformance
from ckanext.tdpf.lib.standards.formats import FORMATS

from . import Change

__all__ = ["Publisher", "Converted", "convert", "coverage", "publisher_of", "RULE_TITLES"]

# The kinds of change conversion makes, as ``Change.rule`` (titles for the page).
RULE_TITLES = {
    "STD-01": N_("Columns placed in the standard's layout"),
    "STD-02": N_("Addresses in the standard's form"),
    "STD-03": N_("Coordinates checked"),
    "STD-04": N_("Values in the standard's form"),
    "STD-05": N_("Filled in from the publisher or the address"),
    "STD-06": N_("IDs"),
    "STD-07": N_("Kept in 備考 (remarks) or the notes column"),
}

REMARKS = "備考"
ADDRESS = "所在地_連結表記"
ADDRESS_PARTS = ("所在地_都道府県", "所在地_市区町村", "所在地_町字", "所在地_番地以下")
BUILDING = "建物名等(方書)"
LGCODE = "全国地方公共団体コード"
LOCATED_LGCODE = "所在地_全国地方公共団体コード"
LG_NAME = "地方公共団体名"
POSTAL = "郵便番号"
POSTAL_IN_ADDRESS = re.compile(r"^\s*(?:〒|郵便番号[:：]?)?\s*(\d{3}-?\d{4})(?=\s|$|[^\d-])")
# Where a column ``filled`` comes from (``mapping[*]["from"]``).
FILLED_FROM = {"全国地方公共団体コード": "publisher", "地方公共団体名": "publisher",
               "所在地_全国地方公共団体コード": "address", "所在地_連結表記": "address_parts"}
SEPARATOR = " / "  # between pieces of 備考 (and of a notes column)

# Formats whose values are checked strictly: a value that cannot be written in the format
# leaves its column (for 備考 or the notes column) instead of breaking the file.
STRICT = {"yesno", "flag", "time", "integer", "decimal", "latitude", "longitude", "lgcode"}
ASCII_FORMATS = STRICT | {"id", "url", "phone", "date", "email", "postal_code", "ascii"}


@dataclasses.dataclass
class Publisher:
    lgcode: str | None          # the organization's 全国地方公共団体コード
    name: str | None            # 地方公共団体名, e.g. 東京都渋谷区


def publisher_of(lgcode: str | None) -> Publisher | None:
    """The publisher with this code, named from the national list (東京都渋谷区,
    北海道札幌市中央区, 東京都 for the prefecture)."""
    code = (lgcode or "").strip()
    found = municipalities.lookup(code) if code else None
    if found is None:
        return None
    name = found.name.replace(" ", "").replace("\u3000", "")
    if not municipalities.is_prefecture(code):
        name = found.prefecture + name
    return Publisher(code, name)


@dataclasses.dataclass
class Converted:
    header: list[str]           # the standard's columns, in order (all of them)
    rows: list[list[str]]
    source_rows: list[int]      # for each output row, its 1-based row in the source table
    mapping: list[dict]         # {"source", "target", "how"}
    unmapped: list[str]         # source columns mapped to nothing (values went to 備考)
    changes: list[Change]
    before: Conformance
    after: Conformance
    file_name: str

    def csv_bytes(self) -> bytes:
        import csv
        import io
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue().encode("utf-8")


# --- names ------------------------------------------------------------------------------------

def key(name: str) -> str:
    """A column name as compared (as ``lib.standards`` compares headers; a trailing dot
    aside: 「No.」 is 「NO」)."""
    return standards_normalize(name).rstrip(".")


# Words of local headers for the words of the standard's names, for the value checks'
# name test (「車いすトイレ」 → 車椅子…, 「小児用パッド」 …, 「ベビーシート」 → 乳幼児…).
ALIASES = (("車いす", "車椅子"), ("車イス", "車椅子"), ("ベビー", "乳幼児"), ("おむつ", "乳幼児"),
           ("オムツ", "乳幼児"), ("赤ちゃん", "乳幼児"), ("子ども", "小児"), ("子供", "小児"),
           ("こども", "小児"), ("tel", "電話"), ("fax", "FAX番号"), ("〒", "郵便番号"))
# Local names of the name column: 「施設名」「トイレ名」「避難所名称」, not the names of
# other things (都道府県名, 団体名, 法人の名称 …, which the standards have themselves).
NAME_LIKE = re.compile(r"^(?!.*(?:都道府県|市区町村|市町村|区市町村|団体|法人|事業者|管理者|所有者|"
                       r"地区|町会|自治会|路線|カナ|かな|英|ローマ))(?:.{1,12})(?:名|名称)$")
ADDRESS_LIKE = re.compile(r"住所|所在地|所在")
ID_LIKE = re.compile(r"^(?:番号|通し番号|通番|連番|整理番号|管理番号|施設番号|施設id|施設コード|"
                     r"no|no\.|number)$")


def _aliased(name: str) -> str:
    for local, word in ALIASES:
        name = name.replace(local.lower(), key(word))
    return name


GENERIC = ("トイレ", "有無", "の有無", "数", "番号", "名称", "時間", "所在地", "設置", "種別",
           "災害種別", "_", "(", ")")


def _common(a: str, b: str) -> str:
    """The longest common substring of two names."""
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best


def _telling(part: str) -> bool:
    core = part
    for generic in GENERIC:
        core = core.replace(generic, "")
    return len(core) >= 2


# --- values -----------------------------------------------------------------------------------

YES = {"有", "有り", "あり", "アリ", "○", "〇", "◯", "●", "◎", "yes", "y", "true", "1", "可",
       "有(あり)", "設置", "設置あり", "対応", "対応可"}
NO = {"無", "無し", "なし", "ナシ", "×", "✕", "✖", "x", "no", "n", "false", "0", "不可",
      "無(なし)", "未設置", "設置なし", "非対応"}
ROUND_THE_CLOCK = {"24時間", "24時間営業", "24時間利用可", "24時間利用可能", "24時間開放", "終日",
                   "24h", "24hours", "常時", "常時開放", "常時利用可", "常時利用可能", "0:00~24:00",
                   "00:00~24:00"}
_TIME = re.compile(
    r"(?P<ampm>午前|午後)?\s*(?P<h>\d{1,2})\s*(?:[:：]\s*(?P<m>\d{2})(?:[:：]\d{2})?"
    r"|時\s*(?:(?P<m2>\d{1,2})\s*分|(?P<half>半))?)")
_SPAN = re.compile(r"^\s*(?P<a>[^~〜～\-－―–—ー]+?)\s*(?:~|〜|～|－|-|―|–|—|ー|から)\s*"
                   r"(?P<b>.+?)\s*(?:まで)?\s*$")


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def time_of(value: str) -> str | None:
    """「9時」「9:00」「09:00:00」「午後5時半」 → hh:mm; None if it is not one time."""
    text = _ascii(value)
    match = _TIME.fullmatch(text)
    if not match:
        return None
    hour = int(match["h"])
    minute = int(match["m"] or match["m2"] or (30 if match["half"] else 0))
    if match["ampm"] == "午後" and hour < 12:
        hour += 12
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


_ASIDE = re.compile(r"\s*[(\[【〔「、,;].*$")


def span_of(value: str) -> tuple[str, str] | None:
    """「9時～17時」「9:00-17:00」「24時間」 → (start, end); None if it is not one span. Words
    in brackets after it (「9時～17時（土日は休み）」) are allowed (the caller keeps them)."""
    text = _ascii(value).replace("〜", "~")
    compact = re.sub(r"\s+", "", text).lower()
    if compact in {_ascii(item).lower() for item in ROUND_THE_CLOCK}:
        return "00:00", "24:00"
    text = _ASIDE.sub("", text) or text
    match = _SPAN.match(text)
    if not match:
        return None
    start, end = time_of(match["a"]), time_of(match["b"])
    if start is None or end is None:
        return None
    return start, end


def yesno_of(value: str) -> bool | None:
    text = _ascii(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def integer_of(value: str) -> str | None:
    text = _ascii(value).replace(",", "")
    text = re.sub(r"(?:基|台|個|か所|ヶ所|箇所|室|所|人|名|穴)$", "", text)
    if re.fullmatch(r"\d+", text):
        return str(int(text))
    if re.fullmatch(r"\d+\.0+", text):
        return str(int(float(text)))
    return None


def decimal_of(value: str) -> str | None:
    text = _ascii(value).replace(",", "")
    try:
        float(text)
    except ValueError:
        return None
    return text


def lgcode_of(value: str, near: str | None = None) -> str | None:
    """A 全国地方公共団体コード as the standard writes it: 6 digits with the check digit.
    Written with 5 digits it is either the code without its check digit (37201 → 372013) or
    a code whose leading zero a spreadsheet dropped (11002 → 011002): the one in the national
    list, in the prefecture of ``near`` (the publisher's code) when both are."""
    text = _ascii(value)
    if re.fullmatch(r"\d{6}", text):
        return text if municipalities.lookup(text) is not None else None
    if not re.fullmatch(r"\d{4,5}", text):
        return None
    candidates = []
    five = text.zfill(5)
    candidates.append(five + str(municipalities.check_digit(five)))
    if len(text) == 5:
        candidates.append("0" + text)
    found = [code for code in candidates if municipalities.lookup(code) is not None]
    if len(found) > 1 and near:
        found = [code for code in found if code[:2] == near[:2]] or found
    return found[0] if found else None


HALF_KANA = re.compile(r"[\uff61-\uff9f]+")


def kana_of(value: str) -> str:
    """名称_カナ in 全角カナ: half-width katakana made full-width, hiragana made katakana,
    half-width letters, digits, brackets and spaces made full-width, and a dash after a
    katakana (「ｾﾝﾀ-」) the long-vowel mark."""
    text = HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value)
    text = "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)
    text = re.sub(r"(?<=[\u30a1-\u30fa\u30fc])[-\uff0d\u2010-\u2015\u2212]", "ー", text)
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~"
                   else ch for ch in text)


_DASH_RUN = re.compile(r"(?<=\d)\s*[\u2010-\u2015\u2212\u30fc\uff0d\uff70-]\s*(?=\d)")
_PHONE = re.compile(r"\+?\(?\d{2,5}\)?[-(]?\d{1,4}\)?-?\d{3,4}")


def first_phone(value: str) -> str | None:
    """The first phone number of a cell holding more (「078-803-5921(昼)、078-803-5777(夜)」)."""
    text = _DASH_RUN.sub("-", _ascii(value))
    found = _PHONE.search(text)
    return found.group() if found and sum(c.isdigit() for c in found.group()) >= 9 else None


def _accepts(format_: str, value: str) -> bool:
    check = FORMATS.get(format_)
    if check is None:
        return True
    try:
        return bool(check(value))
    except Exception:  # a format check that cannot read the value rejects it
        return False


def standard_value(column: Column, value: str) -> str | None:
    """The value as the column's format writes it, or None if it cannot be written so."""
    value = value.strip()
    if not value:
        return ""
    fmt = column.format
    if fmt in ("yesno", "flag"):
        answer = yesno_of(value)
        if answer is None:
            return None
        for candidate in (("有", "1") if answer else ("無", "0", "")):
            if _accepts(fmt, candidate):
                return candidate
        return None
    if fmt == "time":
        found = time_of(value)
    elif fmt == "integer":
        found = integer_of(value)
    elif fmt in ("decimal", "latitude", "longitude"):
        found = decimal_of(value)
    elif fmt == "lgcode":
        found = lgcode_of(value)
    elif fmt == "kana":
        found = kana_of(value)
    elif fmt in ("phone", "postal_code"):
        found = _DASH_RUN.sub("-", _ascii(value)).lstrip("〒").strip()
    elif fmt in ASCII_FORMATS:
        found = _ascii(value)
    else:
        found = value
    if found is None:
        return None
    if _accepts(fmt, found):
        return found
    if fmt in STRICT:
        return None
    return found if fmt == "kana" or fmt in ASCII_FORMATS else value


# --- matching ---------------------------------------------------------------------------------

@dataclasses.dataclass
class _Match:
    source: int
    target: str
    how: str


def _values(rows: list[list[str]], index: int) -> list[str]:
    return [row[index].strip() for row in rows if index < len(row) and row[index].strip()]


def _share(values: list[str], test: Callable[[str], Any]) -> float:
    if not values:
        return 0.0
    return sum(1 for value in values if test(value)) / len(values)


def _looks_like(column: Column, values: list[str]) -> bool:
    """Most of a column's values fit ``column``'s format (after conversion)."""
    fmt = column.format
    if not values or fmt not in STRICT | {"kana", "url", "phone"}:
        return False
    if fmt == "latitude":
        return _share(values, lambda v: _in(v, 20, 46.5)) >= 0.9
    if fmt == "longitude":
        return _share(values, lambda v: _in(v, 122, 154)) >= 0.9
    if fmt == "url":
        return _share(values, lambda v: re.match(r"https?://", v)) >= 0.9
    return _share(values, lambda v: standard_value(column, v) is not None) >= 0.9


def _in(value: str, low: float, high: float) -> bool:
    """A coordinate in this range, written with decimals or in degrees (a count of 35 is no
    latitude)."""
    from ckanext.tdpf.lib import coordinates
    if not re.search(r"[.°度]", value):
        return False
    number = coordinates.parse(value)
    return number is not None and low <= number <= high


def match_columns(header: list[str], rows: list[list[str]],
                  standard: Standard) -> tuple[list[_Match], dict[int, str]]:
    """Each source column's place: (matches, {source index: span target pair key}) — the
    second names columns of time spans to split into the standard's start and end."""
    columns = {column.name: column for column in standard.columns}
    by_key = {key(column.name): column.name for column in standard.columns}
    old = {key(name): target for name, target in standard.old_mapping.items()
           if target in columns}
    synonyms: dict[str, str] = {}
    for column in standard.columns:
        for synonym in column.synonyms:
            synonyms.setdefault(key(synonym), column.name)
    matches: list[_Match] = []
    taken: dict[str, int] = {}
    left: list[int] = []
    # exact names first, wherever they stand, so that a synonym never takes their place
    for index, name in enumerate(header):
        target = by_key.get(key(name))
        if target and target not in taken:
            taken[target] = index
            matches.append(_Match(index, target, "same"))
    for index, name in enumerate(header):
        if any(match.source == index for match in matches):
            continue
        k = key(name)
        for how, table in (("old_layout", old), ("synonym", synonyms)):
            target = table.get(k)
            if target is None:
                continue
            if target not in taken:
                taken[target] = index
                matches.append(_Match(index, target, how))
                break
            if target == LG_NAME:
                # 都道府県名 + 市区町村名 both make 地方公共団体名
                matches.append(_Match(index, target, how))
                break
        else:
            # a joined header's last part: 災害ごとの注意事項_洪水 → 洪水 → 災害種別_洪水
            tail = key(name.rsplit("_", 1)[-1]) if "_" in name else ""
            target = synonyms.get(tail) if tail else None
            if target and target not in taken:
                taken[target] = index
                matches.append(_Match(index, target, "synonym"))
            else:
                left.append(index)

    # by values: coordinates, codes, yes/no, times, URLs where the name agrees
    spans: dict[int, str] = {}
    time_columns = [column.name for column in standard.columns if column.format == "time"]
    for index in left:
        values = _values(rows, index)
        name = _aliased(key(header[index]))
        if not values:
            continue
        candidates = []
        for column in standard.columns:
            if column.name in taken or not _looks_like(column, values):
                continue
            common = _common(name, key(column.name))
            if column.format in ("latitude", "longitude"):
                candidates.append((10, column.name))  # the values alone say it
            elif _telling(common):
                candidates.append((len(common), column.name))
        candidates.sort(reverse=True)
        if candidates and (len(candidates) == 1 or candidates[0][0] > candidates[1][0]):
            target = candidates[0][1]
            taken[target] = index
            matches.append(_Match(index, target, "values"))
            continue
        if (len(time_columns) >= 2 and not any(t in taken for t in time_columns[:2])
                and _share(values, lambda v: span_of(v) is not None) >= 0.5):
            spans[index] = time_columns[0]
            for target in time_columns[:2]:
                taken[target] = index
                matches.append(_Match(index, target, "split"))
            continue

    # a local name of the name or the address column: 「施設名」, 「設置住所」
    matched = {match.source for match in matches}
    for target, pattern, test in (("名称", NAME_LIKE, _names),
                                  (ADDRESS, ADDRESS_LIKE, _addresses),
                                  ("ID", ID_LIKE, _unique)):
        if target not in columns or target in taken:
            continue
        for index in left:
            if index in matched or not pattern.search(key(header[index])):
                continue
            if test(_values(rows, index)):
                taken[target] = index
                matched.add(index)
                matches.append(_Match(index, target, "synonym"))
                break
    return matches, spans


def _unique(values: list[str]) -> bool:
    return bool(values) and len(set(values)) == len(values)


def _names(values: list[str]) -> bool:
    """Text that names things: mostly not numbers, mostly different."""
    return bool(values) and _share(values, lambda v: not re.fullmatch(r"[\d.,\s-]+", v)) \
        >= 0.9 and len(set(values)) >= 0.5 * len(values)


def _addresses(values: list[str]) -> bool:
    from ckanext.tdpf.lib import address as address_
    sample = values[:50]
    return bool(sample) and _share(sample, lambda v: (found := address_.normalize(v))
                                   is not None and bool(found.town or found.rest)) >= 0.6


def coverage(header: list[str], rows: list[list[str]], standard: Standard) -> float:
    """How much of the standard a table's columns give (0..1), the way ``convert`` would
    place them (names, synonyms, values, an address to split): the share of the standard's
    required and recommended columns found, required ones counting double. For a table
    ``lib.standards.conformance.identify`` does not recognise (a local layout)."""
    matches, _ = match_columns(header, rows, standard)
    found = {match.target for match in matches}
    if ADDRESS in found:
        found |= set(ADDRESS_PARTS)
    weights = {"required": 2, "recommended": 1}
    total = sum(weights.get(c.requirement, 0) for c in standard.columns)
    got = sum(weights.get(c.requirement, 0) for c in standard.columns if c.name in found)
    return got / total if total else 0.0


# --- converting -------------------------------------------------------------------------------

class _Log:
    """Changes of the conversion by (rule, message, params), with the cells they touch."""

    def __init__(self) -> None:
        self.changes: dict[tuple, Change] = {}

    def add(self, rule: str, message: str, cell: tuple[int, int] | None = None,
            **params: Any) -> None:
        token = (rule, message, tuple(sorted(params.items())))
        change = self.changes.get(token)
        if change is None:
            change = self.changes[token] = Change(rule, message, "", [], dict(params))
        if cell is not None:
            change.cells.append(cell)
        else:
            change.params["count"] = change.params.get("count", 0) + 1

    def all(self) -> list[Change]:
        return list(self.changes.values())


def _append(existing: str, piece: str) -> str:
    existing = existing.strip()
    if not piece:
        return existing
    if piece in existing:
        return existing
    return f"{existing}{SEPARATOR}{piece}" if existing else piece


def _notes_column(standard: Standard) -> str | None:
    for column in standard.columns:
        if re.search(r"(時間|日時)特記事項$", column.name):
            return column.name
    return None


def convert(header: list[str], rows: list[list[str]], standard: Standard,
            publisher: Publisher | None) -> Converted:
    """The table in the standard's layout; see the module's description."""
    from ckanext.tdpf.lib import address as address_
    from ckanext.tdpf.lib import coordinates

    names = [column.name for column in standard.columns]
    columns = {column.name: column for column in standard.columns}
    position = {name: i for i, name in enumerate(names)}
    matches, spans = match_columns(header, rows, standard)
    matched = {match.source for match in matches}
    unmapped = [header[i] for i in range(len(header)) if i not in matched]
    notes = _notes_column(standard)
    remarks = REMARKS if REMARKS in columns else None
    log = _Log()
    by_target: dict[str, list[_Match]] = collections.defaultdict(list)
    for match in matches:
        by_target[match.target].append(match)

    mapping: list[dict] = []
    for match in sorted(matches, key=lambda m: (position[m.target], m.source)):
        mapping.append({"source": header[match.source], "target": match.target,
                        "how": match.how})
    for index in range(len(header)):
        if index in matched:
            continue
        if _values(rows, index):
            log.add("STD-07", N_("Column {column} has no place in the standard: its values "
                                 "are kept in {target} as 「{column}: value」."),
                    None, column=header[index], target=remarks or "—")
    for target, found in by_target.items():
        how = found[0].how
        if how in ("synonym", "old_layout", "values") and target != LG_NAME:
            log.add("STD-01", N_("Column {source} placed as {target}."), None,
                    source=header[found[0].source], target=target)

    out_rows: list[list[str]] = []
    lgcodes: collections.Counter[str] = collections.Counter()
    filled_targets: set[str] = set()
    split_sources: dict[str, int] = {}
    point_findings: dict[str, Change] = {}
    parked: collections.Counter[int] = collections.Counter()  # values kept aside, by column

    for r, row in enumerate(rows):
        line = r + 1  # the row's line in the prepared CSV (1 = the header)
        row = list(row) + [""] * (len(header) - len(row))
        out = {name: "" for name in names}
        extra_notes: list[str] = []
        extra_remarks: list[str] = []

        def cell(index: int) -> tuple[int, int]:
            return (line, index)

        def park(index: int, value: str, target: str | None, to_notes: bool = False) -> None:
            """A value that has no place in its column's format kept as 「列名: 値」 in the
            notes column (times) or in 備考."""
            piece = f"{header[index]}: {value}"
            parked[index] += 1
            if to_notes and notes:
                extra_notes.append(piece)
            else:
                extra_remarks.append(piece)
            log.add("STD-07", N_("Values that cannot be written in the format of {target} "
                                 "kept in {place} ({count} cells)."), cell(index),
                    target=target or "—",
                    place=notes if to_notes and notes else (remarks or "—"))

        # mapped columns
        for target, found in by_target.items():
            column = columns[target]
            if target == LG_NAME:
                parts = [row[m.source].strip() for m in found if row[m.source].strip()]
                joined = ""
                for part in parts:
                    if part not in joined:
                        joined += part
                out[target] = joined
                continue
            match = found[0]
            value = row[match.source].strip()
            if not value:
                continue
            if match.source in spans:
                if target != spans[match.source]:
                    continue
                span = span_of(value)
                start, end = names_of_span(standard)
                if span is None:
                    single = time_of(value)
                    if single is not None:
                        out[start] = single
                        log.add("STD-04", N_("Times written as hh:mm in {target} ({count} "
                                             "cells)."), cell(match.source), target=start)
                    elif notes:
                        extra_notes.append(value)
                        log.add("STD-07", N_("Opening hours that are not a time span kept in "
                                             "{place} ({count} cells)."), cell(match.source),
                                place=notes)
                    else:
                        park(match.source, value, target)
                    continue  # (no notes column: kept in 備考)
                out[start], out[end] = span
                log.add("STD-04", N_("Opening hours split into {start} and {end} (hh:mm; "
                                     "{count} cells)."), cell(match.source), start=start,
                        end=end)
                if re.search(r"[^\d\s:：時分半~〜～\-－―–—ーからまで午前後]", _ascii(value)) and \
                        not span_of(re.sub(r"\s+", "", value)) == ("00:00", "24:00"):
                    # words around the times (「9時～17時（土日は休み）」) kept as written
                    if notes:
                        extra_notes.append(value)
                    else:
                        extra_remarks.append(f"{header[match.source]}: {value}")
                continue
            if target in (LGCODE, LOCATED_LGCODE) or column.format in ("latitude",
                                                                       "longitude"):
                out[target] = value  # checked below, with the rest of the row
                continue
            if column.format == "time":
                span = span_of(value)
                start, end = names_of_span(standard)
                if time_of(value) is None and span is not None and target == start \
                        and end and not row_has(row, by_target.get(end)):
                    out[start], out[end] = span
                    log.add("STD-04", N_("Opening hours split into {start} and {end} "
                                         "(hh:mm; {count} cells)."), cell(match.source),
                            start=start, end=end)
                    continue
            converted = standard_value(column, value)
            if column.format == "phone" and converted is not None and not _accepts(
                    "phone", converted):
                # 「078-803-5921(昼)、078-803-5777(夜)」: the first number in its column,
                # the cell as written in 備考; 「-」: in 備考 only
                park(match.source, value, target)
                converted = first_phone(value) or ""
                out[target] = converted
                continue
            if converted is None:
                park(match.source, value, target, to_notes=column.format == "time")
                continue
            if converted != value:
                log.add("STD-04", N_("Values of {target} written in the standard's form "
                                     "({count} cells)."), cell(match.source), target=target)
            out[target] = converted

        # publisher: 全国地方公共団体コード and 地方公共団体名
        if LGCODE in columns:
            source = by_target.get(LGCODE)
            given = out[LGCODE]
            code = lgcode_of(given, publisher.lgcode if publisher else None) if given else None
            if given and code is None:
                park(source[0].source, given, LGCODE)
                given = ""
            if code and code != given:
                log.add("STD-04", N_("Municipality codes completed with their check digit "
                                     "({count} cells)."), cell(source[0].source))
            if not code and publisher and publisher.lgcode:
                code = publisher.lgcode
                filled_targets.add(LGCODE)
            out[LGCODE] = code or ""
        if LG_NAME in columns:
            given = out[LG_NAME]
            name = (publisher.name if publisher and publisher.name else None)
            if name is None and out.get(LGCODE):
                found = publisher_of(out[LGCODE])
                name = found.name if found else None
            if name and given and given != name:
                if given not in name:
                    extra_remarks.append(f"{LG_NAME}: {given}")
                    for m in by_target[LG_NAME]:
                        log.add("STD-07", N_("Values that cannot be written in the format "
                                             "of {target} kept in {place} ({count} "
                                             "cells)."),
                                cell(m.source), target=LG_NAME, place=remarks or "—")
            if name and given != name:
                filled_targets.add(LG_NAME)
            out[LG_NAME] = name or given
        home = out.get(LGCODE) or (publisher.lgcode if publisher else None)

        # address: 所在地_連結表記 normalized and split, 所在地_全国地方公共団体コード from it
        if ADDRESS in columns:
            text = out[ADDRESS]
            parts_given = {part: out[part] for part in ADDRESS_PARTS + (BUILDING,)
                           if part in out}
            if not text and any(parts_given.get(part) for part in ADDRESS_PARTS):
                text = "".join(parts_given.get(part, "") for part in ADDRESS_PARTS)
                building = parts_given.get(BUILDING, "")
                if building:
                    text += "\u3000" + building
                filled_targets.add(ADDRESS)
            found = address_.normalize(text, default_lgcode=home) if text else None
            postal = POSTAL_IN_ADDRESS.match(_ascii(text)) if found is not None else None
            if postal and postal.group(1) not in found.text:
                # 「〒150-0041 渋谷区…」: the code has a column of its own, or goes to 備考
                if POSTAL in out and not out[POSTAL]:
                    out[POSTAL] = postal.group(1)
                else:
                    extra_remarks.append(f"{POSTAL}: {postal.group(1)}")
            if found is not None:
                source = by_target.get(ADDRESS)
                where = cell(source[0].source) if source else None
                if found.text and found.text != out[ADDRESS]:
                    if out[ADDRESS]:
                        log.add("STD-02", N_("Addresses written in the standard's form "
                                             "(prefecture, city, 丁目 in kanji numerals; {count} "
                                             "cells)."),
                                where)
                    out[ADDRESS] = found.text
                elif not out[ADDRESS]:
                    out[ADDRESS] = text
                split = dict(zip(ADDRESS_PARTS + (BUILDING,),
                                 (found.prefecture, found.city, found.town, found.rest,
                                  found.building)))
                for part, value in split.items():
                    if part not in out or not value:
                        continue
                    if part == BUILDING and out[part] and out[part] != value:
                        # the file's own 方書 and a building in the address: both kept
                        given = out[part]
                        out[part] = (given if value in given else value if given in value
                                     else f"{value}\u3000{given}")
                        continue
                    if out[part] != value:
                        if out[part]:
                            # the source's own part: replaced only by the same part in
                            # the standard's form
                            log.add("STD-02", N_("Address parts written in the standard's "
                                                 "form ({count} cells)."),
                                    cell(by_target[part][0].source) if part in by_target
                                    else None)
                        elif source:
                            split_sources[part] = source[0].source
                        out[part] = value
                building = out.get(BUILDING, "")
                if building and building not in out[ADDRESS]:
                    text = out[ADDRESS]
                    if found.building and text.endswith("\u3000" + found.building):
                        text = text[: -len(found.building) - 1]
                    out[ADDRESS] = text + "\u3000" + building
                if LOCATED_LGCODE in columns and found.lgcode:
                    given = lgcode_of(out[LOCATED_LGCODE], home) \
                        if out[LOCATED_LGCODE] else None
                    if not given:
                        filled_targets.add(LOCATED_LGCODE)
                    out[LOCATED_LGCODE] = given or found.lgcode
            elif text and not out[ADDRESS]:
                out[ADDRESS] = text
        if LOCATED_LGCODE in columns and out[LOCATED_LGCODE]:
            code = lgcode_of(out[LOCATED_LGCODE], home)
            if code is None:
                park(by_target[LOCATED_LGCODE][0].source, out[LOCATED_LGCODE],
                     LOCATED_LGCODE)
            out[LOCATED_LGCODE] = code or ""

        # coordinates
        lat_name = next((n for n in names if columns[n].format == "latitude"), None)
        lon_name = next((n for n in names if columns[n].format == "longitude"), None)
        if lat_name and lon_name and (out[lat_name] or out[lon_name]):
            lat_text, lon_text = out[lat_name], out[lon_name]
            place = out.get(LOCATED_LGCODE) or home
            lat, lon, findings = coordinates.fix_point(lat_text, lon_text, place)
            cells = [cell(m.source) for n in (lat_name, lon_name) for m in by_target.get(n, [])]
            for finding in findings:
                change = point_findings.get(finding.code)
                if change is None:
                    change = point_findings[finding.code] = Change(
                        "STD-03", finding.message, "", [], {})
                change.cells.extend(cells)
            for n, before, after in ((lat_name, lat_text, lat), (lon_name, lon_text, lon)):
                if after is None or after == "":
                    if before:
                        source = by_target.get(n)
                        park(source[0].source if source else 0, before, n)
                    out[n] = ""
                    continue
                if not _accepts(columns[n].format, after):
                    source = by_target.get(n)
                    park(source[0].source if source else 0, before, n)
                    out[n] = ""
                    continue
                out[n] = after

        # what has no column: 備考
        for index in range(len(header)):
            if index in matched:
                continue
            value = row[index].strip()
            if value:
                extra_remarks.append(f"{header[index]}: {value}")
        if notes and extra_notes:
            for piece in extra_notes:
                out[notes] = _append(out[notes], piece)
        if remarks:
            for piece in extra_remarks:
                out[remarks] = _append(out[remarks], piece)
        if out.get(LGCODE):
            lgcodes[out[LGCODE]] += 1
        out_rows.append([out[name] for name in names])

    _fill_ids(out_rows, names, publisher, log,
              by_target["ID"][0].source if by_target.get("ID") else None)
    for part, source in split_sources.items():
        mapping.append({"source": header[source], "target": part, "how": "split"})
    for target in sorted(filled_targets, key=lambda n: position[n]):
        if not any(m["target"] == target for m in mapping):
            mapping.append({"source": None, "target": target, "how": "filled",
                            "from": FILLED_FROM.get(target, "publisher")})
    if "ID" in position and not any(m["target"] == "ID" for m in mapping):
        mapping.append({"source": None, "target": "ID", "how": "filled",
                        "from": "row_content"})
    for target in filled_targets:
        log.add("STD-05", N_("{target} filled in (from the publisher or the address)."),
                None, target=target)
    for item in mapping:  # a mapped column whose values did not all fit: how many went
        index = header.index(item["source"]) if item["source"] in header else None
        if index is not None and parked[index] and item["how"] != "split":
            item["kept_aside"] = parked[index]
    mapping.sort(key=lambda m: (position[m["target"]],
                                header.index(m["source"]) if m["source"] in header else -1))

    code = publisher.lgcode if publisher and publisher.lgcode else (
        lgcodes.most_common(1)[0][0] if lgcodes else None)
    name = standard_file_name(standard, code) if code else f"{standard.id}.csv"
    before = conformance_.check(standard, list(header), [list(row) for row in rows])
    after = conformance_.check(standard, list(names), out_rows)
    changes = log.all() + list(point_findings.values())
    return Converted(names, out_rows, [r + 1 for r in range(len(rows))], mapping, unmapped,
                     changes, before, after, name)


def names_of_span(standard: Standard) -> tuple[str, str]:
    times = [column.name for column in standard.columns if column.format == "time"]
    return (times[0], times[1]) if len(times) >= 2 else (times[0], "") if times else ("", "")


def row_has(row: list[str], found: list[_Match] | None) -> bool:
    return bool(found) and bool(row[found[0].source].strip())


def _fill_ids(rows: list[list[str]], names: list[str], publisher: Publisher | None,
              log: _Log, source: int | None) -> None:
    """IDs for rows without one, from their content, and an ID the file repeats made unique
    (see the module's description); ``source``: the ID's column in the source."""
    if "ID" not in names:
        return
    at = names.index("ID")
    parts = [names.index(n) for n in ("名称", ADDRESS, BUILDING, "設置位置", "緯度", "経度",
                                      "種別") if n in names]
    taken = collections.Counter(row[at] for row in rows if row[at])
    seen: collections.Counter[str] = collections.Counter()
    code_at = names.index(LGCODE) if LGCODE in names else None
    for line, row in enumerate(rows, start=1):
        if row[at]:
            seen[row[at]] += 1
            if seen[row[at]] > 1:
                value = row[at]
                while f"{value}-{seen[value]}" in taken:
                    seen[value] += 1
                row[at] = f"{value}-{seen[value]}"
                taken[row[at]] += 1
                log.add("STD-06", N_("IDs the file repeats made unique with -2, -3… "
                                     "({count} cells)."),
                        (line, source) if source is not None else None)
            continue
        digest = hashlib.sha1("\x1f".join(row[i] for i in parts).encode()).hexdigest()[:8]
        prefix = (row[code_at] if code_at is not None and row[code_at] else
                  (publisher.lgcode if publisher and publisher.lgcode else "")) or "ID"
        value = f"{prefix}-{digest.upper()}"
        seen[value] += 1
        row[at] = value if seen[value] == 1 else f"{value}-{seen[value]}"
        log.add("STD-06", N_("IDs made from each row's name, address and place, the file "
                             "having none ({count} rows)."), None)
