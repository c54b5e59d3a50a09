"""The merge actions (one standard dataset across municipalities): check access, validate,
act, return a dict. The work is in ``prep.merge``."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Context, DataDict, Schema

from ckanext.tdpf.lib import municipalities, validation
from ckanext.tdpf.lib.i18n import N_, bilingual

from .. import merge as merging
from ..model import Merge

__all__ = ["tdpf_prep_merge", "tdpf_prep_merge_show", "tdpf_prep_merge_list",
           "tdpf_prep_coverage"]

MAX_LISTED = 200


def _fail(field: str, message: str, **params: Any) -> None:
    raise tk.ValidationError({field: [bilingual(message, **params)]})


def _text(limit: int) -> Any:
    def validator(value: Any) -> Any:
        return validation.check_text(value, limit)
    return validator


def _ids(value: Any) -> Any:
    """A list of ids: a list, a JSON list or a comma/space-separated text (GET and the
    CLI)."""
    if value is tk.missing or value is None or value == "":
        return value
    if isinstance(value, str):
        listed = validation.as_list(value) if value.lstrip().startswith("[") else \
            [part for part in value.replace(",", " ").split() if part]
    elif isinstance(value, list):
        listed = value
    else:
        raise tk.Invalid(bilingual(N_("Must be a list of ids.")))
    if not all(isinstance(item, str) and 0 < len(item.strip()) <= 100 for item in listed):
        raise tk.Invalid(bilingual(N_("Must be a list of ids.")))
    if len(listed) > merging.MAX_SOURCES:
        raise tk.Invalid(bilingual(N_("At most {limit} ids."), limit=merging.MAX_SOURCES))
    return list(dict.fromkeys(item.strip() for item in listed))


@validator_args
def merge_schema(ignore_missing: Any, unicode_safe: Any, strip_value: Any,
                 name_validator: Any) -> Schema:
    return {
        "standard": [validation.required, _text(100), unicode_safe, strip_value],
        "resource_ids": [ignore_missing, _ids],
        "organizations": [ignore_missing, _ids],
        "owner_org": [validation.required, _text(100), unicode_safe, strip_value],
        "name": [validation.required, _text(100), unicode_safe, strip_value,
                 validation.worded(name_validator, N_(
                     "Must be 2-100 lowercase letters, digits, - and _."))],
        "title": [ignore_missing, _text(500), unicode_safe, strip_value],
    }


@validator_args
def show_schema(unicode_safe: Any, strip_value: Any) -> Schema:
    return {"id": [validation.required, _text(100), unicode_safe, strip_value]}


@validator_args
def coverage_schema(ignore_missing: Any, unicode_safe: Any, strip_value: Any) -> Schema:
    return {"standard": [ignore_missing, _text(100), unicode_safe, strip_value]}


def _validate(data_dict: DataDict, schema: Schema, context: Context) -> dict[str, Any]:
    data, errors = tk.navl_validate(dict(data_dict), schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _standard(standard_id: str) -> Any:
    standard = merging.get_standard(standard_id)
    if standard is None:
        _fail("standard", N_("Unknown standard {id}; the standards: {ids}."), id=standard_id,
              ids=", ".join(sorted(merging.standards())))
    return standard


def tdpf_prep_merge(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Merge the files of one 自治体標準オープンデータセット published by several
    municipalities into one dataset in the standard's layout (pattern ④), or merge an
    existing merged dataset again with new sources. For editors of ``owner_org`` and
    sysadmins. Nothing is written unless every listed source can be merged.

    :param standard: the standard's id, e.g. ``public_toilet``
    :param resource_ids: the source resources (a list, or ids separated by commas)
    :param organizations: organizations (ids or names) whose files of this standard are
        merged, now and as they publish more (a list, or separated by commas)
    :param owner_org: the organization that holds the merged dataset
    :param name: the merged dataset's name (URL); a merged dataset of this name is
        updated
    :param title: the merged dataset's title (optional)
    :returns: ``dataset`` (the merged dataset) and ``merge`` (as ``tdpf_prep_merge_show``)
    """
    tk.check_access("tdpf_prep_merge", context, data_dict)
    data = _validate(data_dict, merge_schema(), context)
    standard = _standard(data["standard"])
    resource_ids = data.get("resource_ids") or []
    organizations = []
    for name in data.get("organizations") or []:
        organization = model.Group.get(name)
        if organization is None or not organization.is_organization or \
                organization.state != "active":
            _fail("organizations", N_("No organization has the id or name {name}."),
                  name=name)
        organizations.append(organization.id)
    if not resource_ids and not organizations:
        _fail("resource_ids", N_("Give the source files (resource_ids) or the "
                                 "organizations whose files are merged (organizations)."))
    owner = model.Group.get(data["owner_org"])
    if owner is None or not owner.is_organization or owner.state != "active":
        _fail("owner_org", N_("No organization has the id or name {name}."),
              name=data["owner_org"])
    user = model.User.get(context.get("user") or "")
    if user is None:
        raise tk.NotAuthorized(bilingual(N_("You must be logged in.")))
    existing = model.Package.get(data["name"])
    merge = Merge.for_package(existing.id) if existing is not None else None
    if existing is not None and merge is None:
        _fail("name", N_("A dataset of this name exists and is not a merged dataset; "
                         "choose another name."))
    if existing is not None and existing.state != "active":
        _fail("name", N_("A deleted dataset has this name; choose another name."))
    if merge is not None:
        if merge.standard != standard.id:
            _fail("standard", N_("This merged dataset holds the {title}; its standard "
                                 "cannot change."), title=merging.get_standard(
                                     merge.standard).title if merging.get_standard(
                                     merge.standard) else merge.standard)
        tk.check_access("package_update", {"user": user.name}, {"id": existing.id})
        if existing.owner_org != owner.id:
            _fail("owner_org", N_("The merged dataset belongs to another organization."))
    else:
        tk.check_access("package_create", {"user": user.name}, {"owner_org": owner.id})
    sources = merging.collect(user.name, standard, resource_ids, organizations,
                              strict=True)
    built = merging.build(standard, sources)
    dataset, merge, written = merging.write(user.name, merge, standard, owner.id,
                                            data["name"], data.get("title"), built)
    merge.resource_ids = resource_ids
    merge.organizations = organizations
    merging.record(merge, built, user.id, written)
    dataset = tk.get_action("package_show")({"user": user.name}, {"id": merge.package_id})
    return {"dataset": dataset, "merge": merge.as_dict(), "written": written}


