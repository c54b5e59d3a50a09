"""The gate where a shared dataset's files leave the site: every route of every blueprint.

Deny by default. A request whose URL names a shared dataset, one of its resources, resource
views or stored files (in the path or the query string) reaches its view only when the
caller is entitled (``entitlement.entitled``), unless the view is one of ``METADATA_VIEWS``:
pages reviewed to show what the redacting actions return (name, format, size, data rate,
the request link) and never a file's address or content. So a route that CKAN, another
plugin or a later release adds is refused for shared data until someone reviews it.

Downloads (``COUNTED_VIEWS``) by a grantee are recorded as usage and limited by the grant's
daily quota. Everything is checked per request: a revoked or expired grant stops its API
tokens and sessions at once.
"""
from __future__ import annotations

import datetime
import functools
import uuid
from typing import Any, Callable, Iterable

from flask import current_app, g, request
from sqlalchemy import func, text

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib.i18n import N_, bilingual

from . import entitlement
from .model import Grant, Usage, now

JST = datetime.timezone(datetime.timedelta(hours=9))

# Views that show shared data only as the redacting actions return it (reviewed; the leak
# matrix and the route walk in the tests hold them to it). Keys: module.qualname of the
# view function, or of the class for class-based views.
METADATA_VIEWS = frozenset({
    "ckan.views.dataset.read", "ckan.views.dataset.search", "ckan.views.dataset.followers",
    "ckan.views.dataset.follow", "ckan.views.dataset.unfollow", "ckan.views.dataset.GroupView",
    "ckan.views.resource.read",
    "ckanext.activity.views.package_activity", "ckanext.activity.views.package_changes",
    "ckanext.activity.views.package_changes_multiple", "ckanext.activity.views.package_history",
    "ckanext.dcat.blueprints.read_dataset", "ckanext.dcat.blueprints.read_catalog",
    "ckanext.tdpf.schema.views.badge",  # a resource's data-rate badge (its stage only)
    "ckanext.tdpf.schema.views.findings",  # rules, severities and counts of redacted findings
})
# Whole modules whose views never serve a resource's file or address: users, groups and
# organizations, the action API (every action applies the entitlement itself), feeds
# (built from package_search), the site's own pages, assets, and this plugin's pages.
METADATA_MODULES = ("ckan.views.user", "ckan.views.group", "ckan.views.admin",
                    "ckan.views.dashboard", "ckan.views.home", "ckan.views.api",
                    "ckan.views.feed", "ckan.views.util", "ckan.config.middleware",
                    "flask.app", "ckanext.tdpf.access.views")
# Views that hand out a file's content: each use by a grantee is recorded and counted.
COUNTED_VIEWS = frozenset({
    "ckan.views.resource.download", "ckanext.datastore.blueprint.dump",
    "ckan.views.file.download", "ckan.views.file.trusted_download",
    "ckanext.datatablesview.blueprint.filtered_download",
})
MAX_NAMED = 20          # URL values looked up per request (view arguments and query)
MAX_VALUE_LENGTH = 200  # longer values name nothing the site stores

# The shared datasets a set of values names, as a dataset, resource, view or stored file,
# and the dataset of a removed resource (or its stored file) they name: taken out by a save,
# it may have been a shared dataset's file, whatever the dataset is now.
SHARED_NAMED = text("""
    SELECT p.id, p.owner_org FROM package p
    WHERE (p.extras ->> 'tdpf_distribution' = 'shared' OR p.id IN (
        SELECT r.package_id FROM resource r WHERE r.state <> 'active' AND (
            r.id = ANY(:values) OR r.id IN (
                SELECT o.owner_id FROM file_owner o
                WHERE o.owner_type = 'resource' AND o.file_id = ANY(:values)))))
    AND p.id IN (
        SELECT id FROM package WHERE id = ANY(:values) OR name = ANY(:values)
        UNION SELECT package_id FROM resource WHERE id = ANY(:values)
        UNION SELECT r.package_id FROM resource_view v JOIN resource r ON r.id = v.resource_id
              WHERE v.id = ANY(:values)
        UNION SELECT r.package_id FROM file_owner o JOIN resource r ON r.id = o.owner_id
              WHERE o.owner_type = 'resource' AND o.file_id = ANY(:values)
        UNION SELECT o.owner_id FROM file_owner o
              WHERE o.owner_type = 'package' AND o.file_id = ANY(:values))
""")


def view_key(view: Callable[..., Any]) -> str:
    target = getattr(view, "view_class", view)
    return f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', '')}"


@functools.lru_cache(maxsize=None)
def _kind_of(key: str) -> str:
    if key in COUNTED_VIEWS:
        return "counted"
    if key in METADATA_VIEWS or key.startswith(tuple(m + "." for m in METADATA_MODULES)):
        return "metadata"
    return "gated"


def kind(endpoint: str | None) -> str:
    """``metadata``, ``counted`` or ``gated`` (the default, for any view not reviewed)."""
    view = current_app.view_functions.get(endpoint or "")
    return _kind_of(view_key(view)) if view is not None else "metadata"


