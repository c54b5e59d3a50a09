"""Latitude and longitude: read (decimal or degrees-minutes-seconds), checked, fixed.

Each check is a finding, checked offline against the bundled national list, which has each
municipality's point (its office): swapped latitude/longitude, a point outside Japan, a point
implausibly far from the municipality. How far is implausible depends on the municipality:
Tokyo's special wards are small, a city can be 100 km across, and a few island villages
reach hundreds of kilometres (小笠原村 holds 沖ノ鳥島 and 南鳥島; 十島村 is run from
鹿児島市). A point is always checked against its municipality, never its prefecture's
office: Tokyo's islands are far from 東京都's.

``PointFinding.message`` is a msgid (English, marked with ``N_``, translated where shown,
the same for every point so that findings of a kind add up); ``detail`` and ``params`` say
what was found for this point, ``bilingual`` gives both languages of the detail.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import math
import re
import unicodedata
from typing import Any

from ckanext.tdpf.lib import address, municipalities
from ckanext.tdpf.lib.i18n import N_, bilingual

# Japan, with its farthest islands: 沖ノ鳥島 20.4°N, 択捉島 45.6°N, 与那国島 122.9°E,
# 南鳥島 154.0°E.
LAT_RANGE = (20.0, 46.0)
LON_RANGE = (122.0, 154.0)

MESSAGES = {
    "dms": N_("Coordinates in degrees, minutes and seconds converted to decimal degrees"),
    "cleaned": N_("Coordinates rewritten in half-width digits"),
    "swapped": N_("Latitude and longitude were the wrong way round; swapped back"),
    "looks_swapped": N_("Latitude and longitude look the wrong way round"),
    "outside_japan": N_("Coordinates outside Japan (to be checked)"),
    "far": N_("Coordinates far from the municipality of the address (to be checked)"),
    "far_from_town": N_("Coordinates far from the town (町字) of the address (to be checked)"),
    "unreadable": N_("Coordinates that are not numbers (left as they were)"),
    "incomplete": N_("Only one of latitude and longitude given"),
    "geocoded": N_("Coordinates filled in from the address by the site's geocoder"),
}
DETAILS = {
    "dms": N_("{before} read as {after}"),
    "cleaned": N_("{before} read as {after}"),
    "swapped": N_("latitude {lat}, longitude {lon}"),
    "looks_swapped": N_("latitude {lat}, longitude {lon}"),
    "outside_japan": N_("latitude {lat}, longitude {lon} is not in Japan"),
    "far": N_("latitude {lat}, longitude {lon} is {distance} km from {municipality}'s "
              "office (more than {limit} km)"),
    "far_from_town": N_("latitude {lat}, longitude {lon} is {distance} km from {town} "
                        "(more than {limit} km)"),
    "unreadable": N_("{value} is not a latitude or longitude"),
    "incomplete": N_("latitude {lat}, longitude {lon}"),
    "geocoded": N_("{address} located at latitude {lat}, longitude {lon}"),
}
# The farthest a point may be from the municipality's office, in km, by kind.
SPECIAL_WARD_KM = 15  # 東京都の特別区
DESIGNATED_WARD_KM = 40  # 政令市の区 (静岡市葵区 reaches far into the mountains)
CITY_KM = 50
TOWN_KM = 40  # 町, 村
# Municipalities of scattered islands, or run from an office outside them.
WIDE_KM = {"134210": 1300,  # 小笠原村: 父島 to 南鳥島
           "463043": 350,  # 十島村 (office in 鹿児島市)
           "463035": 150,  # 三島村 (office in 鹿児島市)
           "473812": 80,  # 竹富町 (office in 石垣市): 波照間島
           "472077": 200}  # 石垣市: 尖閣諸島
# Inside the box but farther than this from every municipality's office (and its limit):
# the sea or a neighbouring country (Seoul, Jeju, Vladivostok are inside the box).
OFFSHORE_KM = 150
# 北方領土 (歯舞群島, 色丹島, 国後島, 択捉島): Japan's, without a municipality in the list.
NORTHERN_TERRITORIES = ((43.2, 45.7), (145.5, 149.0))
# The farthest a point may be from its town's representative point (Tokyo's town list), km:
# a 丁目 is at most a few hundred metres across, reclaimed land's a kilometre or two; an 大字
# of the mountains is far larger.
CHOME_KM = 2.5
WARD_TOWN_KM = 3
TOWN_AREA_KM = 10
EARTH_KM = 6371.0


@dataclasses.dataclass
class PointFinding:
    code: str  # "dms" | "cleaned" | "swapped" | "looks_swapped" | "outside_japan" | "far"
    #            | "far_from_town" | "unreadable" | "incomplete" | "geocoded"
    message: str  # msgid: the same for every point of this kind
    detail: str = ""  # msgid with {placeholders} filled from params: this point
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def bilingual(self) -> str:
        """``"日本語 / English"`` of the kind and this point's detail."""
        text = bilingual(self.message)
        if self.detail:
            text += " — " + bilingual(self.detail, **self.params)
        return text