def _merge_of(context: Context, id_or_name: str) -> Merge:
    package = model.Package.get(id_or_name)
    merge = Merge.for_package(package.id) if package is not None else None
    if merge is None:
        _fail("id", N_("No merged dataset has this id or name."))
    try:
        tk.check_access("package_show", {"user": context.get("user")}, {"id": package.id})
    except tk.NotAuthorized:
        _fail("id", N_("No merged dataset has this id or name."))
    return merge


@tk.side_effect_free
def tdpf_prep_merge_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """How a merged dataset was defined and how its last merge went. For anyone who may see
    the dataset.

    :param id: the merged dataset's id or name
    :returns: ``standard``, ``resource_ids``, ``organizations``, ``merged_resource_id``,
        ``trace_resource_id`` (the source table: merged row → municipality code, source
        dataset, resource and row), ``state`` (``done``; ``error`` when a source could not
        be merged; ``queued`` when a source changed and the re-merge job has not run yet),
        ``sources`` (each with
        ``resource_id``, ``package_name``, ``organization_title``, ``lgcode``, ``rows``,
        ``first_row``, ``error``), ``errors``, ``row_count``, ``conformance`` (of the
        merged file), ``last_merged`` and ``last_attempt``
    """
    tk.check_access("tdpf_prep_merge_show", context, data_dict)
    data = _validate(data_dict, show_schema(), context)
    return _merge_of(context, data["id"]).as_dict()


