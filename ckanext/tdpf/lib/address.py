"""Japanese addresses, normalized offline against the bundled national list.

``normalize`` turns an address as municipalities write it (``東京都渋谷区神南1-19-8``,
``渋谷区神南１丁目１９番８号　渋谷ビル１階``, ``神南1-19-8`` in a ward's own file) into the
parts of the 自治体標準オープンデータセット address columns: 所在地_連結表記 (``text``),
所在地_都道府県, 所在地_市区町村 (with 郡 and the 政令市's ward), 所在地_町字,
所在地_番地以下, 建物名等(方書), and the city's 全国地方公共団体コード.

What it changes, following the standard's own example
(``北海道札幌市厚別区青葉町一丁目○-○　○○ビル1階``):

- widths (NFKC: full-width digits and letters to half-width, half-width kana to full-width);
- the many dash characters (and ``ー`` between digits) to ``-``; ``-`` inside katakana to ``ー``;
- 丁目 and 条 numbers to kanji (``1丁目`` → ``一丁目``), numbers after them to digits;
- 番地 forms to ``1-2`` (``1番地2号``, ``1番2号``, ``1の2``, ``十九番八号``);
- a building after the number goes to ``building``, joined to ``text`` by a full-width space.

What it leaves as written: town names holding kanji numerals that are not 丁目 (一番町, 四谷,
六本木, 八王子市), 大字/字. ``a-b-c`` is read as a-丁目 b-c. ``a-b`` is ambiguous (渋谷2-23 is
二丁目23番, 石島18-23 is 18番23号): in Tokyo, the bundled town list (``tokyo-towns.csv``)
says whether the town has that 丁目, and ケ/ヶ/が and ノ/の are spelled as the registry
spells them (千駄ヶ谷 → 千駄ケ谷, 霞ヶ関 → 霞が関); elsewhere they are kept as written.
The 郡 of a 町 or 村 is added from ``gun.csv`` when the address leaves it out.

The city comes from the text (prefecture, city, 郡, ward) or, for an address written without
them, from ``default_lgcode`` (the publishing municipality). A city name without prefecture
is taken in the default's prefecture, else in Tokyo, else where it is unique.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import re
import unicodedata

from ckanext.tdpf.lib import municipalities

# Dashes people type between numbers (after NFKC, which folds － and ｰ).
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\u2500\u2501\ufe58\ufe63\u30fc\uff70]")
_KATAKANA = "\u30a1-\u30fa\u30fc"
_SPACE = re.compile(r"\s+")
_POSTCODE = re.compile(r"^(?:〒|郵便番号[:\s]?)?\s*\d{3}-\d{4}\s*")
_COUNTRY = re.compile(r"^(?:日本国|日本)[\s,、]*")
_KANJI_DIGITS = "〇一二三四五六七八九"
_KANJI_NUMBER = "〇一二三四五六七八九十百千"
_NUM = rf"\d+|[{_KANJI_NUMBER}]+"
_CHOME = re.compile(rf"^(?P<town>.*?)(?P<n>{_NUM})丁目")
_JO = re.compile(r"(?<![\d])(\d+)(?=条)")
_JO_WARI = re.compile(r"第?(\d+)(?=地割)")
# The first place a 番地 can start: a digit, or a kanji number followed by 番/号 (not 番町).
# 麻布十番 and 一番町 are towns: a kanji 番 starts a 番地 only before another kanji number.
_BANCHI_START = re.compile(rf"\d|[{_KANJI_NUMBER}]+(?:番地|番(?=[{_KANJI_NUMBER}])|号)")
_REST_NUM = re.compile(rf"\d+|[{_KANJI_NUMBER}]+(?=番|号|の|-|$)")
# Spaces inside a 番地: "19番 8号", "19 - 8"
_REST_SPACES = re.compile(rf"(?<=[番地号の-])\s+(?=\d|[{_KANJI_NUMBER}]+[番号の-])"
                          rf"|(?<=\d)\s+(?=番|号|-)")
_ROOM = re.compile(r"号室|室|階|F(?![A-Za-z])|f(?![A-Za-z])")
_REST_SEP = re.compile(r"番地の|番地|番の|番|号の|号|の|-")
# What may follow the numbers and still be part of 番地以下 (地先, 前: "in front of").
_REST_SUFFIX = re.compile(r"^(?:地先|先|前|付近|地内|番外|外|横|脇|隣)(?=$|[\s,、(])")
_PHONE = re.compile(r"(?:^|[^\d-])0\d{1,4}-\d{1,4}-\d{3,4}(?:$|[^\d-])")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# After a city: its office (渋谷区役所), the whole of it (渋谷区内), or one of its facilities
# without a number (渋谷区立宮下公園); 内神田 and 立石 are towns.
_NOT_A_PLACE = re.compile(r"^(?:役所|役場)|^(?:内|全域|一円|管内|全体|全般|民|庁)$|^立(?!.*丁目)\D*$")
_FOLD = str.maketrans({"ヶ": "ケ", "ヵ": "ケ", "が": "ケ", "ガ": "ケ", "の": "ノ", "之": "ノ"})
GUN = municipalities.DATA.parent / "gun.csv"
TOKYO_TOWNS = municipalities.DATA.parent / "tokyo-towns.csv"
MAX_LENGTH = 300  # longer is a note or a whole row, not an address
_CHOME_MAX = 60  # a-b-c with a above this is a 番地 (大字 addresses), not a 丁目


@dataclasses.dataclass
class Address:
    text: str  # normalized whole address (所在地_連結表記)
    prefecture: str  # 東京都
    city: str  # 渋谷区 / 八王子市 / 横浜市中区 / 西多摩郡瑞穂町
    town: str  # 町字, e.g. 神南一丁目
    rest: str  # 番地以下, e.g. 19-8
    building: str  # 建物名等(方書)
    lgcode: str | None  # 全国地方公共団体コード of the city (or the prefecture)


@dataclasses.dataclass(frozen=True)
class _City:
    code: str
    prefecture: str
    name: str  # as written in addresses: 渋谷区, 横浜市中区, 瑞穂町
    parent: str | None  # the 政令市's code, for its wards


@functools.lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, list[_City]], dict[str, dict[str, _City]]]:
    """Prefecture names → codes; city names → cities; 政令市 code → its wards by name."""
    prefectures: dict[str, str] = {}
    cities: dict[str, list[_City]] = {}
    wards: dict[str, dict[str, _City]] = {}
    by_name: dict[tuple[str, str], str] = {}
    registry = municipalities.registry()
    for code, entry in registry.items():
        if municipalities.is_prefecture(code):
            prefectures[entry.name] = code
        elif " " not in entry.name:
            by_name[(entry.prefecture, entry.name)] = code
    for code, entry in registry.items():
        if municipalities.is_prefecture(code):
            continue
        if " " in entry.name:  # "札幌市 中央区": a ward of a 政令市
            parent_name, ward = entry.name.split(" ", 1)
            parent = by_name.get((entry.prefecture, parent_name))
            city = _City(code, entry.prefecture, parent_name + ward, parent)
            if parent:
                wards.setdefault(parent, {})[ward] = city
        else:
            city = _City(code, entry.prefecture, entry.name, None)
        cities.setdefault(city.name, []).append(city)
    return prefectures, cities, wards


def to_kanji(number: int) -> str:
    """``23`` → ``二十三`` (the way 丁目 are written in the address registry)."""
    if number == 0:
        return "〇"
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        digit, number = divmod(number, value)
        if digit:
            out += ("" if digit == 1 else _KANJI_DIGITS[digit]) + unit
    return out + (_KANJI_DIGITS[number] if number else "")


def from_kanji(text: str) -> int | None:
    """``十九`` → 19, ``二〇一`` → 201 (digit by digit when there is no 十/百/千)."""
    if not text:
        return None
    if text.isdigit() and text.isascii():
        return int(text)
    if not any(unit in text for unit in "十百千"):
        if any(ch not in _KANJI_DIGITS for ch in text):
            return None
        return int("".join(str(_KANJI_DIGITS.index(ch)) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS.index(ch)
        elif ch in "十百千":
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _number(text: str) -> int | None:
    if len(text) > 12:  # no 番地 is that long
        return None
    return int(text) if text.isdigit() and text.isascii() else from_kanji(text)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub(lambda m: m.group() if m.group() == "ー" else "-", text)
    # ー is a dash only after a digit (2-13ー先); - is a long vowel after katakana (タワ-ズ).
    text = re.sub(r"(?<=\d)ー", "-", text)
    text = re.sub(rf"(?<=[{_KATAKANA}])-", "ー", text)
    return _SPACE.sub(" ", text).strip()


def _match_city(text: str, prefecture: str, default_pref: str
                ) -> tuple[_City, str] | None:
    """The city (with its 郡 or ward) ``text`` starts with, and what follows it.

    With no prefecture written, a city of the default's prefecture is taken, else a 市 or
    区 elsewhere (Tokyo's first when the name is in several prefectures): a 町 or 村 name
    alone (富士見町, 本町) is too often a town's name to be read as a municipality.
    """
    _, cities, wards = _index()
    gun = re.match(r"^([^\s\d]{1,6}?郡)\s*", text)
    attempts = [("", text)] + ([(gun.group(1), text[gun.end():])] if gun else [])
    found: list[tuple[_City, str]] = []
    for gun_name, rest in attempts:
        for length in range(min(len(rest), 12), 1, -1):
            found = [(dataclasses.replace(city, name=gun_name + city.name),
                      rest[length:].lstrip())
                     for city in cities.get(rest[:length], ())
                     if not city.parent
                     and not (gun_name and not city.name.endswith(("町", "村")))
                     and not (prefecture and city.prefecture != prefecture)]
            if found and not prefecture:
                local = [f for f in found if f[0].prefecture == default_pref]
                if local:
                    found = local
                else:
                    found = [f for f in found if f[0].name.endswith(("市", "区"))]
                    found = [f for f in found if f[0].prefecture == "東京都"] or found
            if len(found) > 1:
                return None  # the same name in several prefectures, none preferred
            if found:
                break
        if found:
            break
    if not found:
        return None
    city, after = found[0]
    city = _with_gun(city)
    for ward_name, ward in wards.get(city.code, {}).items():
        if after.startswith(ward_name):
            return ward, after[len(ward_name):].lstrip()
    return city, after


def _default_city(default_lgcode: str | None) -> tuple[str, _City | None]:
    """The default's prefecture name and city (None for a prefecture's code)."""
    entry = municipalities.lookup(default_lgcode or "")
    if entry is None:
        return "", None
    if municipalities.is_prefecture(entry.code):
        return entry.prefecture, None
    _, cities, _ = _index()
    name = entry.name.replace(" ", "")
    city = next((c for c in cities.get(name, ()) if c.code == entry.code), None)
    if city:
        city = _with_gun(city)
    return entry.prefecture, city


@functools.lru_cache(maxsize=1)
def _gun() -> dict[tuple[str, str], str]:
    """(prefecture, 町 or 村) → its 郡, which the national list leaves out."""
    with GUN.open(encoding="utf-8", newline="") as stream:
        return {(row["prefecture"], row["name"]): row["gun"] for row in csv.DictReader(stream)}


def _with_gun(city: _City) -> _City:
    gun = _gun().get((city.prefecture, city.name))
    return dataclasses.replace(city, name=gun + city.name) if gun else city


def _town_key(town: str) -> str:
    """What two spellings of one town share: without 大字, ケ for ヶ and が (霞ヶ関,
    霞が関), ノ for の and 之 (虎の門, 虎ノ門)."""
    return town.removeprefix("大字").translate(_FOLD)


@functools.lru_cache(maxsize=1)
def _town_rows() -> dict[str, dict[str, tuple[str, float | None, float | None]]]:
    """Tokyo's 町字 by municipality code: key → (the registry's spelling without 大字,
    latitude, longitude of its representative point)."""
    towns: dict[str, dict[str, tuple[str, float | None, float | None]]] = {}
    with TOKYO_TOWNS.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["town"].startswith("（"):  # （大字なし）: an island without towns
                continue
            lat = float(row["lat"]) if row["lat"] else None
            lng = float(row["lng"]) if row["lng"] else None
            towns.setdefault(row["lgcode"], {})[_town_key(row["town"])] = (
                row["town"].removeprefix("大字"), lat, lng)
    return towns


@functools.lru_cache(maxsize=1)
def _towns() -> dict[str, dict[str, str]]:
    """Tokyo's 町字 by municipality code: key → the registry's spelling (without 大字)."""
    return {code: {key: row[0] for key, row in towns.items()}
            for code, towns in _town_rows().items()}


def town_point(lgcode: str | None, town: str) -> tuple[float, float] | None:
    """The representative point of a town of the bundled list (Tokyo), or None."""
    row = _town_rows().get(lgcode or "", {}).get(_town_key(town or ""))
    if row is None or row[1] is None or row[2] is None:
        return None
    return row[1], row[2]


def _registered(town: str, towns: dict[str, str] | None) -> str | None:
    """``town`` as the registry spells it (ケ/ヶ/が, ノ/の; 大字 as written), None if not
    there."""
    if not towns or not town:
        return None
    found = towns.get(_town_key(_kanji_town(town)))
    if found is None:
        return None
    return ("大字" if town.startswith("大字") else "") + found


def _kanji_town(town: str) -> str:
    town = _JO.sub(lambda m: to_kanji(int(m.group(1))), town)
    town = _JO_WARI.sub(lambda m: ("第" if m.group().startswith("第") else "")
                        + to_kanji(int(m.group(1))), town)
    return town.replace(" ", "")


def _split_rest(text: str) -> tuple[list[int], str, bool, str]:
    """Numbers of a 番地 part, the first separator, whether a dash dangles, what follows."""
    parts: list[int] = []
    first_sep = ""
    dangling = False
    pos = 0
    while (m := _REST_NUM.match(text, pos)):
        value = _number(m.group())
        if value is None or _ROOM.match(text, m.end()):
            break  # 101号室, 3階, 3F: the building's, not the 番地's
        parts.append(value)
        pos = m.end()
        sep = _REST_SEP.match(text, pos)
        if not sep:
            break
        if len(parts) == 1:
            first_sep = sep.group()
        if sep.group() == "号":
            pos = sep.end()
            break
        if not _REST_NUM.match(text, sep.end()):
            if sep.group() in ("番地", "番"):
                pos = sep.end()
            elif sep.group() == "-":
                dangling = True
                pos = sep.end()
            break
        pos = sep.end()
    return parts, first_sep, dangling, text[pos:]


def _town_and_rest(text: str, lgcode: str | None = None) -> tuple[str, str, str]:
    """町字, 番地以下 and 建物名等 of what follows the city (of ``lgcode``: with Tokyo's town
    list, ``a-b`` is read as a 丁目 when the town has that 丁目 and the town is spelled as the
    registry spells it)."""
    towns = _towns().get(lgcode or "")
    text = text.strip()
    chome = _CHOME.match(text)
    chome_number = _number(chome.group("n")) if chome else None
    if chome and chome_number is not None and chome.group("town").strip():
        town = chome.group("town").strip() + to_kanji(chome_number) + "丁目"
        after = text[chome.end():].lstrip(" -")
        has_chome = True
    else:
        start = _BANCHI_START.search(text)
        if not start:
            town, _, building = text.partition(" ")
            town = _registered(town, towns) or town
            return _kanji_town(town), "", building.strip()
        town, after = text[:start.start()].strip(), text[start.start():]
        has_chome = bool(re.search(r"丁目$|[条線]$|地割$", town))
    after = _REST_SPACES.sub("", after)
    parts, first_sep, dangling, left_raw = _split_rest(after)
    if not has_chome and town and first_sep == "-" and 0 < parts[0] <= _CHOME_MAX:
        with_chome = town + to_kanji(parts[0]) + "丁目"
        if _registered(with_chome, towns) and not (
                town.startswith("大字") and _registered(town, towns)):
            # a town being renumbered has both (日野市 大字新井 and 新井一丁目): 大字 says which
            chome_here = len(parts) >= 2 or dangling
        elif _registered(town, towns):
            chome_here = False
        else:
            chome_here = len(parts) + dangling >= 3
        if chome_here:
            town, parts = with_chome, parts[1:]
    town = _registered(town, towns) or town
    rest = "-".join(str(p) for p in parts)
    left = left_raw.strip()
    suffix = _REST_SUFFIX.match(left)
    if suffix:
        # 23番地先 stays so (23先 would lose what 先 is in front of)
        consumed = after[:len(after) - len(left_raw)]
        rest += ("番地" if consumed.endswith("番地") and suffix.group() == "先" else ""
                 ) + suffix.group()
        left = left[suffix.end():].strip()
    building = left.lstrip(",、 ").strip()
    return _kanji_town(town), rest, building


def normalize(text: str, default_lgcode: str | None = None) -> Address | None:
    """The parts of ``text`` as an address, or None when it is not one."""
    try:
        return _normalize(text, default_lgcode)
    except Exception:  # noqa: BLE001 - garbage in, no address out, never an error
        return None


def _normalize(text: str, default_lgcode: str | None) -> Address | None:
    if not isinstance(text, str):
        return None
    cleaned = _COUNTRY.sub("", _POSTCODE.sub("", _clean(text)))
    if not cleaned or len(cleaned) > MAX_LENGTH or not re.search(
            r"[\u3040-\u30ff\u3400-\u9fff\d]", cleaned):
        return None
    prefectures, _, _ = _index()
    default_pref, default_city = _default_city(default_lgcode)
    prefecture = next((p for p in prefectures if cleaned.startswith(p)), "")
    prefecture_written = bool(prefecture)
    after = cleaned[len(prefecture):].lstrip()
    matched = _match_city(after, prefecture, default_pref or prefecture)
    city: _City | None = None
    if matched:
        city, after = matched
        if prefecture and city.prefecture != prefecture:
            city = None
    elif default_city and (not prefecture or prefecture == default_city.prefecture):
        city = default_city
        # a 政令市 default and a ward written without its city: 中区山下町1
        for ward_name, ward in _index()[2].get(default_city.code, {}).items():
            if after.startswith(ward_name):
                city, after = ward, after[len(ward_name):].lstrip()
                break
    if city is not None:
        prefecture = city.prefecture
    elif not prefecture and default_pref:
        prefecture = default_pref
    if (after and _NOT_A_PLACE.match(after) and (matched or prefecture_written)
            and not _registered(after, _towns().get(city.code if city else ""))):
        return None
    if _PHONE.search(after):
        return None
    town, rest, building = _town_and_rest(after, city.code if city else None)
    if town and not matched and not prefecture_written and not _JAPANESE.search(town):
        return None  # "TEL 3-…", "No.12": nothing of a Japanese place
    if not (city or prefecture or rest or re.search(f"[{_KANJI_NUMBER}]丁目$", town)):
        return None
    if not (town or rest or building or city or prefecture_written):
        return None
    lgcode = city.code if city else prefectures.get(prefecture)
    whole = f"{prefecture}{city.name if city else ''}{town}{rest}"
    if building:
        whole += "\u3000" + building
    return Address(text=whole, prefecture=prefecture, city=city.name if city else "",
                   town=town, rest=rest, building=building, lgcode=lgcode)
