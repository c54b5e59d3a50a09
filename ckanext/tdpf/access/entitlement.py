"""Who may have a shared dataset's files, and what everyone else sees instead.

One check (``entitled``) decides for every read path: sysadmins, members of the owning
organization and holders of an active grant. Everyone else gets ``redacted`` resources:
name, format, size and data rate stay; URLs, upload paths and anything drawn from the
file's content go, replaced by the address of the request page.
"""
from __future__ import annotations

import copy
import functools
import json
from typing import Any

from flask import g, has_request_context

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.dictization import model_dictize

from .model import Grant

RESTRICTED = "restricted"
# Resource keys that stay visible to everyone (metadata, not data).
PUBLIC_RESOURCE_KEYS = {
    "id", "package_id", "name", "description", "format", "size", "position", "created",
    "metadata_modified", "last_modified", "resource_type", "mimetype", "state",
    "tdpf_mr_stage", "tdpf_mr_l1", "tdpf_mr_l2", "tdpf_mr_l3", "tdpf_mr_checked_at",
    "tdpf_mr_error", "tdpf_mr_format", "tdpf_mr_not_judged", "name_translated",
    "description_translated",
}
# A resource field the dataset schema marks ``tdpf_metadata: true`` (what another plugin
# records about a file, e.g. which file tdpf_prep prepared it from) stays visible as well.
METADATA_MARK = "tdpf_metadata"


@functools.lru_cache(maxsize=8)
def public_resource_keys(dataset_type: str = "dataset") -> frozenset[str]:
    """``PUBLIC_RESOURCE_KEYS`` and the schema's resource fields marked as metadata."""
    try:
        from ckanext.scheming.helpers import scheming_get_dataset_schema
        schema = scheming_get_dataset_schema(dataset_type) or {}
    except (ImportError, KeyError):  # scheming not loaded: the fixed set only
        schema = {}
    marked = {field["field_name"] for field in schema.get("resource_fields") or []
              if field.get(METADATA_MARK)}
    return frozenset(PUBLIC_RESOURCE_KEYS | marked)


def is_shared(dataset: dict[str, Any] | model.Package | None) -> bool:
    if dataset is None:
        return False
    if isinstance(dataset, model.Package):
        return (dataset.extras or {}).get("tdpf_distribution") == "shared"
    return dataset.get("tdpf_distribution") == "shared"


def user_of(context: dict[str, Any]) -> model.User | None:
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    name = context.get("user")
    return model.User.get(name) if name else None


def entitled(user: model.User | None, package_id: str, owner_org: str | None) -> bool:
    """Memoized for the request: one download asks it on the gate and again on show."""
    if user is None or user.state != "active":
        return False
    if not has_request_context():
        return _entitled(user, package_id, owner_org)
    cache = g.setdefault("tdpf_access_entitled", {})
    key = (user.id, package_id)
    if key not in cache:
        cache[key] = _entitled(user, package_id, owner_org)
    return cache[key]


def is_member(user: model.User, owner_org: str | None) -> bool:
    """Whether the user has any role in the organization (an id): what
    ``authz.users_role_for_group_or_org`` answers, in one query instead of two, since
    every gated download asks."""
    if not owner_org:
        return False
    return model.Session.query(model.Member.capacity).filter(
        model.Member.group_id == owner_org, model.Member.table_name == "user",
        model.Member.table_id == user.id, model.Member.state == "active").first() is not None


def _entitled(user: model.User, package_id: str, owner_org: str | None) -> bool:
    if user.sysadmin:
        return True
    # the grant first: a grantee's download then needs one query, and the gate counts it
    # against the same grant (``active_grant`` is memoized)
    if active_grant(user.id, package_id) is not None:
        return True
    return is_member(user, owner_org)


def active_grant(user_id: str, package_id: str) -> Grant | None:
    """``Grant.active_for``, memoized for the request (the gate asks it to decide and
    again to count the download)."""
    if not has_request_context():
        return Grant.active_for(user_id, package_id)
    cache = g.setdefault("tdpf_access_grants", {})
    key = (user_id, package_id)
    if key not in cache:
        cache[key] = Grant.active_for(user_id, package_id)
    return cache[key]


