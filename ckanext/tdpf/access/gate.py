"""The gate in front of a shared dataset's files: downloads, resource views, the resource
proxy and datastore dumps. Checked per request (a revoked grant or an expired one stops
its API tokens and sessions at once), recorded as usage, limited by the daily quota."""
from __future__ import annotations

import datetime
from typing import Any

from flask import g, request

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import func, text

from ckanext.tdpf.lib.i18n import N_, bilingual

from . import entitlement
from .model import Grant, Usage

JST = datetime.timezone(datetime.timedelta(hours=9))
GATED = ("resource.download", "_resource.download", "resource.view", "_resource.view",
         "resource_proxy.proxy_view", "datastore.dump")
COUNTED = ("resource.download", "_resource.download", "datastore.dump")


def _gated(endpoint: str) -> bool:
    return any(endpoint == name or endpoint.endswith(name) for name in GATED)


def check_file_access() -> Any:
    endpoint = request.endpoint or ""
    if not _gated(endpoint):
        return None
    resource = model.Resource.get((request.view_args or {}).get("resource_id") or "")
    if resource is None or resource.package is None:
        return None
    package = resource.package
    if not entitlement.is_shared(package):
        return None
    # the logged-in user is already loaded (flask-login's model.User)
    user = tk.current_user if tk.current_user.is_authenticated else None
    if user is not None and (user.sysadmin or entitlement.is_member(user, package.owner_org)):
        return None
    grant = Grant.active_for(user.id, package.id) if user is not None else None
    if user is not None:  # what the resource_show of this request will ask again
        g.setdefault("tdpf_access_entitled", {})[(user.id, package.id)] = grant is not None
    if grant is None:
        return tk.abort(403 if user else 401, bilingual(
            N_("The files of this shared dataset are available only with an approved "
               "access request.")))
    if any(endpoint == name or endpoint.endswith(name) for name in COUNTED):
        if grant.daily_quota and downloads_today(grant) >= grant.daily_quota:
            return tk.abort(429, bilingual(
                N_("The daily download limit of this grant ({quota}) is reached; it resets "
                   "at midnight (Japan time)."), quota=grant.daily_quota))
        record_usage(grant_id=grant.id, package_id=package.id, resource_id=resource.id,
                     user_id=user.id, bytes=resource.size,
                     channel="api" if request.headers.get("Authorization") else "web")
    return None


def record_usage(**row: Any) -> None:
    """Record one use, committed at once in a transaction of its own: committing the
    request's session instead would expire everything it loaded, and the download would
    read it all again. A usage record is statistics, not money (charges are per grant): it
    need not wait for the WAL flush, which would otherwise dominate the overhead."""
    with model.meta.engine.begin() as connection:
        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        connection.execute(Usage.__table__.insert(), [row])


def downloads_today(grant: Grant) -> int:
    start = datetime.datetime.now(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    return (model.Session.query(func.count(Usage.id))
            .filter(Usage.grant_id == grant.id, Usage.at >= start).scalar() or 0)
