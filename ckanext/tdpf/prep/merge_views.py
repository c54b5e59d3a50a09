"""Pages of the standard datasets (自治体標準オープンデータセット): per standard, who of
Tokyo's 62 municipalities publishes it, with what conformance, and the merged datasets
(``/standard/<id>``; ``/standard`` lists the standards); and the template helpers for a
merged dataset's status on its page and an organization's standard datasets."""
from __future__ import annotations

import datetime
from typing import Any

from flask import Blueprint

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib.i18n import N_

from . import merge as merging

tdpf_prep_standard = Blueprint("tdpf_prep_standard", __name__)
JST = datetime.timezone(datetime.timedelta(hours=9))


def _context() -> dict[str, Any]:
    user = tk.current_user.name if tk.current_user and \
        tk.current_user.is_authenticated else ""
    return {"user": user}


@tdpf_prep_standard.route("/standard")
def index():
    coverage = tk.get_action("tdpf_prep_coverage")(_context(), {})
    return tk.render("tdpf_prep/standard_index.html", {"coverage": coverage})


@tdpf_prep_standard.route("/standard/<standard_id>", methods=["GET", "POST"])
def read(standard_id: str):
    """The coverage page; its form (for editors of an organization) merges the chosen
    organizations' files of the standard into a new merged dataset."""
    try:
        coverage = tk.get_action("tdpf_prep_coverage")(_context(), {"standard": standard_id})
    except tk.ValidationError:
        return tk.abort(404, tk._("No standard dataset has this id."))
    errors: dict[str, Any] = {}
    form: dict[str, Any] = {}
    if tk.request.method == "POST":
        if not _context()["user"]:
            return tk.redirect_to("user.login", came_from=tk.request.path)
        form = {"owner_org": tk.request.form.get("owner_org") or "",
                "name": tk.request.form.get("name") or "",
                "title": tk.request.form.get("title") or "",
                "organizations": tk.request.form.getlist("organizations")}
        try:
            result = tk.get_action("tdpf_prep_merge")(_context(), {
                "standard": standard_id, "owner_org": form["owner_org"],
                "name": form["name"], "organizations": form["organizations"],
                **({"title": form["title"]} if form["title"] else {})})
        except tk.ValidationError as error:
            errors = error.error_dict
        except tk.NotAuthorized:
            errors = {"owner_org": [tk._(
                "Only editors of the organization that holds the merged dataset may "
                "merge.")]}
        else:
            tk.h.flash_success(tk._("The files were merged into the dataset; it is merged "
                                    "again when a source file changes."))
            return tk.redirect_to("dataset.read", id=result["dataset"]["name"])
    owners = tk.h.organizations_available("create_dataset") if _context()["user"] else []
    publishers: dict[str, dict[str, str]] = {}
    for place in coverage["municipalities"]:
        for file in place["files"]:
            if file.get("organization_name"):
                publishers.setdefault(file["organization_name"], {
                    "name": file["organization_name"], "code": place["code"],
                    "title": file.get("organization") or file["organization_name"]})
    return tk.render("tdpf_prep/standard.html", {
        "coverage": coverage, "owners": owners, "publishers": list(publishers.values()),
        "errors": errors, "form": form})


# --- helpers ---------------------------------------------------------------------------------


def merge_status(package_id: str) -> dict[str, Any] | None:
    """A merged dataset's definition and last merge (None for other datasets)."""
    if not package_id:
        return None
    try:
        return tk.get_action("tdpf_prep_merge_show")(_context(), {"id": package_id})
    except (tk.ValidationError, tk.NotAuthorized):
        return None


def organization_standards(organization_id: str) -> list[dict[str, Any]]:
    """The organization's files rated as a standard dataset, with their conformance."""
    if not organization_id:
        return []
    result = tk.get_action("package_search")(_context(), {
        "fq": f'owner_org:"{organization_id}" AND vocab_tdpf_prep_standards:*',
        "rows": 100, "include_private": True, "sort": "title_string asc"})
    skip = merging.merged_package_ids()
    found = []
    for dataset in result["results"]:
        if dataset["id"] in skip:
            continue
        for resource in dataset.get("resources") or []:
            standard = merging.get_standard(resource.get("tdpf_mr_standard") or "")
            if standard is None:
                continue
            conformance = resource.get("tdpf_mr_conformance")
            found.append({"standard": standard, "dataset": dataset, "resource": resource,
                          "score": conformance.get("score")
                          if isinstance(conformance, dict) else None,
                          "layout": conformance.get("layout")
                          if isinstance(conformance, dict) else None})
    return found


def organization_merges(organization_id: str) -> list[dict[str, Any]]:
    """The merged datasets the organization holds (that the caller may see)."""
    if not organization_id:
        return []
    merged = tk.get_action("tdpf_prep_merge_list")(_context(), {})
    owned = {row[0] for row in model.Session.query(model.Package.id).filter(
        model.Package.owner_org == organization_id,
        model.Package.id.in_([m["package_id"] for m in merged]))} if merged else set()
    return [m for m in merged if m["package_id"] in owned]


def standard_title(standard_id: str) -> str:
    standard = merging.get_standard(standard_id or "")
    if standard is None:
        return standard_id
    return standard.title_en if tk.h.lang() == "en" else standard.title


LAYOUTS = {
    "new": N_("Standard layout"),
    "old": N_("Former layout (推奨データセット)"),
    "local": N_("Own layout"),
}


def layout_label(layout: str | None) -> str:
    """The layout a file was found in: the standard's, the former 推奨データセット one, or
    the municipality's own."""
    return tk._(LAYOUTS[layout]) if layout in LAYOUTS else ""


def licence_title(license_id: str | None) -> str:
    """A source's licence by its title (nothing for a source recorded without one)."""
    return merging.licence_title(license_id) if license_id else ""


def japan_time(value: str | None) -> str:
    """An ISO 8601 time as Japan time, 2026-12-01 10:30."""
    if not value:
        return ""
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    return error.get("en") if tk.h.lang() == "en" else error.get("ja") or error.get("en")


HELPERS = {
    "tdpf_prep_merge_status": merge_status,
    "tdpf_prep_organization_standards": organization_standards,
    "tdpf_prep_organization_merges": organization_merges,
    "tdpf_prep_standard_title": standard_title,
    "tdpf_prep_japan_time": japan_time,
    "tdpf_prep_error_text": error_text,
    "tdpf_prep_layout_label": layout_label,
    "tdpf_prep_licence_title": licence_title,
}
__all__ = ["tdpf_prep_standard"]
