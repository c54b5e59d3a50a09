"""The TDPF vocabularies (SPEC §1) and the normalizers that map what catalogs publish onto them.

Machine values are ASCII snake_case; labels are ``(ja, en)``. The schema plugin validates
against these, the harvest plugin normalizes into them, so both agree by construction.
"""
from __future__ import annotations

import functools
import json
import pathlib
import re
import unicodedata

Labels = dict[str, tuple[str, str]]

PROVIDER_TYPES: Labels = {
    "metropolitan_government": ("東京都", "Tokyo Metropolitan Government"),
    "municipality": ("区市町村", "Municipality"),
    "national_government": ("国", "National government"),
    "public_agency": ("公的機関", "Public agency"),
    "utility": ("公益事業者", "Utility"),
    "private_company": ("民間企業", "Private company"),
    "academic": ("大学・研究機関", "University or research institute"),
    "npo": ("NPO等", "NPO"),
    "individual": ("個人", "Individual"),
}
GOVERNMENT_PROVIDER_TYPES = frozenset(
    {"metropolitan_government", "municipality", "national_government", "public_agency"})

THEMES: Labels = {
    "disaster_prevention": ("防災・災害計画", "Disaster prevention"),
    "public_safety": ("治安", "Public safety"),
    "urban_development": ("まちづくり", "Urban development"),
    "population_aging": ("人口減少・少子高齢化", "Population decline and aging"),
    "medical_welfare": ("医療・福祉", "Medical care and welfare"),
    "daily_life": ("生活", "Daily life"),
    "tax": ("税金", "Tax"),
    "tourism": ("観光", "Tourism"),
    "olympics_paralympics": ("オリンピック・パラリンピック", "Olympics and Paralympics"),
    "arts_culture": ("芸術文化", "Arts and culture"),
    "industry_employment": ("産業雇用創出", "Industry and employment"),
    "environment": ("環境", "Environment"),
    "transport": ("交通情報", "Transport"),
    "other": ("その他", "Other"),
}
# The Tokyo catalog's groups c001–c014 are the 13 priority fields and その他, in this order.
TOKYO_GROUP_THEMES = {f"c{number:03d}": theme for number, theme in enumerate(THEMES, 1)}

FREQUENCIES: Labels = {
    "continuous": ("随時", "Continuous"),
    "daily": ("毎日", "Daily"),
    "weekly": ("毎週", "Weekly"),
    "monthly": ("毎月", "Monthly"),
    "quarterly": ("四半期ごと", "Quarterly"),
    "semiannual": ("半年ごと", "Semiannual"),
    "annual": ("毎年", "Annual"),
    "irregular": ("不定期", "Irregular"),
    "once": ("公開時のみ", "Once (on publication)"),
    "none": ("更新なし", "Not updated"),
}

DISTRIBUTIONS: Labels = {
    "open": ("オープンデータ", "Open data"),
    "shared": ("シェアードデータ（利用条件付き）", "Shared data (conditional use)"),
}

LICENSE_TIERS: Labels = {
    "open": ("オープン", "Open"),
    "restricted": ("利用制限あり", "Restricted"),
    "conditional": ("条件付き", "Conditional"),
    "paid": ("有償", "Paid"),
}
TIERS_BY_DISTRIBUTION = {"open": ("open", "restricted"), "shared": ("conditional", "paid")}

PRICE_UNITS: Labels = {
    "per_grant": ("利用承認ごと", "Per grant"),
    "per_month": ("月額", "Per month"),
    "per_year": ("年額", "Per year"),
}

USER_TYPES: Labels = {
    "government": ("行政機関", "Government"),
    "company": ("企業", "Company"),
    "sme": ("中小企業", "SME"),
    "startup": ("スタートアップ", "Startup"),
    "entrepreneur": ("起業家", "Entrepreneur"),
    "academic": ("大学・研究機関", "University or research institute"),
    "npo": ("NPO等", "NPO"),
    "individual": ("個人", "Individual"),
}
DEFAULT_FEE_EXEMPT_USER_TYPES = ("sme", "startup", "entrepreneur", "npo")

PURPOSES: Labels = {
    "research": ("研究", "Research"),
    "public_service": ("公共サービス", "Public service"),
    "product_development": ("製品・サービス開発", "Product development"),
    "commercial_service": ("商用サービス", "Commercial service"),
    "education": ("教育", "Education"),
    "journalism": ("報道", "Journalism"),
    "other": ("その他", "Other"),
}

PERSONAL_DATA: Labels = {
    "none": ("個人に関わらないデータ", "Not about individuals"),
    "non_identifying": ("個人情報を含まないパーソナルデータ",
                        "Personal data without personal information"),
    "anonymized": ("匿名加工等の加工済みパーソナルデータ", "Anonymized personal data"),
    "personal_information": ("個人情報を含む", "Contains personal information"),
}
PERSONAL_DATA_STAGE = {"none": 1, "non_identifying": 2, "anonymized": 2,
                       "personal_information": 3}

