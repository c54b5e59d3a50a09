"""Who may call the access actions. Auth functions answer, they never raise."""
from __future__ import annotations

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ..model import AccessRequest, Charge, Grant

__all__ = [
    "tdpf_access_request_create", "tdpf_access_request_show", "tdpf_access_request_list",
    "tdpf_access_request_decide", "tdpf_access_request_withdraw", "tdpf_access_grant_list",
    "tdpf_access_grant_revoke", "tdpf_access_usage_list", "tdpf_access_usage_summary",
    "tdpf_access_charge_list", "tdpf_access_charge_update", "tdpf_access_org_apply",
    "tdpf_access_org_verify", "tdpf_access_org_application_list",
]


def _user(context: Context) -> model.User | None:
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    return model.User.get(context.get("user") or "")


def _text(data_dict: DataDict, key: str) -> str:
    """A key's value when it is text (anything else names nothing; the action's
    validation reports it)."""
    value = data_dict.get(key)
    return value if isinstance(value, str) else ""


def _allow(allowed: bool, message: str = "") -> AuthResult:
    return {"success": allowed, "msg": "" if allowed else message}


def is_provider(user: model.User | None, package_id: str | None) -> bool:
    """Editors and admins of the organization that owns the dataset (and sysadmins)."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    package = model.Package.get(package_id or "")
    if package is None or not package.owner_org:
        return False
    return authz.users_role_for_group_or_org(package.owner_org, user.name) in (
        "editor", "admin")


def _logged_in(context: Context) -> AuthResult:
    return _allow(_user(context) is not None, tk._("You must be logged in."))


def tdpf_access_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def tdpf_access_request_show(context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    request = model.Session.get(AccessRequest, _text(data_dict, "id"))
    if user is None or request is None:
        return _allow(False, tk._("Not authorized to see this request."))
    return _allow(request.user_id == user.id or is_provider(user, request.package_id),
                  tk._("Not authorized to see this request."))


def tdpf_access_request_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def tdpf_access_request_decide(context: Context, data_dict: DataDict) -> AuthResult:
    request = model.Session.get(AccessRequest, _text(data_dict, "id"))
    return _allow(request is not None and is_provider(_user(context), request.package_id),
                  tk._("Only the providing organization's editors and admins can decide."))


def tdpf_access_request_withdraw(context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    request = model.Session.get(AccessRequest, _text(data_dict, "id"))
    return _allow(user is not None and request is not None and request.user_id == user.id,
                  tk._("Only the requester can withdraw a request."))


def tdpf_access_grant_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def tdpf_access_grant_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    grant = model.Session.get(Grant, _text(data_dict, "id"))
    return _allow(grant is not None and is_provider(_user(context), grant.package_id),
                  tk._("Only the providing organization and operators can revoke a grant."))


def tdpf_access_usage_list(context: Context, data_dict: DataDict) -> AuthResult:
    package = model.Package.get(_text(data_dict, "package_id"))
    return _allow(package is not None and is_provider(_user(context), package.id),
                  tk._("Only the providing organization and operators can see usage."))


tdpf_access_usage_summary = tdpf_access_usage_list


def tdpf_access_charge_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    if user is None:
        return _allow(False, tk._("You must be logged in."))
    if data_dict.get("package_id"):
        return _allow(is_provider(user, _text(data_dict, "package_id")),
                      tk._("Only the providing organization and operators can see charges."))
    if data_dict.get("organization"):
        org = model.Group.get(_text(data_dict, "organization"))
        return _allow(org is not None and (user.sysadmin or authz.users_role_for_group_or_org(
            org.id, user.name) in ("editor", "admin")),
                      tk._("Only the providing organization and operators can see charges."))
    target = model.User.get(_text(data_dict, "user") or user.id)
    return _allow(user.sysadmin or (target is not None and target.id == user.id),
                  tk._("Users see only their own charges."))


def tdpf_access_charge_update(context: Context, data_dict: DataDict) -> AuthResult:
    charge = model.Session.get(Charge, _text(data_dict, "id"))
    return _allow(charge is not None and is_provider(_user(context), charge.package_id),
                  tk._("Only the providing organization and operators can update charges."))


def tdpf_access_org_apply(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def tdpf_access_org_verify(context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    return _allow(user is not None and user.sysadmin,
                  tk._("Only operators verify organizations."))


tdpf_access_org_application_list = tdpf_access_org_apply
