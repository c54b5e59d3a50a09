"""Template helpers of tdpf_schema."""
from __future__ import annotations

import datetime
from typing import Any

from flask import has_request_context

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, english, japanese

from ckanext.tdpf.lib import rating
from ckanext.tdpf.lib import standards
from .logic.validators import vocabulary
from . import jobs

__all__ = ["tdpf_schema_choices", "tdpf_schema_label", "tdpf_schema_stage_label",
           "tdpf_schema_rate_distribution", "tdpf_schema_show_when_rules",
           "tdpf_schema_findings", "tdpf_schema_rating_error", "tdpf_schema_severity_label",
           "tdpf_schema_licences_by_distribution", "tdpf_schema_name_prefixes",
           "tdpf_schema_rule_fix", "tdpf_schema_rating_in_progress",
           "tdpf_schema_findings_by_rule", "tdpf_schema_standard_conformance",
           "tdpf_schema_rating_failed", "render_datetime",
           "time_ago_from_timestamp"]

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


def tdpf_schema_rating_failed(pkg: dict[str, Any]) -> bool:
    """Whether a dataset without a data rate has one because none of its files could be
    rated (each has an error), not because none was rated yet: its badge says so."""
    resources = pkg.get("resources") or []
    return (pkg.get("tdpf_data_rate") in (None, "") and bool(resources)
            and all(resource.get("tdpf_mr_error") for resource in resources))


def tdpf_schema_rate_distribution(owner_org: str, name: str | None = None
                                  ) -> list[dict[str, Any]]:
    """Datasets per data-rate stage of one organization, for its chart."""
    result = tk.get_action("package_search")({}, {
        "fq": f'owner_org:"{owner_org}"', "rows": 0, "facet.field": ["tdpf_data_rate"],
        "facet.limit": 10, "include_private": True})
    counts = result["facets"].get("tdpf_data_rate", {})
    total = result["count"]
    rated = sum(counts.values())
    name = name or owner_org  # the organization's name, for the bars' search links
    rows = [{"stage": stage, "label": tdpf_schema_stage_label(stage),
             "count": counts.get(str(stage), 0),
             "link": tk.h.url_for("dataset.search", organization=name,
                                  tdpf_data_rate=stage)} for stage in range(5)]
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


RULE_FIXES = {  # what to fix, per rule, in plain words (the findings page)
    "L1-01": N_("Publish the data as CSV, Excel or another machine-readable format, not only as"
                " PDF or images."),
    "L1-02": N_("Put each table on its own sheet; move tallies and notes below the data to "
                "another sheet."),
    "L1-03": N_("Remove the blank rows and columns inside the table so that the data is one "
                "block."),
    "L1-04": N_("Move titles, notes and sources above or beside the data into the resource's "
                "description."),
    "L1-05": N_("Give every column a name in the header row."),
    "L1-06": N_("Remove spaces and line breaks used to line text up (e.g. 東　京　都 → 東京都)."),
    "L1-07": N_("Put one value in each cell: split lists, latitude and longitude, or two "
                "quantities into columns or rows."),
    "L1-08": N_("Replace platform-dependent characters (①, ㈱, №, ㎡, variant kanji in addresses)"
                " with ordinary ones."),
    "L1-09": N_("Distinguish a blank (no data) from zero: write 0 where the value is zero."),
    "L1-10": N_("Remove drawings, text boxes and images from the sheet; put their content in "
                "cells or the description."),
    "L1-11": N_("Do not carry meaning by colour or font; add a column that states it."),
    "L1-12": N_("Unmerge the cells and fill each cell with its value."),
    "L1-13": N_("Show or delete the hidden rows and columns."),
    "L1-14": N_("Write one record per line: remove line breaks inside values."),
    "L1-15": N_("Enclose values that contain commas in double quotes."),
    "L2-01": N_("Write numbers as plain numbers: no units, thousands separators or full-width "
                "digits in the cells."),
    "L2-02": N_("Write every value on every row: do not leave a value once above its group or "
                "use 〃 and 同上."),
    "L2-03": N_("Give every column its own name; make repeated names unique."),
    "L2-04": N_("Use the same spelling for the same choice everywhere (e.g. 有 / 無)."),
    "L2-05": N_("Put the details of \"other\" answers in a column of their own."),
    "L2-06": N_("Replace formulas with their values."),
    "L3-01": N_("Put the column names in row 1 (one row only) and the data from row 2."),
    "L3-02": N_("Attach a table of what the codes mean."),
    "L3-03": N_("State what special symbols (－, …, ✕) mean, or use a declared convention."),
    "L3-04": N_("State the unit of each quantity in its column name, e.g. 人口（人）."),
    "L3-05": N_("Write dates and times in a standard form (YYYY-MM-DD, Western years)."),
    "L3-06": N_("Use region codes or official region names (e.g. 131016, 千代田区)."),
    "L3-07": N_("Keep the same layout from year to year."),
    "L3-08": N_("State the definitions, the update history and the character encoding in the "
                "description."),
    "L3-09": N_("Use the long (tidy) layout: one row per observation, not one column per year "
                "or area."),
}


