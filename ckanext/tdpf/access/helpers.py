"""Template helpers of tdpf_access."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import vocabularies as vocab

from . import entitlement
from .model import AccessRequest, Grant

__all__ = ["tdpf_access_state_label", "tdpf_access_status", "tdpf_access_label",
           "tdpf_access_pending_count", "tdpf_access_is_provider", "tdpf_access_error_title",
           "tdpf_access_refused"]
JST = datetime.timezone(datetime.timedelta(hours=9))


def tdpf_access_state_label(state: str) -> str:
    labels = {"pending": tk._("Pending"), "approved": tk._("Approved"),
              "rejected": tk._("Rejected"), "withdrawn": tk._("Withdrawn"),
              "due": tk._("Due"), "paid": tk._("Paid"), "waived": tk._("Waived"),
              "expired": tk._("Expired"), "revoked": tk._("Revoked"),
              "none": tk._("Not requested")}
    return labels.get(state, state)


def tdpf_access_label(kind: str, code: str | None) -> str:
    """A purpose, user type or provider type in the page's language, never its code."""
    table = {"purpose": vocab.PURPOSES, "user_type": vocab.USER_TYPES,
             "provider_type": vocab.PROVIDER_TYPES}.get(kind, {})
    pair = table.get(code or "")
    if pair is None:
        return code or ""
    return pair[1] if tk.h.lang() == "en" else pair[0]


def tdpf_access_status(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The caller's standing with a shared dataset's files, for the dataset and resource
    pages: ``state`` is one of anonymous, provider, approved (with ``until``, a date in Japan
    time), pending, rejected, expired, revoked or none; ``can_download`` and
    ``can_request`` say which action fits."""
    user = tk.current_user if tk.current_user.is_authenticated else None
    status: dict[str, Any] = {"state": "anonymous", "until": None, "can_download": False,
                              "can_request": True}
    if user is None:
        return status
    if entitlement.entitled(user, pkg_dict["id"], pkg_dict.get("owner_org")):
        grant = Grant.active_for(user.id, pkg_dict["id"])
        if grant is None:
            return dict(status, state="provider", can_download=True, can_request=False)
        return dict(status, state="approved", can_download=True, can_request=False,
                    until=grant.valid_until.astimezone(JST).date().isoformat())
    from ckan import model
    latest_grant = (model.Session.query(Grant).filter(
        Grant.user_id == user.id, Grant.package_id == pkg_dict["id"])
        .order_by(Grant.created.desc()).first())
    latest_request = (model.Session.query(AccessRequest).filter(
        AccessRequest.user_id == user.id, AccessRequest.package_id == pkg_dict["id"])
        .order_by(AccessRequest.created.desc()).first())
    if latest_request is not None and latest_request.state == "pending":
        return dict(status, state="pending", can_request=False)
    if latest_grant is not None and (latest_request is None or
                                     latest_request.state == "approved"):
        state = "revoked" if latest_grant.revoked_at is not None else "expired"
        return dict(status, state=state,
                    until=latest_grant.valid_until.astimezone(JST).date().isoformat())
    if latest_request is not None and latest_request.state == "rejected":
        return dict(status, state="rejected")
    return dict(status, state="none")


def tdpf_access_is_provider(org_id: str) -> bool:
    """Whether the caller decides the organization's requests (its editors and admins,
    operators)."""
    user = tk.current_user if tk.current_user.is_authenticated else None
    if user is None:
        return False
    return user.sysadmin or tk.h.check_access("tdpf_access_charge_list",
                                              {"organization": org_id})


def tdpf_access_pending_count(org_id: str) -> int:
    """Requests waiting for a decision on an organization's datasets (for its editors)."""
    from ckan import model
    if not tdpf_access_is_provider(org_id):
        return 0
    return (model.Session.query(AccessRequest).join(
        model.Package, model.Package.id == AccessRequest.package_id).filter(
        model.Package.owner_org == org_id, AccessRequest.state == "pending").count())



def tdpf_access_error_title(code: Any) -> str:
    """An error page's heading in the page's language."""
    titles = {400: tk._("The request could not be understood"),
              401: tk._("Please log in"),
              403: tk._("You are not allowed to see this"),
              404: tk._("Not found"),
              405: tk._("This method is not allowed here"),
              409: tk._("The request conflicts with the current state"),
              413: tk._("The upload is too large"),
              429: tk._("Too many requests"),
              500: tk._("Something went wrong on our side"),
              502: tk._("The file's server did not answer properly"),
              503: tk._("The service is temporarily unavailable")}
    try:
        number = int(code[0] if isinstance(code, (list, tuple)) else code)
    except (TypeError, ValueError):
        number = 500
    return titles.get(number, tk._("Error {code}").format(code=number))


def tdpf_access_refused() -> dict[str, Any] | None:
    """Set by the gate when it refused a shared dataset's file in this request."""
    from flask import g
    return g.get("tdpf_access_refused")
