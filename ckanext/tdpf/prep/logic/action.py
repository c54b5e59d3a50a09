"""The tdpf_prep actions: check access, validate, act, return a dict."""
from __future__ import annotations

import datetime
import io
import re
from typing import Any

from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tdpf.lib.i18n import N_, bilingual
from ckanext.tdpf.lib.rating import rate

from .. import engine, fetch
from ..engine import scores
from . import schema

__all__ = ["tdpf_prep_preview", "tdpf_prep_publish"]

PREVIEW_ROWS = 20
# A preview converts at most this many rows (the conformance of a longer table is judged on
# them; publishing converts every row).
PREVIEW_CONVERT_ROWS = 10_000
FETCH_ERRORS = {
    "unreachable": N_("The file could not be downloaded."),
    "too_large": N_("The file is larger than the size limit for data preparation."),
    "timeout": N_("Downloading the file took longer than the time limit."),
    "forbidden_address": N_("The file's address is not a public address."),
}
NO_RESOURCE = N_("No file you may prepare has this id (it does not exist, or only the "
                 "dataset's editors may prepare it).")


def _validate(data_dict: DataDict, schema_: dict, context: Context) -> dict:
    data, errors = tk.navl_validate(dict(data_dict), schema_, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _fail(field: str, message: str) -> None:
    raise tk.ValidationError({field: [bilingual(message)]})


def _resource(context: Context, resource_id: str) -> dict:
    """The resource, if the caller edits its dataset; a missing resource and one the caller
    may not prepare get the same answer."""
    resource = model.Resource.get(resource_id)
    if resource is None or resource.state != "active" or resource.package.state != "active":
        _fail("resource_id", NO_RESOURCE)
    try:
        tk.check_access("package_update", {"user": context.get("user")},
                        {"id": resource.package_id})
        shown = tk.get_action("resource_show")({"user": context.get("user")},
                                               {"id": resource.id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        _fail("resource_id", NO_RESOURCE)
    return shown


def _prepared(context: Context, resource: dict, sheet: str | None) -> tuple[bytes,
                                                                           engine.Prepared]:
    try:
        content = fetch.fetch(resource)
    except fetch.FetchError as error:
        _fail("resource_id", FETCH_ERRORS[error.code])
    try:
        prepared = engine.prepare(content, sheet=sheet)
    except engine.PrepError as error:
        field = "sheet" if sheet and error.code == "empty" else "resource_id"
        message = (N_("The file has no sheet of this name.") if field == "sheet"
                   else engine.ERRORS[error.code])
        _fail(field, message)
    return content, prepared


def _publisher(context: Context, resource: dict) -> Any:
    """Who publishes the resource, for 全国地方公共団体コード and 地方公共団体名: the
    dataset's municipality code, else its organization's."""
    from ..engine import standardize

    user = {"user": context.get("user")}
    dataset = tk.get_action("package_show")(dict(user), {"id": resource["package_id"]})
    code = dataset.get("municipality_code")
    if not code and dataset.get("owner_org"):
        try:
            org = tk.get_action("organization_show")(dict(user), {
                "id": dataset["owner_org"], "include_datasets": False,
                "include_users": False, "include_groups": False,
                "include_tags": False, "include_followers": False})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            org = {}
        code = org.get("municipality_code") or next(
            (extra.get("value") for extra in org.get("extras") or []
             if extra.get("key") == "municipality_code"), None)
    return standardize.publisher_of(code)


def _file_name(resource: dict) -> str:
    return (resource.get("url") or "").rsplit("/", 1)[-1].split("?", 1)[0]


def _converted(table: engine.PreparedTable, standard: Any, publisher: Any,
               language: str, limit: int | None = None) -> tuple[Any, dict[str, Any]]:
    """The table converted into the standard's layout (its first ``limit`` rows only: a
    preview of a very long table is judged on its beginning)."""
    from ..engine import standardize

    rows = table.rows if limit is None else table.rows[:limit]
    converted = standardize.convert(table.header, rows, standard, publisher)
    return converted, {
        "standard": standard.id,
        "conformance_before": converted.before.as_dict(),
        "conformance_after": converted.after.as_dict(),
        "mapping": converted.mapping,
        "unmapped": converted.unmapped,
        "file_name": converted.file_name,
        "converted": {
            "header": converted.header,
            "rows": converted.rows[:PREVIEW_ROWS],
            "row_count": table.row_count,
            "checked_rows": len(converted.rows),
            "changes": [change.as_dict(language) for change in converted.changes],
        },
    }


def _language() -> str:
    try:
        return "en" if tk.h.lang() == "en" else "ja"
    except (RuntimeError, AttributeError, TypeError):
        return "ja"


@tk.side_effect_free
def tdpf_prep_preview(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The tables a resource's file becomes once prepared (データ整備), with the changes made
    and the data rate before and after. For the dataset's editors and sysadmins.

    :param resource_id: the resource's id
    :param sheet: only this sheet of a workbook (optional)
    :param standard: a standard's id (``public_toilet``; optional): each table is also
        converted into the standard's layout (標準形式に変換)
    :returns: ``tables``: each with ``name``, ``header``, ``rows`` (the first 20),
        ``row_count``, ``changes`` (``rule``, ``where``, ``what``), ``description`` (titles
        and notes moved out of the table), ``rating_before`` and ``rating_after``
        (``stage``, ``L1``, ``L2``, ``L3``); with ``standard``, also ``standard``,
        ``conformance_before`` and ``conformance_after`` (score, missing columns, errors
        by column), ``mapping`` (``source``, ``target``, ``how``), ``unmapped`` (columns
        kept in 備考), ``file_name`` (by the standard's rule) and ``converted``
        (``header``, ``rows``: the first 20, ``row_count``, ``checked_rows``: the rows
        converted and checked, at most 10,000, ``changes``); without it,
        ``suggested_standard`` when the table looks like a standard's (else None)
    """
    tk.check_access("tdpf_prep_preview", context, data_dict)
    data = _validate(data_dict, schema.preview(), context)
    resource = _resource(context, data["resource_id"])
    content, prepared = _prepared(context, resource, data.get("sheet"))
    before = scores.summary(rate(content))
    language = _language()
    standard = publisher = None
    if data.get("standard"):
        from ckanext.tdpf.lib import standards
        standard = standards.get(data["standard"])
        publisher = _publisher(context, resource)
    tables = []
    for table in prepared.tables:
        changes = prepared.changes + table.changes
        entry: dict[str, Any] = {
            "name": table.name,
            "sheet": table.sheet,
            "header": table.header,
            "rows": table.rows[:PREVIEW_ROWS],
            "row_count": table.row_count,
            "changes": [change.as_dict(language) for change in changes],
            "description": table.description,
            "rating_before": before,
            "rating_after": scores.after(table),
        }
        if standard is not None:
            entry.update(_converted(table, standard, publisher, language,
                                    limit=PREVIEW_CONVERT_ROWS)[1])
        else:
            from ckanext.tdpf.lib.standards import conformance
            found = conformance.identify(_file_name(resource), table.header)
            entry["suggested_standard"] = found.standard_id if found else None
        tables.append(entry)
    return {"tables": tables}


def tdpf_prep_publish(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Add a prepared table to the resource's dataset as a new uploaded CSV file; it is
    rated like any file.

    :param resource_id: the resource whose file is prepared
    :param table: the name of the table to publish (optional: the first table)
    :param name: the new resource's name (optional: the source's name, marked prepared)
    :param standard: a standard's id (optional): the table converted into the standard's
        layout is published instead, its file named by the standard's rule
        (``131130_public_toilet.csv``)
    :returns: the new resource, with ``tdpf_prep_source_resource_id``,
        ``tdpf_prep_version`` and ``tdpf_prep_at`` (and ``tdpf_prep_standard``)
    """
    tk.check_access("tdpf_prep_publish", context, data_dict)
    data = _validate(data_dict, schema.publish(), context)
    resource = _resource(context, data["resource_id"])
    _, prepared = _prepared(context, resource, None)
    names = [table.name for table in prepared.tables]
    if data.get("table") and data["table"] not in names:
        raise tk.ValidationError({"table": [bilingual(N_(
            "The file has no table of this name; its tables: {names}."),
            names=", ".join(names))]})
    table = prepared.table(data.get("table"))
    source_name = resource.get("name") or resource["id"]
    suffix = "" if len(prepared.tables) == 1 else f" {table.name}"
    name = data.get("name") or tk._("{name} (prepared)").format(name=source_name + suffix)
    stem = re.sub(r"[^\w.-]+", "_", (resource.get("url") or "").rsplit("/", 1)[-1]
                  .rsplit(".", 1)[0] or "data")[:80] or "data"
    content, filename, extra = table.csv_bytes(), f"{stem}_prepared.csv", {}
    # a shared dataset's resource descriptions are shown to everyone: nothing drawn from
    # the file (its titles and notes, its column names) goes there
    shared = tk.get_action("package_show")({"user": context.get("user")}, {
        "id": resource["package_id"]}).get("tdpf_distribution") == "shared"
    description = [] if shared else list(table.description)
    if data.get("standard"):
        from ckanext.tdpf.lib import standards
        standard = standards.get(data["standard"])
        converted, _ = _converted(table, standard, _publisher(context, resource),
                                  _language())
        content, filename = converted.csv_bytes(), converted.file_name
        extra = {"tdpf_prep_standard": standard.id}
        title = standard.title if _language() == "ja" else standard.title_en
        description.insert(0, tk._("In the layout of the standard open dataset "
                                   "(自治体標準オープンデータセット) {number} {title}.").format(
            number=standard.number, title=title))
        if converted.unmapped and not shared:
            description.insert(1, tk._("Columns the standard does not have are kept in 備考 "
                                       "as 「column name: value」: {columns}.").format(
                columns="、".join(converted.unmapped)))
        if not data.get("name"):
            name = tk._("{name} (standard layout: {standard})").format(
                name=source_name + suffix,
                standard=standard.title if _language() == "ja" else standard.title_en)
    upload = FileStorage(io.BytesIO(content), filename=filename, content_type="text/csv")
    created = tk.get_action("resource_create")(
        {"user": context.get("user")},
        {"package_id": resource["package_id"], "name": name, "url": "", "upload": upload,
         "format": "CSV", "description": "\n\n".join(description),
         "tdpf_prep_source_resource_id": resource["id"],
         "tdpf_prep_version": engine.VERSION,
         "tdpf_prep_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
             timespec="seconds"), **extra})
    return created
