"""Core actions and auth functions the access layer narrows."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import lookup_package_plugin, plugin_validate
from ckan.types import AuthResult, Context, DataDict

from ckanext.tdpf.lib import validation
from ckanext.tdpf.lib.i18n import N_, bilingual

from .. import entitlement
from ..model import OrganizationApplication
from ..views import APPLICATIONS_PATH


def _text(value: Any) -> str:
    """An id as given, when it is text: anything else names nothing (the core action
    reports it)."""
    return value if isinstance(value, str) else ""


def _package_of_resource(resource_id: Any) -> model.Package | None:
    resource = model.Resource.get(_text(resource_id))
    return resource.package if resource is not None else None


def _blocked(context: Context, package: model.Package | None) -> bool:
    return (package is not None and entitlement.is_shared(package) and not
            entitlement.entitled(entitlement.user_of(context), package.id, package.owner_org))


def _closed(context: Context, resource_id: Any) -> bool:
    """A resource's file is not for this caller: its dataset is shared, or the resource was
    taken out of its dataset by a save (it may have been shared then)."""
    resource = model.Resource.get(_text(resource_id))
    if resource is None or resource.package is None:
        return False
    package = resource.package
    return _blocked(context, package) or (resource.state != "active" and not (
        entitlement.entitled(entitlement.user_of(context), package.id, package.owner_org)))


@tk.chained_action
@tk.side_effect_free
def resource_view_list(original_action, context: Context, data_dict: DataDict) -> Any:
    """Views render a file's content: none for callers without access."""
    validation.check_shapes(data_dict)
    if _closed(context, data_dict.get("id")):
        tk.check_access("resource_view_list", context, data_dict)
        return []
    return original_action(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def resource_view_show(original_action, context: Context, data_dict: DataDict) -> Any:
    validation.check_shapes(data_dict)
    view = model.ResourceView.get(_text(data_dict.get("id")))
    if view is not None and _closed(context, view.resource_id):
        raise tk.NotAuthorized(bilingual(N_("The files of this shared dataset are available "
                                            "only with an approved access request.")))
    return original_action(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def resource_search(original_action, context: Context, data_dict: DataDict) -> Any:
    """Resources of shared datasets are left out for callers without access: a query on
    their URL must find nothing, not even a count."""
    validation.check_shapes(data_dict)
    result = original_action(context, data_dict)
    kept = [r for r in result.get("results", [])
            if not _blocked(context, model.Package.get(_text(r.get("package_id"))))]
    removed = len(result.get("results", [])) - len(kept)
    return dict(result, results=kept, count=max(0, result.get("count", 0) - removed))


def _verified(org_id: str | None) -> bool:
    """Verified by an operator: the organization's flag, or else the latest decision."""
    group = model.Group.get(_text(org_id))
    if group is None:
        return False
    flag = str((group.extras or {}).get("tdpf_verified", "")).lower()
    if flag in ("true", "false"):
        return flag == "true"
    latest = (model.Session.query(OrganizationApplication)
              .filter(OrganizationApplication.organization_id == group.id)
              .order_by(OrganizationApplication.decided_at.desc()).first())
    return latest is not None and latest.state == "approved"


def _require_verified(context: Context, data_dict: DataDict, action: str) -> None:
    """Shared data only from verified organizations. The refusal comes with the other
    fields' errors, in one round, and says where to apply."""
    if data_dict.get("tdpf_distribution") != "shared" or _verified(data_dict.get("owner_org")):
        return
    refusal = bilingual(N_("Only organizations verified by the operator can publish shared "
                           "data. Apply for verification at {url}"),
                        url=tk.config["ckan.site_url"].rstrip("/") + APPLICATIONS_PATH)
    errors = _other_errors(context, data_dict, action)
    errors["owner_org"] = [*errors.get("owner_org", []), refusal]
    raise tk.ValidationError(errors)


def _other_errors(context: Context, data_dict: DataDict, action: str) -> dict[str, Any]:
    """What the dataset's own validation says of the rest (as the action would)."""
    data_dict = dict(data_dict, type=data_dict.get("type") or "dataset")  # as the action does
    package_plugin = lookup_package_plugin(data_dict["type"])
    schema = context.get("schema") or (package_plugin.create_package_schema()
                                       if action == "package_create" else
                                       package_plugin.update_package_schema())
    _data, errors = plugin_validate(package_plugin, dict(context), dict(data_dict), schema,
                                    action)
    return dict(errors or {})


@tk.chained_action
def package_create(original_action, context: Context, data_dict: DataDict) -> Any:
    validation.check_shapes(data_dict)
    _require_verified(context, data_dict, "package_create")
    return original_action(context, data_dict)


@tk.chained_action
def package_update(original_action, context: Context, data_dict: DataDict) -> Any:
    validation.check_shapes(data_dict)
    if data_dict.get("tdpf_distribution") == "shared" and not data_dict.get("owner_org"):
        existing = model.Package.get(_text(data_dict.get("id")) or
                                     _text(data_dict.get("name")))
        data_dict = dict(data_dict, owner_org=existing.owner_org if existing else None)
    _require_verified(context, data_dict, "package_update")
    return original_action(context, data_dict)


@tk.chained_auth_function
def organization_create(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Users apply for an organization (tdpf_access_org_apply); operators create them."""
    user = entitlement.user_of(context)
    if user is None or not user.sysadmin:
        return {"success": False, "msg": tk._("Apply for an organization; operators "
                                              "verify and create it.")}
    return next_auth(context, data_dict)


def _removed(resource_id: Any) -> bool:
    """A resource taken out of its dataset by a save keeps its DataStore table (the
    DataStore drops it only on ``resource_delete``): it may have been a shared dataset's
    file, whatever the dataset is now."""
    resource = model.Resource.get(_text(resource_id))
    return resource is not None and resource.state != "active"


def _datastore_auth(name: str):
    """The DataStore serves a file's rows: gate it like the file itself; a removed file's
    rows are for no one (sysadmins pass before this runs)."""
    def auth(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
        resource_id = data_dict.get("resource_id") or data_dict.get("id")
        if resource_id and _blocked(context, _package_of_resource(resource_id)):
            return {"success": False, "msg": bilingual(N_(
                "The files of this shared dataset are available only with an approved "
                "access request."))}
        if resource_id and _removed(resource_id):
            return {"success": False, "msg": bilingual(N_(
                "This file was removed from its dataset; its rows are not served."))}
        if name == "datastore_search_sql" and not _sql_allowed(context):
            return {"success": False, "msg": tk._("Only sysadmins may query the DataStore "
                                                  "with SQL on this site.")}
        return next_auth(context, data_dict)
    auth.__name__ = name
    return tk.chained_auth_function(auth)


def _sql_allowed(context: Context) -> bool:
    """SQL can join any table, shared ones included: sysadmins only."""
    user = entitlement.user_of(context)
    return user is not None and user.sysadmin


def _datastore_action(name: str):
    """The DataStore's read actions, with the ids and counts checked first."""
    @tk.side_effect_free
    def action(original_action, context: Context, data_dict: DataDict) -> Any:
        validation.check_shapes(data_dict)
        return original_action(context, data_dict)
    action.__name__ = name
    return tk.chained_action(action)


DATASTORE_ACTIONS = {name: _datastore_action(name) for name in
                     ("datastore_search", "datastore_info")}
DATASTORE_AUTH = {name: _datastore_auth(name) for name in
                  ("datastore_search", "datastore_info", "datastore_search_sql")}

ACTIONS = {"resource_view_list": resource_view_list, "resource_view_show": resource_view_show,
           "resource_search": resource_search, "package_create": package_create,
           "package_update": package_update}
AUTH = {"organization_create": organization_create}
