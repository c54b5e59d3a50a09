"""The access actions of SPEC §4: check access, validate, act, return a dict."""
from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tdpf.lib import validation
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, bilingual

from .. import entitlement, notify, payment
from ..model import AccessRequest, Charge, Grant, OrganizationApplication, Usage, now
from . import schema
from .auth import is_provider

__all__ = [
    "tdpf_access_request_create", "tdpf_access_request_show", "tdpf_access_request_list",
    "tdpf_access_request_decide", "tdpf_access_request_withdraw", "tdpf_access_grant_list",
    "tdpf_access_grant_revoke", "tdpf_access_usage_list", "tdpf_access_usage_summary",
    "tdpf_access_charge_list", "tdpf_access_charge_update", "tdpf_access_charge_export",
    "tdpf_access_org_apply", "tdpf_access_org_verify", "tdpf_access_org_application_list",
]


def _validate(data_dict: DataDict, schema_: dict, context: Context) -> dict:
    data, errors = tk.navl_validate(dict(data_dict), schema_, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _fail(field: str, message: str, **params: Any) -> None:
    raise tk.ValidationError({field: [bilingual(message, **params)]})


def _current_user(context: Context) -> model.User:
    user = entitlement.user_of(context)
    if user is None:
        raise tk.NotAuthorized(tk._("You must be logged in."))
    return user


_listed = validation.as_list


def _package(id_or_name: str) -> model.Package:
    package = model.Package.get(id_or_name)
    if package is None:
        raise tk.ObjectNotFound(bilingual(N_("Dataset not found")))
    return package


def _shared_package(package_id: str) -> dict:
    try:
        dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": package_id})
    except tk.ObjectNotFound:
        raise tk.ObjectNotFound(bilingual(N_("Dataset not found"))) from None
    if dataset.get("tdpf_distribution") != "shared":
        _fail("package_id", N_("This dataset is open data; its files need no request."))
    return dataset


def tdpf_access_request_create(context: Context, data_dict: DataDict) -> dict:
    """Ask for access to a shared dataset's files.

    :param package_id: the dataset
    :param purpose: one of the dataset's permitted purposes
    :param purpose_text: what the data will be used for
    :param user_type: the requester's type (sme, startup, npo, ...)
    :param pledge_no_other_purpose: must be true
    :param pledge_no_personal_linking: must be true
    """
    tk.check_access("tdpf_access_request_create", context, data_dict)
    data = _validate(data_dict, schema.request_create(), context)
    user = _current_user(context)
    dataset = _shared_package(data["package_id"])
    permitted = _listed(dataset.get("tdpf_permitted_purposes"))
    if data["purpose"] not in permitted:
        _fail("purpose", N_("This dataset is not offered for that purpose; permitted: "
                            "{allowed}."), allowed=", ".join(permitted))
    user_types = _listed(dataset.get("tdpf_permitted_user_types"))
    if user_types and data["user_type"] not in user_types:
        _fail("user_type", N_("This dataset is not offered to users of that type; "
                              "permitted: {allowed}."), allowed=", ".join(user_types))
    pending = (model.Session.query(AccessRequest)
               .filter(AccessRequest.package_id == dataset["id"],
                       AccessRequest.user_id == user.id, AccessRequest.state == "pending")
               .count())
    if pending:
        _fail("package_id", N_("You already have a pending request for this dataset."))
    request = AccessRequest(
        package_id=dataset["id"], user_id=user.id, purpose=data["purpose"],
        purpose_text=data.get("purpose_text") or "", user_type=data["user_type"],
        pledge_no_other_purpose=True, pledge_no_personal_linking=True,
        terms_version=tk.config["ckanext.tdpf.access.terms_version"], state="pending")
    model.Session.add(request)
    if not context.get("defer_commit"):
        model.Session.commit()
        notify.enqueue("request", request.id)
    return request.as_dict()


@tk.side_effect_free
def tdpf_access_request_show(context: Context, data_dict: DataDict) -> dict:
    """:param id: the request"""
    tk.check_access("tdpf_access_request_show", context, data_dict)
    data = _validate(data_dict, schema.by_id(), context)
    request = model.Session.get(AccessRequest, data["id"])
    if request is None:
        raise tk.ObjectNotFound(bilingual(N_("Request not found")))
    return request.as_dict()


def _visible(query, column_user, column_package, user: model.User, data_dict: DataDict):
    """Limit a query to what the caller may see: own rows, rows of datasets the caller
    provides, or everything for sysadmins."""
    if data_dict.get("package_id"):
        package = model.Package.get(data_dict["package_id"])
        if package is None:
            raise tk.ObjectNotFound(bilingual(N_("Dataset not found")))
        query = query.filter(column_package == package.id)
        if not is_provider(user, package.id):
            query = query.filter(column_user == user.id)
    elif data_dict.get("organization"):
        org = model.Group.get(data_dict["organization"])
        if org is None or not org.is_organization:
            raise tk.ObjectNotFound(bilingual(N_("Organization not found")))
        query = query.filter(column_package.in_(
            model.Session.query(model.Package.id).filter(model.Package.owner_org == org.id)
            .scalar_subquery()))
        if not (user.sysadmin or org.id in _provided_orgs(user)):
            query = query.filter(column_user == user.id)
    elif not user.sysadmin:
        provided = _provided_package_ids(user)
        query = query.filter((column_user == user.id) | column_package.in_(provided))
    if data_dict.get("user"):
        target = model.User.get(data_dict["user"])
        query = query.filter(column_user == (target.id if target else "-"))
    return query


def _provided_orgs(user: model.User) -> list[str]:
    """The organizations the user is an editor or admin of."""
    return [org.id for org in model.Session.query(model.Group)
            .join(model.Member, model.Member.group_id == model.Group.id)
            .filter(model.Member.table_name == "user", model.Member.table_id == user.id,
                    model.Member.state == "active",
                    model.Member.capacity.in_(["editor", "admin"]))]


def _provided_package_ids(user: model.User) -> list[str]:
    orgs = _provided_orgs(user)
    if not orgs:
        return []
    return [row.id for row in model.Session.query(model.Package.id)
            .filter(model.Package.owner_org.in_(orgs))]


@tk.side_effect_free
def tdpf_access_request_list(context: Context, data_dict: DataDict) -> list[dict]:
    """The caller's requests and those for the datasets they provide (sysadmins: all).

    :param package_id: optional :param organization: optional (its datasets)
    :param user: optional :param state: optional
    """
    tk.check_access("tdpf_access_request_list", context, data_dict)
    data = _validate(data_dict, schema.request_list(), context)
    user = _current_user(context)
    query = _visible(model.Session.query(AccessRequest), AccessRequest.user_id,
                     AccessRequest.package_id, user, data)
    if data.get("state"):
        query = query.filter(AccessRequest.state == data["state"])
    return [r.as_dict() for r in query.order_by(AccessRequest.created.desc()).limit(1000)]


def tdpf_access_request_decide(context: Context, data_dict: DataDict) -> dict:
    """Approve (with an expiry in the future) or reject a pending request.

    :param id: the request
    :param decision: ``approve`` or ``reject``
    :param expires: ISO 8601, required to approve
    :param reason: why (shown to the requester)
    :param daily_quota: optional downloads per day
    """
    tk.check_access("tdpf_access_request_decide", context, data_dict)
    data = _validate(data_dict, schema.request_decide(), context)
    request = model.Session.get(AccessRequest, data["id"])
    if request is None:
        raise tk.ObjectNotFound(bilingual(N_("Request not found")))
    if request.state != "pending":
        _fail("id", N_("Only pending requests can be decided (this one is {state})."),
              state=request.state)
    user = _current_user(context)
    request.decided_by, request.decided_at = user.name, now()
    request.reason = data.get("reason") or ""
    result: dict[str, Any] = {}
    if data["decision"] == "approve":
        if not data.get("expires"):
            _fail("expires", N_("An approval needs an expiry date in the future."))
        request.state = "approved"
        grant = Grant(request_id=request.id, package_id=request.package_id,
                      user_id=request.user_id, valid_until=data["expires"],
                      terms_version=request.terms_version,
                      daily_quota=data.get("daily_quota"), granted_by=user.name)
        model.Session.add(grant)
        model.Session.flush()
        charge = _charge_for(grant, request)
        model.Session.flush()
        result["grant"] = grant.as_dict()
        result["charge"] = charge.as_dict() if charge else None
    else:
        request.state = "rejected"
    model.Session.commit()
    notify.enqueue("decision", request.id)
    result["request"] = request.as_dict()
    return result


def _charge_for(grant: Grant, request: AccessRequest) -> Charge | None:
    """Paid data: a charge by the dataset's price; 0 with the reason for exempt types."""
    dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": grant.package_id})
    if dataset.get("tdpf_license_tier") != "paid":
        return None
    exempt_types = _listed(dataset.get("tdpf_fee_exempt_user_types")) or list(
        vocab.DEFAULT_FEE_EXEMPT_USER_TYPES)
    exemption = request.user_type if request.user_type in exempt_types else None
    charge = Charge(grant_id=grant.id, package_id=grant.package_id, user_id=grant.user_id,
                    amount_jpy=0 if exemption else int(dataset.get("tdpf_price_jpy") or 0),
                    price_unit=dataset.get("tdpf_price_unit"),
                    exemption=f"user_type:{exemption}" if exemption else None,
                    state="waived" if exemption else "due")
    model.Session.add(charge)
    payment.provider().charge_created(charge)
    return charge


def tdpf_access_request_withdraw(context: Context, data_dict: DataDict) -> dict:
    tk.check_access("tdpf_access_request_withdraw", context, data_dict)
    data = _validate(data_dict, schema.by_id(), context)
    request = model.Session.get(AccessRequest, data["id"])
    if request is None:
        raise tk.ObjectNotFound(bilingual(N_("Request not found")))
    if request.state != "pending":
        _fail("id", N_("Only pending requests can be withdrawn (this one is {state})."),
              state=request.state)
    request.state = "withdrawn"
    request.decided_at = now()
    model.Session.commit()
    return request.as_dict()


@tk.side_effect_free
def tdpf_access_grant_list(context: Context, data_dict: DataDict) -> list[dict]:
    """:param package_id: optional :param organization: optional (its datasets)
    :param user: optional :param active: optional boolean"""
    tk.check_access("tdpf_access_grant_list", context, data_dict)
    data = _validate(data_dict, schema.grant_list(), context)
    user = _current_user(context)
    query = _visible(model.Session.query(Grant), Grant.user_id, Grant.package_id, user,
                     data)
    if data.get("active") is True:
        query = query.filter(Grant.active_filter())
    elif data.get("active") is False:
        query = query.filter(~Grant.active_filter())
    return [g.as_dict() for g in query.order_by(Grant.created.desc()).limit(1000)]


def tdpf_access_grant_revoke(context: Context, data_dict: DataDict) -> dict:
    """Revoke a grant at once: its API tokens and sessions lose access on the next call."""
    tk.check_access("tdpf_access_grant_revoke", context, data_dict)
    data = _validate(data_dict, schema.grant_revoke(), context)
    grant = model.Session.get(Grant, data["id"])
    if grant is None:
        raise tk.ObjectNotFound(bilingual(N_("Grant not found")))
    if grant.revoked_at is None:
        grant.revoked_at = now()
        grant.revoked_by = _current_user(context).name
        grant.revoke_reason = data["reason"]
        model.Session.commit()
    return grant.as_dict()


def _period(data: dict, query, column):
    """``since`` (inclusive) and ``until`` (exclusive), validated as timestamps."""
    if data.get("since"):
        query = query.filter(column >= data["since"])
    if data.get("until"):
        query = query.filter(column < data["until"])
    return query


@tk.side_effect_free
def tdpf_access_usage_list(context: Context, data_dict: DataDict) -> list[dict]:
    """Every gated download or data read of a dataset: who, which resource, when, bytes,
    channel. :param package_id: :param since: optional :param until: optional"""
    tk.check_access("tdpf_access_usage_list", context, data_dict)
    data = _validate(data_dict, schema.usage_query(), context)
    package = _package(data["package_id"])
    query = _period(data, model.Session.query(Usage).filter(
        Usage.package_id == package.id), Usage.at)
    return [u.as_dict() for u in query.order_by(Usage.at.desc()).limit(10000)]


@tk.side_effect_free
def tdpf_access_usage_summary(context: Context, data_dict: DataDict) -> dict:
    """Downloads per day (Japan time) and per user of a dataset, for the provider's chart.
    :param package_id: :param since: optional :param until: optional"""
    tk.check_access("tdpf_access_usage_summary", context, data_dict)
    data = _validate(data_dict, schema.usage_query(), context)
    package = _package(data["package_id"])
    query = _period(data, model.Session.query(Usage).filter(
        Usage.package_id == package.id), Usage.at)
    day = func.date_trunc("day", func.timezone("Asia/Tokyo", Usage.at))
    per_day = query.with_entities(day, func.count(), func.coalesce(func.sum(Usage.bytes), 0)
                                  ).group_by(day).order_by(day).all()
    per_user = query.with_entities(Usage.user_id, func.count()).group_by(Usage.user_id).all()
    return {"package_id": package.id,
            "total": sum(count for _d, count, _b in per_day),
            "per_day": [{"day": d.date().isoformat(), "count": c, "bytes": int(b)}
                        for d, c, b in per_day],
            "per_user": [{"user_id": u, "count": c} for u, c in per_user]}


@tk.side_effect_free
def tdpf_access_charge_list(context: Context, data_dict: DataDict) -> list[dict]:
    """The charges of a dataset or an organization's datasets (their provider) or of a user
    (the user, sysadmins). :param package_id: optional :param organization: optional
    :param user: optional"""
    tk.check_access("tdpf_access_charge_list", context, data_dict)
    data = _validate(data_dict, schema.grant_list(), context)
    user = _current_user(context)
    query = model.Session.query(Charge)
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        query = query.filter(Charge.package_id == (package.id if package else "-"))
    elif data.get("organization"):
        query = _visible(query, Charge.user_id, Charge.package_id, user, data)
    else:
        target = model.User.get(data.get("user") or user.id)
        query = query.filter(Charge.user_id == (target.id if target else "-"))
    return [c.as_dict() for c in query.order_by(Charge.created.desc()).limit(10000)]


def tdpf_access_charge_update(context: Context, data_dict: DataDict) -> dict:
    """Move a charge from due to paid or waived (or back to due)."""
    tk.check_access("tdpf_access_charge_update", context, data_dict)
    data = _validate(data_dict, schema.charge_update(), context)
    charge = model.Session.get(Charge, data["id"])
    if charge is None:
        raise tk.ObjectNotFound(bilingual(N_("Charge not found")))
    charge.state = data["state"]
    charge.updated_by = _current_user(context).name
    charge.updated_at = now()
    payment.provider().charge_updated(charge)
    model.Session.commit()
    return charge.as_dict()


@tk.side_effect_free
def tdpf_access_charge_export(context: Context, data_dict: DataDict) -> dict:
    """The charges of a dataset as CSV (UTF-8 with BOM, for Excel) for invoicing."""
    charges = tdpf_access_charge_list(context, data_dict)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = ["id", "grant_id", "package_id", "user_id", "amount_jpy", "price_unit",
               "exemption", "state", "created", "updated_at", "updated_by"]
    writer.writerow(columns)
    for charge in charges:
        writer.writerow([charge[c] if charge[c] is not None else "" for c in columns])
    return {"filename": "tdpf-charges.csv", "csv": "\ufeff" + out.getvalue()}


def tdpf_access_org_apply(context: Context, data_dict: DataDict) -> dict:
    """Apply for a provider organization; an operator verifies it."""
    tk.check_access("tdpf_access_org_apply", context, data_dict)
    data = _validate(data_dict, schema.org_apply(), context)
    if model.Group.get(data["name"]) is not None:
        _fail("name", N_("That name is already taken."))
    application = OrganizationApplication(
        user_id=_current_user(context).id, name=data["name"], title=data["title"],
        description=data.get("description") or "", provider_type=data["provider_type"],
        municipality_code=data.get("municipality_code") or None,
        contact_email=data["contact_email"])
    model.Session.add(application)
    model.Session.commit()
    return application.as_dict()


def _verify_organization(context: Context, data: dict) -> dict:
    """An organization created by operators (or before TDPF): verify it as it is."""
    group = model.Group.get(data["id"])
    if group is None or not group.is_organization:
        raise tk.ObjectNotFound(bilingual(N_("Application not found")))
    decision = data["decision"]
    operator = _current_user(context)
    tk.get_action("organization_patch")({"user": operator.name, "ignore_auth": True}, {
        "id": group.id, "tdpf_verified": decision == "approve"})
    record = OrganizationApplication(
        user_id=operator.id, name=group.name, title=group.title,
        provider_type=(group.extras or {}).get("tdpf_provider_type") or "",
        municipality_code=(group.extras or {}).get("municipality_code"),
        contact_email="", organization_id=group.id, decided_by=operator.name,
        decided_at=now(), reason=data.get("reason") or "",
        state="approved" if decision == "approve" else "rejected")
    model.Session.add(record)
    model.Session.commit()
    return record.as_dict()


@tk.side_effect_free
def tdpf_access_org_application_list(context: Context, data_dict: DataDict) -> list[dict]:
    """The caller's applications (sysadmins: all). :param state: optional"""
    tk.check_access("tdpf_access_org_application_list", context, data_dict)
    data = _validate(data_dict, schema.application_list(), context)
    user = _current_user(context)
    query = model.Session.query(OrganizationApplication)
    if not user.sysadmin:
        query = query.filter(OrganizationApplication.user_id == user.id)
    if data.get("state"):
        query = query.filter(OrganizationApplication.state == data["state"])
    return [a.as_dict() for a in query.order_by(OrganizationApplication.created.desc())]


def tdpf_access_org_verify(context: Context, data_dict: DataDict) -> dict:
    """Operators decide an application (approving creates the organization, verified, with
    the applicant as its admin), or verify an existing organization directly.

    :param id: an application id, or the id or name of an organization
    :param decision: ``approve`` (default) or ``reject``
    :param reason: optional
    """
    tk.check_access("tdpf_access_org_verify", context, data_dict)
    data = _validate(data_dict, schema.org_verify(), context)
    application = model.Session.get(OrganizationApplication, data["id"])
    if application is None:
        return _verify_organization(context, data)
    if application.state != "pending":
        _fail("id", N_("Only pending applications can be decided (this one is {state})."),
              state=application.state)
    decision = data["decision"]
    operator = _current_user(context)
    application.decided_by, application.decided_at = operator.name, now()
    application.reason = data.get("reason") or ""
    if decision == "approve":
        applicant = model.User.get(application.user_id)
        org = {"name": application.name, "title": application.title,
               "description": application.description,
               "tdpf_provider_type": application.provider_type, "tdpf_verified": True,
               "users": [{"name": applicant.name, "capacity": "admin"}] if applicant else []}
        if application.municipality_code:
            org["municipality_code"] = application.municipality_code
        created = tk.get_action("organization_create")(
            {"user": operator.name, "ignore_auth": True}, org)
        application.organization_id = created["id"]
        application.state = "approved"
    else:
        application.state = "rejected"
    model.Session.commit()
    return application.as_dict()
