"""The harvest job's API output carries the TDPF summary (SPEC §3); clearing a source keeps
the datasets other sources hold; the sources that hold a dataset."""
from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from ckanext.harvest import queue
from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.model import (HarvestGatherError, HarvestObject, HarvestObjectError,
                                   HarvestSource)
from sqlalchemy import func, text

from ckanext.tdpf.lib.i18n import N_, bilingual

from .. import config as source_config
from ..importer import BatchImporter
from ..model import WARNING_STAGE, Holding, JobSummary

__all__ = ["harvest_job_create", "harvest_job_show", "harvest_job_list",
           "harvest_source_create", "harvest_source_update", "harvest_source_show_status",
           "harvest_source_clear", "tdpf_harvest_dataset_source_list"]


class JobExists(tk.ValidationError, HarvestJobExists):
    """A job for the source is waiting or running. A field error for the API (409, not
    500), and still ckanext-harvest's own exception for its pages and CLI."""


def job_lock_key(source_id: str) -> str:
    return f"tdpf_harvest_job_create:{source_id}"


@tk.chained_action
def harvest_job_create(original_action, context: Context, data_dict: DataDict) -> dict:
    """ckanext-harvest looks for a waiting or running job of the source and then saves a
    new one with no lock between: two web processes asked at once both made a job, and each
    record was written twice. The check and the save now run one source at a time (a
    transaction-scoped advisory lock on the source id, released by the job's commit)."""
    source_id = data_dict.get("source_id") if isinstance(data_dict, dict) else None
    if isinstance(source_id, str) and source_id:
        model.Session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                              {"key": job_lock_key(source_id)})
    try:
        return original_action(context, data_dict)
    except JobExists:
        raise
    except HarvestJobExists:
        model.Session.rollback()  # nothing was written; the lock goes with the transaction
        raise JobExists({"source_id": [bilingual(N_(
            "This source already has a harvest job waiting or running; a new one can be "
            "started when it has finished."))]}) from None


def job_summary(job_id: str) -> dict[str, Any] | None:
    """added / updated / unchanged / withdrawn / errors / warnings of one job (warnings:
    values cleaned on records that were imported, not errors)."""
    summary = JobSummary.get(job_id)
    if summary is None:
        return None
    statuses = dict(model.Session.query(HarvestObject.report_status, func.count())
                    .filter(HarvestObject.harvest_job_id == job_id)
                    .group_by(HarvestObject.report_status).all())
    is_warning = func.coalesce(HarvestObjectError.stage == WARNING_STAGE, False)
    object_errors = dict(
        model.Session.query(is_warning, func.count(HarvestObjectError.id))
        .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
        .filter(HarvestObject.harvest_job_id == job_id).group_by(is_warning).all())
    gather_errors = (model.Session.query(func.count(HarvestGatherError.id))
                     .filter(HarvestGatherError.harvest_job_id == job_id).scalar())
    return {
        "listed": summary.listed,
        "added": statuses.get("added", 0),
        "updated": statuses.get("updated", 0),
        "unchanged": summary.unchanged,
        "withdrawn": statuses.get("deleted", 0),
        "errors": int(object_errors.get(False, 0)) + int(gather_errors or 0),
        "warnings": int(object_errors.get(True, 0)),
        "listing_complete": summary.listing_complete,
        "withdrawal_refused": summary.withdrawal_refused,
    }


@tk.chained_action
@tk.side_effect_free
def harvest_job_show(original_action, context: Context, data_dict: DataDict) -> dict:
    job = original_action(context, data_dict)
    summary = job_summary(job["id"])
    if summary is not None:
        job["tdpf_summary"] = summary
        if "object_error_summary" in job:  # warnings are not errors: listed apart
            job["object_error_summary"], job["tdpf_warning_summary"] = (
                _object_error_summary(job["id"], False), _object_error_summary(job["id"], True))
        if "stats" in job:
            job["stats"]["errored"] = _errored(job["id"])
    return job


