"""The portal as its users walk it: the TDPF front page, and publishing that starts with a
login rather than a refusal."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk

from . import helpers

# Registered before CKAN's own blueprints (first registered wins), so "/" is ours.
tdpf_schema_portal = Blueprint("tdpf_schema_portal", __name__)


@tdpf_schema_portal.route("/")
def index() -> str:
    """The front page: every count from one search (``helpers.portal_summary``), instead of
    CKAN's placeholder page and its own search."""
    summary = helpers.portal_summary()
    tk.g.package_count = summary["count"]
    if tk.current_user.is_authenticated and not tk.current_user.email:
        url = tk.h.url_for("user.edit")
        tk.h.flash_notice(tk._('Please <a href="{url}">add your email address</a> to your '
                               "profile; it is needed to reset your password.").format(url=url),
                          allow_html=True)
    return tk.render("home/index.html", {"tdpf": summary})


@tdpf_schema_portal.before_app_request
def login_first() -> Any:
    """A visitor who opens the dataset form (or a dataset's 「データの追加」) is sent to the
    login page and back, not shown a 403: publishing starts with a login."""
    if tk.request.method not in ("GET", "HEAD") or tk.current_user.is_authenticated:
        return None
    endpoint = tk.request.endpoint or ""
    blueprint, _, view = endpoint.rpartition(".")
    if view != "new" or blueprint.removesuffix("_resource") not in _dataset_types():
        return None
    try:  # a site that lets visitors publish (ckan.auth.anon_create_dataset) shows its form
        tk.check_access("package_create", {"user": ""})
        return None
    except tk.NotAuthorized:
        pass
    came_from = tk.request.full_path if tk.request.query_string else tk.request.path
    return tk.redirect_to(tk.h.url_for("user.login", came_from=came_from))


def _dataset_types() -> set[str]:
    schemas = tk.h.get("scheming_dataset_schemas")
    return {"dataset", *((schemas() or {}) if schemas else {})}