@tk.side_effect_free
def tdpf_prep_merge_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The merged datasets the caller may see (optionally of one standard).

    :param standard: a standard's id (optional)
    """
    tk.check_access("tdpf_prep_merge_list", context, data_dict)
    data = _validate(data_dict, coverage_schema(), context)
    shown = []
    for merge in Merge.all(data.get("standard"))[:MAX_LISTED]:
        package = model.Package.get(merge.package_id)
        if package is None or package.state != "active":
            continue
        try:
            tk.check_access("package_show", {"user": context.get("user")},
                            {"id": package.id})
        except tk.NotAuthorized:
            continue
        shown.append(dict(merge.as_dict(), name=package.name, title=package.title))
    return shown


def tokyo_municipalities() -> list[municipalities.Municipality]:
    """Tokyo's 62 municipalities (23 wards, 26 cities, 5 towns, 8 villages), by code."""
    return sorted((m for code, m in municipalities.registry().items()
                   if code.startswith("13") and not municipalities.is_prefecture(code)),
                  key=lambda m: m.code)


@tk.side_effect_free
def tdpf_prep_coverage(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Who publishes a standard across Tokyo's 62 municipalities: per municipality its
    datasets with a file rated as this standard (``tdpf_mr_standard``) and their
    conformance, and the merged datasets of the standard. Without ``standard``: the count
    of publishing municipalities per standard.

    :param standard: a standard's id (optional)
    """
    tk.check_access("tdpf_prep_coverage", context, data_dict)
    data = _validate(data_dict, coverage_schema(), context)
    user = context.get("user")
    published = _published(user)
    places = tokyo_municipalities()
    if not data.get("standard"):
        merged: dict[str, list[dict[str, Any]]] = {}
        for item in tdpf_prep_merge_list(dict(context), {}):
            merged.setdefault(item["standard"], []).append(item)
        return {"standards": [
            {"id": s.id, "number": s.number, "title": s.title, "title_en": s.title_en,
             "municipalities": len({f["lgcode"] for f in published.get(s.id, [])
                                    if f["lgcode"] in {m.code for m in places}}),
             "merged": len(merged.get(s.id, []))}
            for s in sorted(merging.standards().values(), key=lambda s: s.number)],
            "total": len(places)}
    standard = _standard(data["standard"])
    files = published.get(standard.id, [])
    rows = []
    for place in places:
        mine = [f for f in files if f["lgcode"] == place.code]
        rows.append({"code": place.code, "name": place.name, "files": mine})
    merged = tdpf_prep_merge_list(dict(context), {"standard": standard.id})
    return {"standard": {"id": standard.id, "number": standard.number,
                         "title": standard.title, "title_en": standard.title_en},
            "municipalities": rows, "total": len(places),
            "publishing": len([r for r in rows if r["files"]]), "merged": merged}


def _published(user: str | None) -> dict[str, list[dict[str, Any]]]:
    """Files rated as a standard, by standard: from package_search (the rating's
    ``tdpf_mr_standard`` and ``tdpf_mr_conformance`` of each resource, as shown to the
    caller), Tokyo's municipalities only. Merged datasets are not publications."""
    skip = merging.merged_package_ids()
    found: dict[str, list[dict[str, Any]]] = {}
    start = 0
    while True:
        result = tk.get_action("package_search")({"user": user}, {
            "fq": "vocab_tdpf_prep_standards:*", "rows": merging.PAGE_ROWS,
            "start": start, "sort": "id asc", "include_private": True})
        for dataset in result["results"]:
            if dataset["id"] in skip:
                continue
            code = dataset.get("municipality_code") or ""
            for resource in dataset.get("resources") or []:
                standard_id = resource.get("tdpf_mr_standard")
                if not standard_id:
                    continue
                conformance = resource.get("tdpf_mr_conformance") or {}
                found.setdefault(standard_id, []).append({
                    "lgcode": code, "package_id": dataset["id"], "name": dataset["name"],
                    "title": dataset.get("title") or dataset["name"],
                    "organization": (dataset.get("organization") or {}).get("title"),
                    "organization_name": (dataset.get("organization") or {}).get("name"),
                    "resource_id": resource["id"], "resource_name": resource.get("name"),
                    "score": conformance.get("score") if isinstance(conformance, dict)
                    else None,
                    "layout": conformance.get("layout") if isinstance(conformance, dict)
                    else None})
        start += merging.PAGE_ROWS
        if start >= result["count"] or not result["results"]:
            return found
