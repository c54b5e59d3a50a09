"""Pages of the access workflow: the request form, "my requests and grants", the provider
dashboard and the operator's organization applications. Each form posts to the same
actions the API offers."""
from __future__ import annotations

import datetime
from typing import Any

from flask import Blueprint, Response, request

import ckan.authz as authz
import ckan.lib.helpers as h
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import vocabularies as vocab

from . import entitlement

tdpf_access = Blueprint("tdpf_access", __name__)
APPLICATIONS_PATH = "/organization-applications"  # where users apply for an organization
JST = datetime.timezone(datetime.timedelta(hours=9))


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else "",
            "ignore_auth": False}


def _errors(error: tk.ValidationError) -> dict[str, list[str]]:
    return {key: value if isinstance(value, list) else [str(value)]
            for key, value in error.error_dict.items()}


def _require_login():
    if not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login", came_from=request.full_path)
    return None


@tdpf_access.route("/dataset/<id>/access", methods=["GET", "POST"])
def request_form(id: str):
    try:
        dataset = tk.get_action("package_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    if not entitlement.is_shared(dataset):
        return tk.redirect_to("dataset.read", id=dataset["name"])
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        redirect = _require_login()
        if redirect:
            return redirect
        form = request.form
        data = {"package_id": dataset["id"], "purpose": form.get("purpose", ""),
                "purpose_text": form.get("purpose_text", ""),
                "user_type": form.get("user_type", ""),
                "pledge_no_other_purpose": form.get("pledge_no_other_purpose") == "true",
                "pledge_no_personal_linking": form.get("pledge_no_personal_linking") == "true"}
        try:
            tk.get_action("tdpf_access_request_create")(_context(), data)
        except tk.ValidationError as error:
            errors = _errors(error)
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error))
        else:
            h.flash_success(tk._("Your request was sent to the provider."))
            return tk.redirect_to("tdpf_access.my_access")
    user = entitlement.user_of(_context())
    has_access = user is not None and entitlement.entitled(user, dataset["id"],
                                                          dataset.get("owner_org"))
    return tk.render("tdpf_access/request.html", {
        "pkg_dict": dataset, "data": data, "errors": errors, "has_access": has_access,
        "purposes": [(p, vocab.PURPOSES[p]) for p in _listed(dataset, "tdpf_permitted_purposes")
                     if p in vocab.PURPOSES],
        "user_types": [(u, vocab.USER_TYPES[u]) for u in
                       (_listed(dataset, "tdpf_permitted_user_types") or list(vocab.USER_TYPES))
                       if u in vocab.USER_TYPES],
        "exempt": [vocab.USER_TYPES[u] for u in _listed(dataset, "tdpf_fee_exempt_user_types")
                   if u in vocab.USER_TYPES],
        "price_unit": vocab.PRICE_UNITS.get(dataset.get("tdpf_price_unit") or ""),
    })


def _listed(dataset: dict, field: str) -> list[str]:
    value = dataset.get(field) or []
    return value if isinstance(value, list) else [value]


@tdpf_access.route("/dashboard/access")
def my_access():
    redirect = _require_login()
    if redirect:
        return redirect
    context = _context()
    user = entitlement.user_of(context)
    requests = [r for r in tk.get_action("tdpf_access_request_list")(context, {})
                if r["user_id"] == user.id]
    grants = tk.get_action("tdpf_access_grant_list")(context, {"user": user.id})
    charges = tk.get_action("tdpf_access_charge_list")(context, {})
    return tk.render("tdpf_access/my_access.html", {
        "requests": _with_titles(requests), "grants": _with_titles(grants),
        "charges": _with_titles(charges), "user": user,
        "user_dict": {"id": user.id, "name": user.name},
        "provided": _provided_organizations(user)})


def _provided_organizations(user: model.User) -> list[dict[str, Any]]:
    """The organizations whose requests the user decides, with how many wait."""
    from sqlalchemy import func

    from .model import AccessRequest
    orgs = (model.Session.query(model.Group)
            .join(model.Member, model.Member.group_id == model.Group.id)
            .filter(model.Member.table_name == "user", model.Member.table_id == user.id,
                    model.Member.state == "active", model.Group.state == "active",
                    model.Group.is_organization.is_(True),
                    model.Member.capacity.in_(["editor", "admin"]))
            .order_by(model.Group.title).all())
    if not orgs:
        return []
    waiting = dict(model.Session.query(model.Package.owner_org, func.count(AccessRequest.id))
                   .join(model.Package, model.Package.id == AccessRequest.package_id)
                   .filter(AccessRequest.state == "pending",
                           model.Package.owner_org.in_([o.id for o in orgs]))
                   .group_by(model.Package.owner_org))
    return [{"name": o.name, "title": o.title, "pending": waiting.get(o.id, 0)} for o in orgs]


def _with_titles(rows: list[dict]) -> list[dict]:
    """Dataset titles and user names for the rows, in two queries for all of them."""
    packages = {p.id: p for p in model.Session.query(
        model.Package.id, model.Package.name, model.Package.title).filter(
        model.Package.id.in_({row["package_id"] for row in rows}))} if rows else {}
    users = _user_names({row.get("user_id") for row in rows})
    for row in rows:
        package = packages.get(row["package_id"])
        row["package_title"] = package.title if package else row["package_id"]
        row["package_name"] = package.name if package else row["package_id"]
        row["user_name"] = users.get(row.get("user_id"), row.get("user_id"))
    return rows


def _user_names(ids: set) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(model.Session.query(model.User.id, model.User.name).filter(
        model.User.id.in_(ids)))


