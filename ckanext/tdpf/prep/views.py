"""The 「データ整備」 page of a resource, for the dataset's editors: the prepared tables, the
changes grouped by rule, the data rate before and after, and a button that publishes a
table as a new file of the dataset."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib.rating.rules import RULE_TITLES

tdpf_prep = Blueprint("tdpf_prep", __name__)


def _grouped(changes: list[dict[str, str]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for change in changes:
        rule = change["rule"]
        group = groups.setdefault(rule, {"rule": rule, "changes": [],
                                         "title": tk._(RULE_TITLES[rule])
                                         if rule in RULE_TITLES else rule})
        group["changes"].append(change)
    return sorted(groups.values(), key=lambda group: group["rule"])


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
    if tk.request.method == "POST":
        form = tk.request.form
        try:
            created = tk.get_action("tdpf_prep_publish")(dict(context), {
                "resource_id": resource_id, "table": form.get("table") or None,
                "name": form.get("name") or None})
        except tk.ValidationError as error:
            errors = error.error_dict
        else:
            tk.h.flash_success(tk._("The prepared table was added to the dataset as a new "
                                    "file; its data rate appears once it is rated."))
            return tk.redirect_to(f"{dataset['type']}_resource.read", id=dataset["name"],
                                  resource_id=created["id"])
    tables: list[dict[str, Any]] = []
    sheet = tk.request.args.get("sheet") or None
    try:
        tables = tk.get_action("tdpf_prep_preview")(dict(context), {
            "resource_id": resource_id, **({"sheet": sheet} if sheet else {})})["tables"]
    except tk.ValidationError as error:
        errors = {**error.error_dict, **errors}
    for table in tables:
        table["groups"] = _grouped(table["changes"])
    return tk.render("tdpf_prep/prepare.html", {
        "pkg_dict": dataset, "package": dataset, "resource": resource, "tables": tables,
        "errors": errors})