def _finding(code: str, **params: Any) -> PointFinding:
    return PointFinding(code, MESSAGES[code], DETAILS[code], params)


_HEMISPHERE = re.compile(r"^(北緯|南緯|東経|西経|[NSEW])\s*|\s*([NSEW])$", re.IGNORECASE)
_DMS = re.compile(
    r"^(?P<d>\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*['分]\s*"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|''|秒)?)?)?$")
_COLONS = re.compile(r"^(?P<d>\d+):(?P<m>\d+(?:\.\d+)?)(?::(?P<s>\d+(?:\.\d+)?))?$")
_DOTS = re.compile(r"^(?P<d>\d+)\.(?P<m>\d+)\.(?P<s>\d+(?:\.\d+)?)$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)°?$")


def _read(value: Any) -> tuple[float | None, str]:
    """(degrees, how it was written: "decimal" | "dms" | "")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), "decimal") if math.isfinite(value) else (None, "")
    if not isinstance(value, str):
        return None, ""
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.sub(r"[′’‘´`]", "'", text)
    text = re.sub(r"[″”“]", '"', text).replace("''", '"')
    sign = 1.0
    hemisphere = _HEMISPHERE.search(text)
    if hemisphere:
        letter = (hemisphere.group(1) or hemisphere.group(2) or "").upper()
        if letter in ("S", "W", "南緯", "西経"):
            sign = -1.0
        text = _HEMISPHERE.sub("", text).strip()
    if not text or len(text) > 40:
        return None, ""
    if _DECIMAL.match(text):
        number = float(text.rstrip("°"))
        return (sign * number, "decimal") if math.isfinite(number) else (None, "")
    if text.startswith("-"):
        sign, text = -sign, text[1:].strip()
    for pattern in (_DMS, _COLONS, _DOTS):
        match = pattern.match(text)
        if match:
            degrees = float(match.group("d"))
            minutes = float(match.group("m") or 0)
            seconds = float(match.group("s") or 0)
            if minutes >= 60 or seconds >= 60:
                return None, ""
            if (match.group("m") is None or "." in match.group("m")) and match.group("s"):
                return None, ""
            return sign * (degrees + minutes / 60 + seconds / 3600), "dms"
    return None, ""


def parse(value: str) -> float | None:
    """Degrees from a decimal (``35.658``, ``３５．６５８``, ``N35.658``) or a degrees-minutes-
    seconds text (``35°39'29.1"N``, ``北緯35度39分29.1秒``, ``35:39:29.1``, ``139.41.12``)."""
    return _read(value)[0]


def _in_box(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def in_japan(lat: float, lon: float) -> bool:
    """In Japan's box and near some municipality (or in the 北方領土)."""
    if not _in_box(lat, lon):
        return False
    (lat_low, lat_high), (lon_low, lon_high) = NORTHERN_TERRITORIES
    if lat_low <= lat <= lat_high and lon_low <= lon <= lon_high:
        return True
    return _near_a_municipality(round(lat, 3), round(lon, 3))


@functools.lru_cache(maxsize=4096)
def _near_a_municipality(lat: float, lon: float) -> bool:
    for place in _places().values():
        reach = max(place.limit_km, OFFSHORE_KM)
        if abs(place.lat - lat) * 111 > reach:  # a degree of latitude is 111 km
            continue
        if distance_km(lat, lon, place.lat, place.lon) <= reach:
            return True
    return False


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclasses.dataclass(frozen=True)
class _Place:
    code: str
    name: str  # 渋谷区, 横浜市中区
    prefecture: str
    lat: float
    lon: float
    limit_km: float


@functools.lru_cache(maxsize=1)
def _places() -> dict[str, _Place]:
    rows = []
    with municipalities.DATA.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    designated = {row["city"].split(" ")[0] + row["pref"] for row in rows if " " in row["city"]}
    places = {}
    for row in rows:
        try:
            lat, lon = float(row["lat"]), float(row["lng"])
        except ValueError:
            continue
        code, name = row["lgcode"].zfill(6), row["city"]
        if code in WIDE_KM:
            limit = WIDE_KM[code]
        elif " " in name:
            limit = DESIGNATED_WARD_KM
        elif row["pref"] == "東京都" and name.endswith("区"):
            limit = SPECIAL_WARD_KM
        elif name.endswith("市") or name + row["pref"] in designated:
            limit = CITY_KM
        else:
            limit = TOWN_KM
        places[code] = _Place(code, name.replace(" ", ""), row["pref"], lat, lon, limit)
    return places


def _far(lat: float, lon: float, lgcode: str | None) -> PointFinding | None:
    entry = municipalities.lookup(lgcode or "")
    if entry is None:
        return None
    places = _places()
    if municipalities.is_prefecture(entry.code):
        members = [p for p in places.values() if p.prefecture == entry.prefecture]
        if not members:
            return None
        nearest = min(members, key=lambda p: distance_km(lat, lon, p.lat, p.lon) - p.limit_km)
        distance = distance_km(lat, lon, nearest.lat, nearest.lon)
        if distance <= nearest.limit_km:
            return None
        return _finding("far", lat=lat, lon=lon, distance=round(distance, 1),
                        municipality=nearest.name, limit=nearest.limit_km)
    place = places.get(entry.code)
    if place is None:
        return None
    distance = distance_km(lat, lon, place.lat, place.lon)
    if distance <= place.limit_km:
        return None
    return _finding("far", lat=lat, lon=lon, distance=round(distance, 1),
                    municipality=place.name, limit=place.limit_km)


def _far_from_town(lat: float, lon: float, lgcode: str | None,
                   town: str | None) -> PointFinding | None:
    point = address.town_point(lgcode, town or "")
    if point is None:
        return None
    if re.search(r"丁目$", town or ""):
        limit = CHOME_KM
    elif (lgcode or "").startswith("131"):  # a special ward's town without 丁目
        limit = WARD_TOWN_KM
    else:
        limit = TOWN_AREA_KM
    distance = distance_km(lat, lon, *point)
    if distance <= limit:
        return None
    return _finding("far_from_town", lat=lat, lon=lon, distance=round(distance, 1),
                    town=town, limit=limit)


def check_point(lat: float, lon: float, lgcode: str | None,
                town: str | None = None) -> list[PointFinding]:
    """What is wrong with a point given for the municipality ``lgcode`` (None: Japan only)
    and, where the bundled town list knows it (Tokyo), the address's town (町字, as
    ``address.normalize`` gives it)."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return [_finding("unreadable", value=f"{lat}, {lon}")]
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return [_finding("unreadable", value=f"{lat}, {lon}")]
    boxed = _in_box(lat, lon)
    far = _far(lat, lon, lgcode) if boxed else None
    # near its own municipality: in Japan without looking for the nearest office
    near_own = boxed and far is None and _known(lgcode)
    if not near_own and not in_japan(lat, lon):
        if in_japan(lon, lat):
            return [_finding("looks_swapped", lat=lat, lon=lon)]
        return [_finding("outside_japan", lat=lat, lon=lon)]
    if far:
        return [far]
    far_from_town = _far_from_town(lat, lon, lgcode, town) if town else None
    return [far_from_town] if far_from_town else []


def _known(lgcode: str | None) -> bool:
    entry = municipalities.lookup(lgcode or "")
    return entry is not None and (municipalities.is_prefecture(entry.code)
                                  or entry.code in _places())


def _decimal_text(value: float) -> str:
    return f"{value:.6f}"


def fix_point(lat_text: str, lon_text: str, lgcode: str | None, town: str | None = None
              ) -> tuple[str, str, list[PointFinding]]:
    """The point's texts fixed where that is certain (DMS converted to decimal degrees,
    full-width digits made half-width, latitude and longitude swapped back), and every
    finding, the fixed and the ones left to a person (outside Japan, far away, unreadable)."""
    lat_text = lat_text if isinstance(lat_text, str) else ("" if lat_text is None
                                                           else str(lat_text))
    lon_text = lon_text if isinstance(lon_text, str) else ("" if lon_text is None
                                                           else str(lon_text))
    if not lat_text.strip() and not lon_text.strip():
        return lat_text, lon_text, []
    if not lat_text.strip() or not lon_text.strip():
        return lat_text, lon_text, [_finding("incomplete", lat=lat_text, lon=lon_text)]
    findings: list[PointFinding] = []
    texts: list[str] = []
    values: list[float] = []
    rewritten: dict[str, list[tuple[str, str]]] = {}
    for text in (lat_text, lon_text):
        value, how = _read(text)
        if value is None:
            findings.append(_finding("unreadable", value=text))
            continue
        values.append(value)
        if how == "dms":
            texts.append(_decimal_text(value))
            rewritten.setdefault("dms", []).append((text, texts[-1]))
            continue
        cleaned = unicodedata.normalize("NFKC", text).strip().rstrip("°").strip()
        cleaned = re.sub(r"^(?:北緯|東経|[NE])\s*|\s*[NE]$", "", cleaned, flags=re.IGNORECASE)
        if not _DECIMAL.match(cleaned):
            cleaned = _decimal_text(value)
        texts.append(cleaned)
        if cleaned != text:
            rewritten.setdefault("cleaned", []).append((text, cleaned))
    if len(values) < 2:
        return lat_text, lon_text, findings
    for code, pairs in rewritten.items():  # one finding of a kind per point
        findings.append(_finding(code, before=", ".join(b for b, _ in pairs),
                                 after=", ".join(a for _, a in pairs)))
    lat, lon = values
    new_lat, new_lon = texts
    if not _in_box(lat, lon) and in_japan(lon, lat):
        findings.append(_finding("swapped", lat=lat, lon=lon))
        lat, lon, new_lat, new_lon = lon, lat, new_lon, new_lat
    findings.extend(check_point(lat, lon, lgcode, town))
    return new_lat, new_lon, findings


def geocoded(address_text: str, point: tuple[float, float], lgcode: str | None,
             town: str | None = None) -> tuple[str, str, list[PointFinding]]:
    """Texts for a point a geocoder gave for ``address_text`` (six decimals, as the standard's
    example), the finding that says so, and what ``check_point`` finds in it."""
    lat, lon = point
    lat_text, lon_text = _decimal_text(lat), _decimal_text(lon)
    findings = [_finding("geocoded", address=address_text, lat=lat_text, lon=lon_text)]
    return lat_text, lon_text, findings + check_point(lat, lon, lgcode, town)