STORAGE_LOCATIONS: Labels = {
    "japan": ("日本国内", "Japan"),
    "equivalent_country": ("日本と同等の水準の国", "A country with an equivalent level"),
}

LICENSES_FILE = pathlib.Path(__file__).parent / "data" / "licenses.json"


@functools.cache
def _license_register() -> str:
    return LICENSES_FILE.read_text(encoding="utf-8")


def licenses() -> list[dict]:
    """The TDPF licence register, in CKAN's ``licenses_group_url`` format plus a tier (a
    new copy each time; the file is read once: every schema build asks for it)."""
    return json.loads(_license_register())


LICENSE_TIER = {entry["id"]: entry["tdpf_tier"] for entry in licenses()}
LICENSE_TITLES: Labels = {entry["id"]: (entry["title"], entry["title"])
                          for entry in licenses()}

# --- normalizers -------------------------------------------------------------------------

_LICENSE_ALIASES = {
    "cc-by": "CC-BY-4.0", "cc-by-4.0": "CC-BY-4.0", "ccby4.0": "CC-BY-4.0",
    "cc by 4.0": "CC-BY-4.0", "cc-by-2.1": "CC-BY-2.1-JP", "cc-by-2.1-jp": "CC-BY-2.1-JP",
    "cc0": "CC0-1.0", "cc-zero": "CC0-1.0", "cc0-1.0": "CC0-1.0", "odc-pddl": "CC0-1.0",
    "pdl": "PDL-1.0", "pdl1.0": "PDL-1.0", "pdl-1.0": "PDL-1.0",
    "gstou": "GSTOU-2.0", "gstou-2.0": "GSTOU-2.0", "gstou2.0": "GSTOU-2.0",
    "cc-by-sa": "CC-BY-SA-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "odc-odbl": "ODbL-1.0",
    "odbl": "ODbL-1.0", "odbl-1.0": "ODbL-1.0",
    "cc-nc": "CC-BY-NC-4.0", "cc-by-nc": "CC-BY-NC-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0",
    "cc-by-nc-sa": "CC-BY-NC-SA-4.0", "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
    "cc-by-nd": "CC-BY-ND-4.0", "cc-by-nd-4.0": "CC-BY-ND-4.0",
    "cc-by-nc-nd": "CC-BY-NC-ND-4.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0",
    "other-at": "own-terms", "other-open": "own-terms", "other-nc": "own-terms",
    "other-closed": "own-terms", "own-terms": "own-terms",
}


def normalize_license(value: str | None) -> str | None:
    """A register id for what a catalog calls its licence (an id, a URL or a Japanese
    title such as 「クリエイティブ・コモンズ 表示（CC BY）」), or None when unknown."""
    if not value:
        return None
    if value in LICENSE_TIER:
        return value
    key = unicodedata.normalize("NFKC", value).strip().lower().replace("_", "-")
    key = re.sub(r"\s+", " ", key)
    found = _LICENSE_ALIASES.get(key) or _LICENSE_ALIASES.get(key.replace(" ", "-"))
    return found or _license_from_title(key)


def _license_from_title(text: str) -> str | None:
    if "cc0" in text or "publicdomain/zero" in text or "パブリック・ドメイン" in text:
        return "CC0-1.0"
    if "公共データ利用規約" in text or re.search(r"\bpdl", text):
        return "PDL-1.0"
    if "政府標準利用規約" in text:
        return "GSTOU-2.0"
    if "odbl" in text or "open database license" in text:
        return "ODbL-1.0"
    if not re.search(r"creative ?commons|クリエイティブ・?コモンズ|\bcc[ -]?by|licenses/by", text):
        return None
    nc = bool(re.search(r"非営利|\bnc\b|-nc", text))
    nd = bool(re.search(r"改変禁止|\bnd\b|-nd", text))
    sa = bool(re.search(r"継承|\bsa\b|-sa", text))
    if nc and nd:
        return "CC-BY-NC-ND-4.0"
    if nc:
        return "CC-BY-NC-SA-4.0" if sa else "CC-BY-NC-4.0"
    if nd:
        return "CC-BY-ND-4.0"
    if sa:
        return "CC-BY-SA-4.0"
    return "CC-BY-2.1-JP" if "2.1" in text else "CC-BY-4.0"


