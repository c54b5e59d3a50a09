"""The data-rate findings page of a resource: what the staff should fix, in Japanese."""
from __future__ import annotations

from flask import Blueprint

import ckan.plugins.toolkit as tk

from .portal import tdpf_schema_portal  # noqa: F401  (blanket registers every Blueprint here)

tdpf_schema = Blueprint("tdpf_schema", __name__)


def _dataset_and_resource(id: str, resource_id: str) -> tuple[dict, dict]:
    context = {"user": tk.current_user.name if tk.current_user else ""}
    try:
        dataset = tk.get_action("package_show")(context, {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    resource = next((r for r in dataset["resources"] if r["id"] == resource_id), None)
    if resource is None:
        return tk.abort(404, tk._("Resource not found"))
    return dataset, resource


@tdpf_schema.route("/dataset/<id>/resource/<resource_id>/data-rate")
def findings(id: str, resource_id: str):
    dataset, resource = _dataset_and_resource(id, resource_id)
    return tk.render("tdpf_schema/findings.html",
                     {"pkg_dict": dataset, "package": dataset, "resource": resource})


@tdpf_schema.route("/dataset/<id>/resource/<resource_id>/data-rate-badge")
def badge(id: str, resource_id: str):
    """The resource's data-rate badge alone: pages poll it (htmx) while the rating runs."""
    dataset, resource = _dataset_and_resource(id, resource_id)
    return tk.render("tdpf_schema/snippets/resource_rate.html",
                     {"pkg": dataset, "res": resource})