@tk.chained_action
@tk.side_effect_free
def harvest_job_list(original_action, context: Context, data_dict: DataDict) -> list:
    """The jobs counted without warnings, as ``harvest_job_show`` counts them (the source's
    job list showed an error for a record imported with a value cleaned)."""
    jobs = original_action(context, data_dict)
    for job in jobs:
        if isinstance(job, dict) and "stats" in job and JobSummary.get(job["id"]) is not None:
            job["stats"]["errored"] = _errored(job["id"])
    return jobs


@tk.chained_action
@tk.side_effect_free
def harvest_source_show_status(original_action, context: Context, data_dict: DataDict
                               ) -> dict:
    """The source's last job counted without warnings (ckanext-harvest's error mail and
    source page read it)."""
    status = original_action(context, data_dict)
    last_job = status.get("last_job")
    if last_job and "stats" in last_job and JobSummary.get(last_job["id"]) is not None:
        last_job["stats"]["errored"] = _errored(last_job["id"])
    return status


def _errored(job_id: str) -> int:
    """ckanext-harvest's ``errored`` (objects with errors, and gather errors) without the
    objects that have warnings only: they were imported."""
    objects = (model.Session.query(func.count(func.distinct(HarvestObject.id)))
               .join(HarvestObjectError, HarvestObjectError.harvest_object_id == HarvestObject.id)
               .filter(HarvestObject.harvest_job_id == job_id,
                       func.coalesce(HarvestObjectError.stage != WARNING_STAGE, True))
               .scalar())
    gathered = (model.Session.query(func.count(HarvestGatherError.id))
                .filter(HarvestGatherError.harvest_job_id == job_id).scalar())
    return int(objects or 0) + int(gathered or 0)


def _object_error_summary(job_id: str, warnings: bool) -> list[dict[str, Any]]:
    """The 20 most frequent object errors (or warnings) of a job, as ckanext-harvest
    summarizes them."""
    is_warning = func.coalesce(HarvestObjectError.stage == WARNING_STAGE, False)
    rows = (model.Session.query(HarvestObjectError.message, func.count().label("count"))
            .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
            .filter(HarvestObject.harvest_job_id == job_id, is_warning.is_(warnings))
            .group_by(HarvestObjectError.message).order_by(func.count().desc()).limit(20))
    return [{"message": message, "error_count": count} for message, count in rows]


@tk.chained_action
def harvest_source_create(original_action, context: Context, data_dict: DataDict) -> dict:
    """Sources without an organization belong to the platform operator's organization
    (datasets, sources included, are never unowned on TDPF)."""
    tk.check_access("harvest_source_create", context, data_dict)
    if not data_dict.get("owner_org"):
        data_dict = dict(data_dict, owner_org=_operator_organization())
    _only_into_its_own_organization(context, data_dict, data_dict.get("owner_org"))
    return original_action(context, data_dict)


@tk.chained_action
def harvest_source_update(original_action, context: Context, data_dict: DataDict) -> dict:
    """As ``harvest_source_create``: only sysadmins' sources harvest into other
    organizations."""
    tk.check_access("harvest_source_update", context, data_dict)
    owner = data_dict.get("owner_org")
    if not owner:
        source = model.Package.get(data_dict.get("id") or data_dict.get("name") or "")
        owner = source.owner_org if source is not None else None
    _only_into_its_own_organization(context, data_dict, owner)
    return original_action(context, data_dict)


def _only_into_its_own_organization(context: Context, data_dict: DataDict,
                                    owner: str | None) -> None:
    """The harvest writes as its own sysadmin and makes the organizations its records name:
    a source an organization's editor sets up must put every record into that organization
    (the config's ``organization`` is it, no ``organization_map``), or it would write into
    other organizations' data. Sysadmins' sources (the operator's, for aggregating catalogs)
    may map records to any organization."""
    if context.get("ignore_auth") or authz.is_sysadmin(context.get("user")):
        return
    organization = model.Group.get(owner) if isinstance(owner, str) and owner else None
    name = organization.name if organization is not None else str(owner or "")
    try:
        config = source_config.parse(data_dict.get("config"))
    except source_config.ConfigError:
        return  # ckanext-harvest's own validation names what is wrong with the config
    named = config["organization"] or {}
    if config["organization_map"] or named.get("name") != name:
        raise tk.ValidationError({"config": [bilingual(N_(
            "Only sysadmins may harvest into organizations other than the source's own: set "
            "\"organization\" to this source's organization ({name}) and leave out "
            "\"organization_map\"."), name=name)]})