def file_allows(context: dict[str, Any], file: model.File, operation: str) -> bool | None:
    """CKAN's file permissions (IFiles): a file owned by a shared dataset or one of its
    resources is refused to callers without access, and so is the file of a resource
    removed from its dataset by a save (the dataset may have been shared then and open
    now); anything else is CKAN's to decide."""
    owner = file.owner
    if owner is None or owner.owner_type not in ("resource", "package"):
        return None
    resource = model.Resource.get(owner.owner_id) if owner.owner_type == "resource" else None
    package = (model.Package.get(owner.owner_id) if owner.owner_type == "package" else
               getattr(resource, "package", None))
    removed = resource is not None and resource.state != "active"
    if package is None or not (is_shared(package) or removed):
        return None
    return None if entitled(user_of(context), package.id, package.owner_org) else False


def request_page(dataset: dict[str, Any]) -> str:
    site = tk.config["ckan.site_url"].rstrip("/")
    return f"{site}/dataset/{dataset.get('name') or dataset.get('id')}/access"


def redact_resource(resource: dict[str, Any], page: str) -> dict[str, Any]:
    keys = public_resource_keys()
    kept = {key: value for key, value in resource.items() if key in keys}
    kept["url"] = page
    kept["url_type"] = None
    kept["tdpf_access"] = RESTRICTED
    # The rule list stays; messages and locations quote the file (column names, cells).
    kept["tdpf_mr_findings"] = [
        {key: finding.get(key) for key in ("rule", "level", "severity", "title", "count",
                                           "judgment")}
        for finding in resource.get("tdpf_mr_findings") or [] if isinstance(finding, dict)]
    return kept


def redact_dataset(dataset: dict[str, Any]) -> dict[str, Any]:
    """A copy of a shared dataset as anyone without access sees it."""
    page = request_page(dataset)
    redacted = dict(dataset)
    redacted["resources"] = [redact_resource(r, page) for r in dataset.get("resources") or []]
    return redacted


def restore_resources(dataset: dict[str, Any]) -> None:
    """For the entitled: resources read back from the search index were stored redacted;
    put back their addresses from the database."""
    if not any(r.get("tdpf_access") == RESTRICTED for r in dataset.get("resources") or []):
        return
    addresses = _addresses(dataset["id"])
    for resource in dataset.get("resources") or []:
        address = addresses.get(resource.get("id"))
        if address is not None and resource.get("tdpf_access") == RESTRICTED:
            resource.update({"url": address[0], "url_type": address[1]})
            resource.pop("tdpf_access", None)


def _addresses(package_id: str) -> dict[str, tuple[str, str | None]]:
    """Resource id → (address as CKAN gives it, url_type) of a dataset's resources (an
    upload's address is its download URL); memoized for the request (a download shows
    the dataset twice)."""
    cache = g.setdefault("tdpf_access_addresses", {}) if has_request_context() else {}
    if package_id not in cache:
        context = {"model": model, "session": model.Session}
        cache[package_id] = {
            row.id: (model_dictize.resource_dictize(row, context)["url"], row.url_type)
            for row in model.Session.query(model.Resource).filter(
                model.Resource.package_id == package_id)}
    return cache[package_id]


def filter_dataset_for(context: dict[str, Any], dataset: dict[str, Any]) -> None:
    """In place: what this caller may see of a (possibly shared) dataset."""
    if not is_shared(dataset):
        return
    if entitled(user_of(context), dataset["id"], dataset.get("owner_org")):
        restore_resources(dataset)
        return
    dataset.update(redact_dataset(dataset))


def redact_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Nothing secret of a shared dataset reaches the search index: not the results, nor
    what ``fl``, facets or ``fq`` could reach."""
    validated = pkg_dict.get("validated_data_dict")
    shared = (is_shared(json.loads(validated)) if validated else
              is_shared(model.Package.get(pkg_dict.get("id") or "")))
    if not shared:  # open data: indexed as it is, at no cost
        return pkg_dict
    for key in ("validated_data_dict", "data_dict"):
        if pkg_dict.get(key):
            pkg_dict[key] = json.dumps(redact_dataset(json.loads(pkg_dict[key])))
    page = request_page(pkg_dict)
    if "res_url" in pkg_dict:
        pkg_dict["res_url"] = [page for _ in pkg_dict["res_url"]]
    for key in [k for k in pkg_dict if k.startswith("res_extras_")]:
        del pkg_dict[key]
    return pkg_dict


def redact_activity(context: dict[str, Any], activity: dict[str, Any]) -> dict[str, Any]:
    """Activity snapshots are taken with full rights; filter them like a dataset."""
    data = activity.get("data")
    package = data.get("package") if isinstance(data, dict) else None
    if isinstance(package, dict) and is_shared(package) and not entitled(
            user_of(context), package.get("id", ""), package.get("owner_org")):
        activity = copy.deepcopy(activity)
        activity["data"]["package"] = redact_dataset(package)
    return activity
