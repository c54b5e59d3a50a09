"""Template helpers of tdpf_schema."""
from __future__ import annotations

from typing import Any

from flask import has_request_context

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import english, japanese

from . import rating
from .logic.validators import vocabulary

__all__ = ["tdpf_schema_choices", "tdpf_schema_label", "tdpf_schema_stage_label",
           "tdpf_schema_rate_distribution", "tdpf_schema_show_when_rules",
           "tdpf_schema_findings", "tdpf_schema_rating_error", "tdpf_schema_severity_label",
           "tdpf_schema_licences_by_distribution", "tdpf_schema_name_prefixes"]

SEVERITY_LABELS = {
    "FATAL": ("致命的（レベルが0点）", "Fatal (level scores 0)"),
    "CRITICAL": ("重大", "Critical"),
    "MAJOR": ("中程度", "Major"),
    "MINOR": ("軽微", "Minor"),
}

STAGE_LABELS = {
    0: ("閲覧のみ（PDF・画像等）", "Viewable only (PDF, images)"),
    1: ("再利用しやすい文書", "Reusable document"),
    2: ("表計算（要改善）", "Spreadsheet, needs fixing"),
    3: ("機械判読可能", "Machine-readable"),
    4: ("機械判読可能＋標準メタデータ", "Machine-readable with standard metadata"),
}


def language() -> str:
    """The page's language; the site default (ja) outside a request (jobs, CLI)."""
    if has_request_context():
        return tk.h.lang()
    return tk.config["ckan.locale_default"]


def _label(pair: tuple[str, str], lang: str | None = None) -> str:
    return pair[0] if (lang or language()) == "ja" else pair[1]


def tdpf_schema_choices(field: dict) -> list[dict[str, Any]]:
    """Choices of a schema field, labelled in both languages (scheming picks one)."""
    return [{"value": value, "label": {"ja": labels[0], "en": labels[1]}}
            for value, labels in vocabulary(field["tdpf_vocabulary"]).items()]


def tdpf_schema_label(vocabulary_name: str, value: str, lang: str | None = None) -> str:
    values = vocabulary(vocabulary_name)
    return _label(values[value], lang) if value in values else value


def tdpf_schema_stage_label(stage: Any, lang: str | None = None) -> str:
    try:
        return _label(STAGE_LABELS[int(stage)], lang)
    except (TypeError, ValueError, KeyError):
        return tk._("Not rated yet")


def tdpf_schema_rate_distribution(owner_org: str) -> list[dict[str, Any]]:
    """Datasets per data-rate stage of one organization, for its chart."""
    result = tk.get_action("package_search")({}, {
        "fq": f'owner_org:"{owner_org}"', "rows": 0, "facet.field": ["tdpf_data_rate"],
        "facet.limit": 10, "include_private": True})
    counts = result["facets"].get("tdpf_data_rate", {})
    total = result["count"]
    rated = sum(counts.values())
    rows = [{"stage": stage, "label": tdpf_schema_stage_label(stage),
             "count": counts.get(str(stage), 0)} for stage in range(5)]
    rows.append({"stage": None, "label": tk._("Not rated yet"), "count": total - rated})
    peak = max([row["count"] for row in rows] + [1])
    for row in rows:
        row["percent"] = round(100 * row["count"] / peak)
    return rows


def tdpf_schema_show_when_rules(dataset_type: str) -> dict[str, dict[str, str]]:
    """Which form fields apply only in some cases (price only for paid data, ...), for
    the form script: ``{field: {other_field: value}}``."""
    schema = tk.h.scheming_get_dataset_schema(dataset_type) or {}
    return {field["field_name"]: field["tdpf_show_when"]
            for field in schema.get("dataset_fields", []) if field.get("tdpf_show_when")}


def tdpf_schema_rating_error(code: str) -> str:
    message = rating.ERRORS.get(code)
    if message is None:
        return code
    return japanese(message) if language() == "ja" else english(message)


def tdpf_schema_severity_label(severity: str) -> str:
    return _label(SEVERITY_LABELS[severity]) if severity in SEVERITY_LABELS else severity


def tdpf_schema_findings(resource: dict) -> list[dict[str, Any]]:
    """Findings in the page's language, most severe first."""
    order = {"FATAL": 0, "CRITICAL": 1, "MAJOR": 2, "MINOR": 3}
    shown = "ja" if language() == "ja" else "en"
    findings = sorted(resource.get("tdpf_mr_findings") or [],
                      key=lambda f: (f["level"], order.get(f["severity"], 9), f["rule"]))
    return [dict(f, title_text=f["title"][shown], message_text=f["message"][shown])
            for f in findings]



def tdpf_schema_licences_by_distribution() -> dict[str, list[str]]:
    """The licences each distribution allows (open: open or restricted tier; shared: the
    TDPF conditional or paid terms), for the form's licence list (``assets/licence.js``);
    the server-side rule is ``tdpf_schema_dataset_rules``."""
    return {distribution: [licence for licence, tier in vocab.LICENSE_TIER.items()
                           if tier in tiers]
            for distribution, tiers in vocab.TIERS_BY_DISTRIBUTION.items()}


def tdpf_schema_name_prefixes() -> dict[str, str]:
    """Organization id → name for the organizations the user may publish in: the form's
    script proposes a new dataset's URL name from it (``tdpf_schema_dataset_name``)."""
    return {org["id"]: org["name"] for org in tk.h.organizations_available("create_dataset")}


# --- the front page ----------------------------------------------------------------------

PORTAL_FACETS = ("tdpf_theme", "tdpf_provider_type", "tdpf_data_rate", "tdpf_distribution")
PORTAL_NEWEST = 6


def portal_summary() -> dict[str, Any]:
    """Everything the front page counts, from one ``package_search``: datasets per theme
    (Tokyo's 13 priority fields and その他), per provider type, per data-rate stage, the
    shared data, and the newest datasets. Only what the caller may see is counted."""
    result = tk.get_action("package_search")(
        {"user": tk.current_user.name if tk.current_user else ""},
        {"q": "*:*", "rows": PORTAL_NEWEST, "sort": "metadata_created desc",
         "facet.field": list(PORTAL_FACETS), "facet.limit": -1, "facet.mincount": 1})
    facets = result.get("facets", {})
    lang = language()

    def rows(field: str, values: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
        counts = facets.get(field, {})
        return [{"value": value, "label": _label(labels, lang),
                 "count": counts.get(value, 0),
                 "url": tk.h.url_for("dataset.search", **{field: value})}
                for value, labels in values.items()]

    rates = facets.get("tdpf_data_rate", {})
    stages = [{"value": str(stage), "label": tdpf_schema_stage_label(stage, lang),
               "count": rates.get(str(stage), 0),
               "url": tk.h.url_for("dataset.search", tdpf_data_rate=stage)}
              for stage in range(5)]
    peak = max([row["count"] for row in stages] + [1])
    for row in stages:
        row["percent"] = round(100 * row["count"] / peak)
    shared = facets.get("tdpf_distribution", {}).get("shared", 0)
    return {
        "count": result["count"],
        "themes": rows("tdpf_theme", vocab.THEMES),
        "provider_types": rows("tdpf_provider_type", vocab.PROVIDER_TYPES),
        "rates": stages,
        "unrated": result["count"] - sum(row["count"] for row in stages),
        "shared": {"count": shared,
                   "url": tk.h.url_for("dataset.search", tdpf_distribution="shared")},
        "newest": result["results"],
    }
