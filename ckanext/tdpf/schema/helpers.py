"""Template helpers of tdpf_schema."""
from __future__ import annotations

from typing import Any

from flask import has_request_context

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib.i18n import english, japanese

from . import rating
from .logic.validators import vocabulary

__all__ = ["tdpf_schema_choices", "tdpf_schema_label", "tdpf_schema_stage_label",
           "tdpf_schema_rate_distribution", "tdpf_schema_show_when_rules",
           "tdpf_schema_findings", "tdpf_schema_rating_error", "tdpf_schema_severity_label"]

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