@tdpf_access.route("/access/request/<id>/withdraw", methods=["POST"])
def withdraw(id: str):
    try:
        tk.get_action("tdpf_access_request_withdraw")(_context(), {"id": id})
        h.flash_success(tk._("The request was withdrawn."))
    except (tk.ValidationError, tk.NotAuthorized) as error:
        h.flash_error(str(error))
    return tk.redirect_to("tdpf_access.my_access")


@tdpf_access.route("/organization/<id>/access")
def provider_dashboard(id: str):
    redirect = _require_login()
    if redirect:
        return redirect
    org = model.Group.get(id)
    if org is None or not org.is_organization:
        return tk.abort(404, tk._("Organization not found"))
    context = _context()
    packages = model.Session.query(model.Package).filter(
        model.Package.owner_org == org.id, model.Package.state == "active").all()
    shared = [p for p in packages if entitlement.is_shared(p)]
    user = entitlement.user_of(context)
    if not (user.sysadmin or authz.users_role_for_group_or_org(org.id, user.name) in
            ("editor", "admin")):
        return tk.abort(403, tk._("Only the organization's editors and admins see this page."))
    by_org = {"organization": org.id}
    pending = tk.get_action("tdpf_access_request_list")(context, dict(by_org, state="pending"))
    grants = tk.get_action("tdpf_access_grant_list")(context, by_org)
    charges = tk.get_action("tdpf_access_charge_list")(context, by_org)
    usage = []
    for package in shared:
        summary = tk.get_action("tdpf_access_usage_summary")(context, {"package_id": package.id})
        peak = max([day["count"] for day in summary["per_day"]] + [1])
        for day in summary["per_day"]:
            day["percent"] = round(100 * day["count"] / peak)
        usage.append({"package": package, "summary": summary})
    return tk.render("tdpf_access/provider.html", {
        "group_dict": {"id": org.id, "name": org.name, "title": org.title},
        "pending": _with_titles(pending), "grants": _with_titles(grants),
        "charges": _with_titles(charges), "usage": usage,
        "default_expiry": (datetime.datetime.now(JST) + datetime.timedelta(days=365)
                           ).strftime("%Y-%m-%d")})


@tdpf_access.route("/access/request/<id>/decide", methods=["POST"])
def decide(id: str):
    form = request.form
    data: dict[str, Any] = {"id": id, "decision": form.get("decision", ""),
                            "reason": form.get("reason", "")}
    if form.get("expires"):
        data["expires"] = f"{form['expires']}T23:59:59+09:00"
    if form.get("daily_quota"):
        data["daily_quota"] = form["daily_quota"]
    try:
        tk.get_action("tdpf_access_request_decide")(_context(), data)
        h.flash_success(tk._("The decision was recorded."))
    except tk.ValidationError as error:
        h.flash_error("; ".join(f"{k}: {' '.join(v)}" for k, v in _errors(error).items()))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return _back_to_dashboard()


@tdpf_access.route("/access/grant/<id>/revoke", methods=["POST"])
def revoke(id: str):
    try:
        tk.get_action("tdpf_access_grant_revoke")(_context(), {
            "id": id, "reason": request.form.get("reason", "")})
        h.flash_success(tk._("The grant was revoked."))
    except tk.ValidationError as error:
        h.flash_error("; ".join(f"{k}: {' '.join(v)}" for k, v in _errors(error).items()))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return _back_to_dashboard()


@tdpf_access.route("/access/charge/<id>", methods=["POST"])
def charge(id: str):
    try:
        tk.get_action("tdpf_access_charge_update")(_context(), {
            "id": id, "state": request.form.get("state", "")})
        h.flash_success(tk._("The charge was updated."))
    except (tk.ValidationError, tk.NotAuthorized) as error:
        h.flash_error(str(error))
    return _back_to_dashboard()


@tdpf_access.route("/dataset/<id>/access/charges.csv")
def charges_csv(id: str):
    try:
        export = tk.get_action("tdpf_access_charge_export")(_context(), {"package_id": id})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return Response(export["csv"], mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={export['filename']}"})


def _back_to_dashboard():
    target = request.form.get("came_from") or ""
    if target.startswith("/organization/"):
        return tk.redirect_to(target)
    return tk.redirect_to("tdpf_access.my_access")


@tdpf_access.route(APPLICATIONS_PATH, methods=["GET", "POST"])
def applications():
    redirect = _require_login()
    if redirect:
        return redirect
    context = _context()
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and request.form.get("action") == "apply":
        data = {key: request.form.get(key, "") for key in
                ("name", "title", "description", "provider_type", "municipality_code",
                 "contact_email")}
        try:
            tk.get_action("tdpf_access_org_apply")(context, data)
            h.flash_success(tk._("Your application was sent to the operators."))
            return tk.redirect_to("tdpf_access.applications")
        except tk.ValidationError as error:
            errors = _errors(error)
    elif request.method == "POST":
        try:
            tk.get_action("tdpf_access_org_verify")(context, {
                "id": request.form.get("id"), "decision": request.form.get("decision"),
                "reason": request.form.get("reason", "")})
            h.flash_success(tk._("The decision was recorded."))
        except (tk.ValidationError, tk.NotAuthorized) as error:
            h.flash_error(str(error))
        return tk.redirect_to("tdpf_access.applications")
    rows = tk.get_action("tdpf_access_org_application_list")(context, {})
    return tk.render("tdpf_access/applications.html", {
        "applications": _with_titles_applicants(rows), "data": data, "errors": errors,
        "provider_types": list(vocab.PROVIDER_TYPES.items()),
        "is_operator": entitlement.user_of(context).sysadmin})


def _with_titles_applicants(rows: list[dict]) -> list[dict]:
    users = _user_names({row["user_id"] for row in rows})
    for row in rows:
        row["user_name"] = users.get(row["user_id"], row["user_id"])
    return rows