def _named_values() -> list[str]:
    """What the URL names: path arguments, query values, and the file a trusted-download
    token stands for."""
    values: list[str] = []
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str):
            values.append(value)
            if key == "token":
                values.extend(_token_subject(value))
    values.extend(v for v in request.args.values() if isinstance(v, str))
    return [v for v in values if 0 < len(v) <= MAX_VALUE_LENGTH][:MAX_NAMED]


def _token_subject(token: str) -> Iterable[str]:
    from ckan.lib import api_token
    try:
        data = api_token.decode_token(token, audience="trusted_download")
    except Exception:  # noqa: BLE001 - an invalid token names nothing; the view refuses it
        return []
    subject = data.get("sub")
    return [subject] if isinstance(subject, str) else []


def shared_named(values: list[str]) -> list[tuple[str, str | None]]:
    """(package id, owner org) of every shared dataset the values name, and of every
    dataset whose removed resource (or its stored file) they name."""
    if not values:
        return []
    return [tuple(row) for row in model.Session.execute(SHARED_NAMED, {"values": values})]


def _refuse(user: model.User | None, package_id: str) -> Any:
    _tell_the_error_page(package_id)
    return tk.abort(403 if user else 401, bilingual(
        N_("The files of this shared dataset are available only with an approved "
           "access request.")))


def check_file_access() -> Any:
    """Flask ``before_request``: refuse, count or let through."""
    what = kind(request.endpoint)
    if what == "metadata":
        return None
    values = _named_values()
    shared = shared_named(values)
    if not shared:
        return None
    user = tk.current_user if tk.current_user.is_authenticated else None
    for package_id, owner_org in shared:
        if not entitlement.entitled(user, package_id, owner_org):
            return _refuse(user, package_id)
    if what != "counted" or user is None:
        return None
    for package_id, _owner in shared:
        grant = entitlement.active_grant(user.id, package_id)
        if grant is None:  # sysadmin or member of the providing organization: not counted
            continue
        if grant.daily_quota and downloads_today(grant) >= grant.daily_quota:
            _tell_the_error_page(package_id, quota=True)
            return tk.abort(429, bilingual(
                N_("The daily download limit of this grant ({quota}) is reached; it resets "
                   "at midnight (Japan time)."), quota=grant.daily_quota))
        resource = _resource_named(package_id, values)
        record_usage(grant_id=grant.id, package_id=package_id,
                     resource_id=resource.id if resource else "",
                     user_id=user.id, bytes=resource.size if resource else None,
                     channel="api" if request.headers.get("Authorization") else "web")
    return None


def _tell_the_error_page(package_id: str, quota: bool = False) -> None:
    """What the error page links to: the dataset's request page and the caller's
    requests."""
    package = model.Package.get(package_id)
    g.tdpf_access_refused = {"dataset": package.name if package else package_id,
                             "quota": quota}


def _resource_named(package_id: str, values: list[str]) -> model.Resource | None:
    """The resource of the package that the URL names (the datastore dump and file routes
    name only the resource or file)."""
    query = model.Session.query(model.Resource).filter(model.Resource.package_id == package_id)
    found = query.filter(model.Resource.id.in_(values)).first()
    if found is None:
        owned = model.Session.query(model.FileOwner.owner_id).filter(
            model.FileOwner.owner_type == "resource", model.FileOwner.file_id.in_(values))
        found = query.filter(model.Resource.id.in_(owned.scalar_subquery())).first()
    if found is None:
        viewed = model.Session.query(model.ResourceView.resource_id).filter(
            model.ResourceView.id.in_(values))
        found = query.filter(model.Resource.id.in_(viewed.scalar_subquery())).first()
    return found


_USAGE_COLUMNS = [column.name for column in Usage.__table__.columns]
# One round trip: the transaction, its setting and the row sent together.
_RECORD_USAGE = ("BEGIN; SET LOCAL synchronous_commit TO OFF; INSERT INTO "
                 f"{Usage.__tablename__} ({', '.join(_USAGE_COLUMNS)}) VALUES ("
                 + ", ".join(f"%({name})s" for name in _USAGE_COLUMNS) + "); COMMIT")


def record_usage(**row: Any) -> None:
    """Record one use, committed at once in a transaction of its own: committing the
    request's session instead would expire everything it loaded, and the download would
    read it all again. A usage record is statistics, not money (charges are per grant): it
    need not wait for the WAL flush, which would otherwise dominate the overhead."""
    values = dict.fromkeys(_USAGE_COLUMNS)
    values.update(id=str(uuid.uuid4()), at=now(), **row)
    with model.meta.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as connection:
        try:
            connection.exec_driver_sql(_RECORD_USAGE, values)
        except Exception:
            connection.invalidate()  # its transaction may be left open: not reused
            raise


def downloads_today(grant: Grant) -> int:
    start = datetime.datetime.now(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    return (model.Session.query(func.count(Usage.id))
            .filter(Usage.grant_id == grant.id, Usage.at >= start).scalar() or 0)
