"""The 「データ整備」 page of a resource, for the dataset's editors: the prepared tables, the
changes grouped by rule, the data rate before and after, and a button that publishes a
table as a new file of the dataset; 「標準形式に変換」 converts a table into a standard's
layout (chosen, or the one the table resembles) with the conformance before and after, the
column mapping and the columns kept in 備考, and publishes the converted file."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import standards
from ckanext.tdpf.lib.i18n import N_
from ckanext.tdpf.lib.rating.rules import RULE_TITLES

from .engine.standardize import RULE_TITLES as STANDARD_RULE_TITLES

tdpf_prep = Blueprint("tdpf_prep", __name__)


def _grouped(changes: list[dict[str, str]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for change in changes:
        rule = change["rule"]
        titles = RULE_TITLES | STANDARD_RULE_TITLES
        group = groups.setdefault(rule, {"rule": rule, "changes": [],
                                         "title": tk._(titles[rule])
                                         if rule in titles else rule})
        group["changes"].append(change)
    return sorted(groups.values(), key=lambda group: group["rule"])


HOW = {
    "same": N_("same name"),
    "old_layout": N_("name in the former layout (推奨データセット)"),
    "synonym": N_("another name for it"),
    "values": N_("recognised by its values"),
    "split": N_("split from it"),
    "filled": N_("filled in"),
}
FILLED_FROM = {
    "publisher": N_("filled in from the organization's municipality code"),
    "address": N_("filled in from the address"),
    "address_parts": N_("joined from the address columns"),
    "row_content": N_("made from each row's name, address and place"),
}


def _standard_choices() -> list[dict[str, str]]:
    language = "en" if tk.h.lang() == "en" else "ja"
    return [{"id": s.id, "label": f"{s.number} {s.title if language == 'ja' else s.title_en}"}
            for s in standards.standards().values()]


def _with_standard(table: dict[str, Any]) -> None:
    """What the page shows of a conversion, worded."""
    language = "en" if tk.h.lang() == "en" else "ja"
    for key in ("conformance_before", "conformance_after"):
        table[key]["errors_worded"] = [message[language] for message in
                                       table[key].get("messages") or []]
    for item in table["mapping"]:
        how = FILLED_FROM.get(item.get("from") or "") or HOW.get(item["how"], item["how"])
        item["how_worded"] = tk._(how)
        if item.get("kept_aside"):
            item["how_worded"] += tk._(" — {count} values not in the column's format kept "
                                       "in 備考 or the notes column").format(
                count=item["kept_aside"])
    table["converted"]["groups"] = _grouped(table["converted"]["changes"])


@tdpf_prep.route("/dataset/<id>/resource/<resource_id>/prep", methods=["GET", "POST"])
def prepare(id: str, resource_id: str):
    if not tk.current_user or not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login", came_from=tk.request.path)
    context = {"user": tk.current_user.name}
    try:
        dataset = tk.get_action("package_show")(dict(context), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    resource = next((r for r in dataset["resources"] if r["id"] == resource_id), None)
    if resource is None:
        return tk.abort(404, tk._("Resource not found"))
    if not tk.h.check_access("package_update", {"id": dataset["id"]}):
        return tk.abort(403, tk._("Only the dataset's editors can prepare its files."))
    errors: dict[str, Any] = {}
    standard = tk.request.values.get("standard") or None
    if tk.request.method == "POST":
        form = tk.request.form
        try:
            created = tk.get_action("tdpf_prep_publish")(dict(context), {
                "resource_id": resource_id, "table": form.get("table") or None,
                "name": form.get("name") or None,
                **({"standard": standard} if standard else {})})
        except tk.ValidationError as error:
            errors = error.error_dict
        else:
            tk.h.flash_success(
                tk._("The table converted into the standard layout was added to the "
                     "dataset as a new file; its data rate appears once it is rated.")
                if standard else
                tk._("The prepared table was added to the dataset as a new "
                     "file; its data rate appears once it is rated."))
            return tk.redirect_to(f"{dataset['type']}_resource.read", id=dataset["name"],
                                  resource_id=created["id"])
    tables: list[dict[str, Any]] = []
    sheet = tk.request.args.get("sheet") or None
    try:
        tables = tk.get_action("tdpf_prep_preview")(dict(context), {
            "resource_id": resource_id, **({"sheet": sheet} if sheet else {}),
            **({"standard": standard} if standard else {})})["tables"]
    except tk.ValidationError as error:
        errors = {**error.error_dict, **errors}
        if "standard" in error.error_dict:  # an unknown standard: the page without it
            standard = None
            try:
                tables = tk.get_action("tdpf_prep_preview")(dict(context), {
                    "resource_id": resource_id,
                    **({"sheet": sheet} if sheet else {})})["tables"]
            except tk.ValidationError as again:
                errors = {**again.error_dict, **errors}
    for table in tables:
        table["groups"] = _grouped(table["changes"])
        if table.get("standard"):
            _with_standard(table)
    return tk.render("tdpf_prep/prepare.html", {
        "pkg_dict": dataset, "package": dataset, "resource": resource, "tables": tables,
        "errors": errors, "standard": standard, "standard_choices": _standard_choices(),
        "sheet": sheet})