_FORMAT_ALIASES = {
    "xisx": "XLSX", "xlxs": "XLSX", "xslx": "XLSX", "xsl": "XLS", "excel": "XLSX",
    "エクセル": "XLSX", "_2csv": "CSV", "csv_": "CSV", "text/csv": "CSV", "tsv": "TSV",
    "application/vnd.ms-excel": "XLS", "application/pdf": "PDF", "pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/json": "JSON", "geojson": "GeoJSON", "application/geo+json": "GeoJSON",
    "jpg": "JPEG", "jpeg": "JPEG", "text/html": "HTML", "htm": "HTML", "word": "DOCX",
    "rdf": "RDF", "rdf/xml": "RDF", "application/rdf+xml": "RDF", "ttl": "TTL",
    "turtle": "TTL", "json-ld": "JSON-LD", "jsonld": "JSON-LD", "zip": "ZIP",
}
_KNOWN_FORMATS = {"CSV", "XLS", "XLSX", "ODS", "JSON", "XML", "PDF", "TXT", "DOC", "DOCX",
                  "ODT", "HTML", "ZIP", "PNG", "GIF", "JPEG", "TIFF", "SHP", "KML", "KMZ",
                  "GML", "PPT", "PPTX", "LAS", "PLY", "API", "WMS", "WFS", "TSV"}


def normalize_format(value: str | None, url: str | None = None) -> str:
    """A clean, upper-case format name; falls back to the URL's extension."""
    raw = unicodedata.normalize("NFKC", value or "").strip().strip(".").lower()
    if raw in _FORMAT_ALIASES:
        return _FORMAT_ALIASES[raw]
    if raw.upper() in _KNOWN_FORMATS:
        return raw.upper()
    if raw.startswith("_") or raw.endswith("_"):
        cleaned = raw.strip("_")
        for candidate in (cleaned, cleaned[-3:], cleaned[-4:]):
            if candidate.upper() in _KNOWN_FORMATS:
                return candidate.upper()
    if not raw and url:
        match = re.search(r"\.([A-Za-z0-9]{2,7})(?:[?#].*)?$", url)
        if match:
            return normalize_format(match.group(1))
    return raw.upper() if raw else ""


_KANJI_DIGITS = str.maketrans("一二三四五六七八九十", "1234567891")
_FREQUENCY_WORDS = [
    ("none", ("更新無", "更新なし", "更新しない", "更新予定なし", "予定なし", "なし")),
    ("once", ("公開時のみ", "1回のみ", "初回のみ", "作成時のみ", "一度のみ")),
    ("continuous", ("随時", "都度", "変更時", "常時", "リアルタイム", "適宜", "変更があった")),
    ("irregular", ("不定期",)),
    ("quarterly", ("四半期",)),
    ("semiannual", ("半年", "半期")),
    ("daily", ("毎日", "日次", "日ごと", "日毎")),
    ("weekly", ("毎週", "週次", "週ごと", "週毎", "週1回")),
    ("monthly", ("毎月", "月次", "月ごと", "月毎")),
    ("annual", ("毎年", "年次", "年度ごと", "年度毎", "毎年度")),
]


def _by_times_per_year(times: float) -> str:
    if times >= 200:
        return "daily"
    if times >= 26:
        return "weekly"
    if times >= 12:
        return "monthly"
    if times >= 4:
        return "quarterly"
    if times >= 2:
        return "semiannual"
    if times >= 1:
        return "annual"
    return "irregular"


def normalize_frequency(value: str | None) -> str | None:
    """Map free text (the Tokyo catalog has ~100 spellings) onto the frequency vocabulary.

    Returns None for an empty value and for text that names no frequency.
    """
    if not value:
        return None
    if value in FREQUENCIES:
        return value
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if text in FREQUENCIES:
        return text
    text = re.sub(r"[\s　]", "", text)
    text = re.sub(r"[ヵヶケカか]月", "か月", text)
    core = re.sub(r"\(.*?\)|（.*?）|\(.*$", "", text) or text
    for frequency, words in _FREQUENCY_WORDS:
        if any(core.startswith(word) for word in words):
            return frequency
    digits = core.translate(_KANJI_DIGITS)
    for pattern, per_year in (
        (r"(\d+)回/年|年(\d+)回|1年に(\d+)回", lambda n: n),
        (r"(\d+)回/月|月(\d+)回", lambda n: 12 * n),
        (r"(\d+)回/週|週(\d+)回", lambda n: 52 * n),
        (r"(\d+)か?月(?:ごと|毎|おき|に1回)?", lambda n: 12 / n),
        (r"(\d+)年(?:ごと|毎|おき|に1回)?", lambda n: 1 / n),
        (r"(\d+)週(?:間)?(?:ごと|毎|おき|に1回)?", lambda n: 52 / n),
        (r"(\d+)日(?:ごと|毎|おき|に1回)", lambda n: 365 / n),
    ):
        match = re.search(pattern, digits)
        if match:
            number = next(int(group) for group in match.groups() if group)
            if number > 0:
                return _by_times_per_year(per_year(number))
    for frequency, words in _FREQUENCY_WORDS:
        if any(word in core for word in words):
            return frequency
    if core.startswith("年") or core.endswith("年1回"):
        return "annual"
    if core.startswith("月"):
        return "monthly"
    return None