@tk.chained_helper
def render_datetime(next_helper: Any, datetime_: Any, date_format: str | None = None,
                    with_hours: bool = False, with_seconds: bool = False) -> str:
    """Dates in one Japanese form on every page (2026年12月1日 06:21, in the display time
    zone, Japan time): CKAN's own rendering, given the format it lacks for ja."""
    datetime_ = _as_utc(datetime_)
    if date_format is None and language() == "ja":
        date_format = "%Y年%-m月%-d日" + (" %H:%M" if with_hours else "") + (
            ":%S" if with_hours and with_seconds else "")
    return next_helper(datetime_, date_format=date_format, with_hours=with_hours,
                       with_seconds=with_seconds)


@tk.chained_helper
def time_ago_from_timestamp(next_helper: Any, timestamp: Any) -> str:
    """Activity streams and profiles in the same one form as every other time on the site
    (2026年12月1日 07:53), not CKAN's relative "16 分前" beside absolute dates elsewhere."""
    rendered = tk.h.render_datetime(timestamp, with_hours=True)
    return rendered or next_helper(timestamp)


def _as_utc(value: Any) -> Any:
    """A time with an offset as the naive UTC time CKAN expects (it reads naive times as
    UTC, and would show an aware one in its own zone instead of Japan time)."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def tdpf_schema_rule_fix(rule: str) -> str:
    """What to do about a rule's findings, in the page's language."""
    message = RULE_FIXES.get(rule)
    return (japanese(message) if language() == "ja" else english(message)) if message else ""


def tdpf_schema_rating_in_progress(package_id: str) -> bool:
    """Whether the dataset's rating is queued or running (asked once per page)."""
    from flask import g, has_request_context
    if not has_request_context():
        return jobs.in_progress(package_id)
    answers = g.setdefault("tdpf_schema_in_progress", {})
    if package_id not in answers:
        try:
            answers[package_id] = jobs.in_progress(package_id)
        except Exception:  # noqa: BLE001 - without Redis the page shows the last result
            answers[package_id] = False
    return answers[package_id]


def tdpf_schema_findings_by_rule(resource: dict) -> list[dict[str, Any]]:
    """The findings grouped by rule, most severe first: each rule's title, severity, how
    many places, what to fix, and its findings (the page shows a few, the rest folded)."""
    groups: dict[str, dict[str, Any]] = {}
    for finding in tdpf_schema_findings(resource):
        group = groups.setdefault(finding["rule"], {
            "rule": finding["rule"], "level": finding["level"],
            "severity": finding["severity"], "title": finding["title_text"],
            "fix": tdpf_schema_rule_fix(finding["rule"]), "count": 0, "findings": []})
        group["count"] += finding.get("count") or len(finding.get("locations") or []) or 1
        group["findings"].append(finding)
        group["judgment"] = group.get("judgment") or bool(finding.get("judgment"))
    return list(groups.values())


def tdpf_schema_findings(resource: dict) -> list[dict[str, Any]]:
    """Findings in the page's language, most severe first."""
    order = {"FATAL": 0, "CRITICAL": 1, "MAJOR": 2, "MINOR": 3}
    shown = "ja" if language() == "ja" else "en"
    findings = sorted(resource.get("tdpf_mr_findings") or [],
                      key=lambda f: (f["level"], order.get(f["severity"], 9), f["rule"]))
    # (a finding shown without its message and places, as a shared file's are to those
    # without access, keeps its rule, title and count)
    return [dict(f, title_text=(f.get("title") or {}).get(shown, f["rule"]),
                 message_text=(f.get("message") or {}).get(shown, ""))
            for f in findings]



def tdpf_schema_standard_conformance(resource: dict) -> dict[str, Any] | None:
    """The 自治体標準オープンデータセット a rated file is or resembles and its conformance, in
    the page's language (``tdpf_mr_standard`` and ``tdpf_mr_conformance``); None where no
    standard applies (or the fields are hidden, as a shared file's are)."""
    standard = standards.get(resource.get("tdpf_mr_standard"))
    found = resource.get("tdpf_mr_conformance")
    if standard is None or not isinstance(found, dict):
        return None
    shown = "ja" if language() == "ja" else "en"
    return {
        "id": standard.id, "number": standard.number,
        "title": standard.title if shown == "ja" else standard.title_en,
        "score": found.get("score"), "conforms": bool(found.get("conforms")),
        "layout": found.get("layout"), "identified_by": found.get("identified_by"),
        "similarity": round(100 * (found.get("similarity") or 0)),
        "inferred": standard.inferred,
        "messages": [message.get(shown, "") for message in found.get("messages") or []
                     if isinstance(message, dict)],
    }


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