def _operator_organization() -> str:
    name = tk.config["ckanext.tdpf.harvest.source_organization"]
    existing = model.Group.get(name)
    if existing is not None and existing.is_organization:
        return existing.id
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    created = tk.get_action("organization_create")(
        {"user": site_user, "ignore_auth": True},
        {"name": name, "title": tk.config["ckanext.tdpf.harvest.source_organization_title"],
         "tdpf_provider_type": "public_agency"})
    return created["id"]


@tk.chained_action
def harvest_source_clear(original_action, context: Context, data_dict: DataDict) -> dict:
    """Clear a source, but keep the datasets another source still holds: ckanext-harvest's
    clear deletes every dataset any object of the source names, so those objects stop
    naming the shared ones first; the source's holdings go; a shared dataset whose content
    came from this source then shows the best remaining source's, and is indexed again (the
    clear removed the search documents that named this source)."""
    tk.check_access("harvest_source_clear", context, data_dict)
    source = HarvestSource.get(data_dict.get("id") or "")
    if source is None:
        return original_action(context, data_dict)
    held = [package_id for (package_id,) in model.Session.query(Holding.package_id)
            .filter(Holding.source_id == source.id)]
    shared = sorted({package_id for (package_id,) in model.Session.query(Holding.package_id)
                     .filter(Holding.package_id.in_(held), Holding.source_id != source.id)}
                    ) if held else []
    if shared:
        (model.Session.query(HarvestObject)
         .filter(HarvestObject.harvest_source_id == source.id,
                 HarvestObject.package_id.in_(shared))
         .update({"package_id": None}, synchronize_session=False))
    model.Session.query(Holding).filter(Holding.source_id == source.id).delete(
        synchronize_session=False)
    model.Session.commit()
    result = original_action(context, data_dict)
    # (its SQL ends the transaction with a COMMIT of its own: the session's is closed, so
    # that the next statement starts a new one)
    model.Session.commit()
    harvester = queue.get_harvester(source.type) if shared else None
    if harvester is not None and hasattr(harvester, "_organization"):
        BatchImporter(harvester._get_user_name(), harvester._organization).show_best(shared)
    return result


@tk.side_effect_free
def tdpf_harvest_dataset_source_list(context: Context, data_dict: DataDict
                                     ) -> list[dict[str, Any]]:
    """The harvest sources that hold a dataset (a dataset that several catalogs publish is
    held by each), the one whose content it shows first.

    :param id: the dataset's id or name
    :type id: string
    :returns: ``source_id``, ``title``, ``url`` (the source's), ``remote_id``,
        ``remote_url`` (the record's page at the source, if it is an http(s) address) and
        ``shown`` (the dataset's content comes from it) of each source
    :rtype: list of dictionaries
    """
    tk.check_access("tdpf_harvest_dataset_source_list", context, data_dict)
    data, errors = tk.navl_validate(data_dict, _by_id(), context)
    if errors:
        raise tk.ValidationError(errors)
    package = model.Package.get(data["id"])
    if package is None:
        raise tk.ObjectNotFound(bilingual(N_("Dataset not found")))
    rows = (model.Session.query(Holding, HarvestSource)
            .join(HarvestSource, HarvestSource.id == Holding.source_id)
            .filter(Holding.package_id == package.id)
            .order_by(Holding.shown.desc(), Holding.created))
    return [{"source_id": source.id, "title": source.title or source.url, "url": source.url,
             "remote_id": holding.guid,
             "remote_url": holding.remote_url if (holding.remote_url or "").lower()
             .startswith(("http://", "https://")) else None,
             "shown": bool(holding.shown)} for holding, source in rows]


@tk.validator_args
def _by_id(not_empty, unicode_safe) -> dict:
    return {"id": [not_empty, unicode_safe]}
