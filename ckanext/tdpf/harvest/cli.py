"""``ckan tdpf-harvest run SOURCE [--dry-run]``: harvest one source now, in this process.

Production runs through ``ckan harvester run`` (cron) and the gather/fetch consumers; this
command runs the same stages synchronously, with a progress bar and a summary.

Exit status: 0 the job finished with a complete listing; 1 it finished, but the listing was
incomplete, a withdrawal was refused or the config is invalid (see the summary); 3 the job
could not run (the source is unknown, inactive or already running).
"""
from __future__ import annotations

import collections
import datetime
import functools
import json
import logging
from typing import Callable, Iterator

import click
from sqlalchemy.orm import selectinload

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest import queue
from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.tdpf.lib import indexing, parallel

from . import config as source_config
from .harvesters import base
from .logic.action import job_summary

__all__ = ["tdpf_harvest"]
log = logging.getLogger(__name__)


@click.group("tdpf-harvest", short_help="TDPF harvesting")
def tdpf_harvest() -> None:
    pass


@tdpf_harvest.command()
@click.argument("source_id_or_name")
@click.option("--dry-run", is_flag=True, help="List the source and say what would change; write nothing.")
@click.option("--force", is_flag=True, help="Re-import records even if unchanged.")
def run(source_id_or_name: str, dry_run: bool, force: bool) -> None:
    """Harvest one source synchronously."""
    context = {"ignore_auth": True, "user": _site_user()}
    try:
        # From the database: the search index's copy of a source may lack its harvest fields.
        source = tk.get_action("harvest_source_show")(dict(context, use_cache=False),
                                                      {"id": source_id_or_name})
    except tk.ObjectNotFound:
        click.echo(f"no harvest source {source_id_or_name!r}", err=True)
        raise SystemExit(3)
    harvester = queue.get_harvester(source["source_type"])
    if harvester is None or not hasattr(harvester, "decisions"):
        click.echo(f"{source['source_type']!r} is not a TDPF harvester type "
                   "(use `ckan harvester run-test` for others)", err=True)
        raise SystemExit(3)
    if dry_run:
        raise SystemExit(_dry_run(harvester, source, force))

    try:
        job = tk.get_action("harvest_job_create")(context, {"source_id": source["id"],
                                                            "run": False})
    except HarvestJobExists:
        click.echo("the source already has a job waiting or running; wait for it, or abort "
                   "it with `ckan harvester abort-failed-jobs`", err=True)
        raise SystemExit(3)
    except tk.ValidationError as error:
        click.echo(f"the job could not be created: {error.error_dict}", err=True)
        raise SystemExit(3)
    job_obj = HarvestJob.get(job["id"])
    base.import_inline(job_obj)  # the ids come back here, not to the fetch queue
    if force:
        job_obj.force_import = True
    job_obj.status = "Running"
    job_obj.save()

    click.echo(f"gathering {source['url']} …")
    started = datetime.datetime.now()
    object_ids = queue.gather_stage(harvester, job_obj) or []
    with click.progressbar(length=len(object_ids), label="収集 / harvesting", show_pos=True,
                           show_percent=True) as bar:
        for failure in import_objects(harvester, object_ids, bar.update):
            click.echo(f"\n{failure}", err=True)
    _unqueue(object_ids)
    # (a fresh context: the import's sessions are gone with the user object they loaded)
    tk.get_action("harvest_jobs_run")({"ignore_auth": True, "user": context["user"]},
                                      {"source_id": source["id"]})
    model.Session.remove()
    job_obj = HarvestJob.get(job["id"])
    summary = job_summary(job["id"]) or {}
    elapsed = (datetime.datetime.now() - started).total_seconds()
    click.echo(
        "job {job} {status} in {elapsed:.1f} s: listed {listed}, added {added}, updated "
        "{updated}, unchanged {unchanged}, withdrawn {withdrawn}, errors {errors}, warnings "
        "{warnings}".format(
            job=job["id"], status=job_obj.status.lower(), elapsed=elapsed,
            **{key: summary.get(key, 0) for key in ("listed", "added", "updated", "unchanged",
                                                    "withdrawn", "errors", "warnings")}))
    for error in job_obj.gather_errors:
        click.echo(f"  gather error: {error.message}")
    if summary.get("errors") or summary.get("warnings"):
        site = tk.config["ckan.site_url"].rstrip("/")
        click.echo("  object errors and warnings (values cleaned on imported records): "
                   f"{site}/harvest/{source['name']}/job/{job['id']}")
    finished = job_obj.status == "Finished"
    whole = summary.get("listing_complete") and not summary.get("withdrawal_refused")
    raise SystemExit(0 if finished and whole else 1)


def _unqueue(object_ids: list[str]) -> None:
    """Take this run's objects out of the fetch queue before its job is marked finished.
    They wait in the database as WAITING while the run imports them, and ckanext-harvest's
    cron resends every WAITING object it does not see queued: a fetch consumer leaves a copy
    it takes of an imported object (``BatchImporter._claim``), but one taken after the job
    finished would be marked ERROR by ckanext-harvest."""
    if not object_ids or tk.config.get("ckan.harvest.mq.type") != "redis":
        return
    try:
        connection = queue.get_connection()
        key = queue.get_fetch_routing_key()
        if not connection.llen(key):
            return
        with connection.pipeline(transaction=False) as pipeline:
            for object_id in object_ids:  # (as ckanext-harvest's publisher writes them)
                pipeline.lrem(key, 0, json.dumps({"harvest_object_id": object_id}))
            removed = sum(pipeline.execute())
        if removed:
            log.info("took %d copies of this run's objects out of the fetch queue", removed)
    except Exception:  # noqa: BLE001 - Redis down: nothing was queued either
        log.warning("could not read the fetch queue", exc_info=True)


def import_objects(harvester, object_ids: list[str],
                   progress: Callable[[int], None]) -> Iterator[str]:
    """Import a job's objects in batches (``import_batch_size``), in parallel worker
    processes (``import_workers``); yields what went wrong with whole batches (an object's
    own faults are errors on the object)."""
    workers = tk.config["ckanext.tdpf.harvest.import_workers"]
    # a small job is split so that every worker has a batch
    size = max(1, min(tk.config["ckanext.tdpf.harvest.import_batch_size"],
                      -(-len(object_ids) // max(1, workers))))
    batches = [object_ids[first:first + size] for first in range(0, len(object_ids), size)]
    if not batches:  # nothing changed: nothing to import or commit
        return
    work = functools.partial(_import_batch, harvester.info()["name"])
    yield from parallel.run_batches(work, batches, workers, progress)
    try:  # one search commit for the job, not one per batch
        indexing.commit()
    except Exception as error:  # Solr down: the datasets are saved; say so
        log.exception("the search index commit failed")
        yield f"the search index could not be committed: {error}"


def _import_batch(source_type: str, object_ids: list[str]) -> str | None:
    try:
        queue.get_harvester(source_type).import_objects(_objects(object_ids),
                                                        commit_index=False)
        return None
    except Exception as error:  # e.g. Solr down: the job goes on, and says so
        log.exception("a harvest batch failed")
        model.Session.rollback()
        return f"batch of {len(object_ids)} objects: {error}"
    finally:
        model.Session.remove()


def _objects(object_ids: list[str]) -> list[HarvestObject]:
    return (model.Session.query(HarvestObject)
            .options(selectinload(HarvestObject.extras))  # each object's status
            .filter(HarvestObject.id.in_(object_ids)).all())


def _dry_run(harvester, source: dict, force: bool) -> int:
    try:
        config = source_config.parse(source.get("config"))
    except source_config.ConfigError as error:
        click.echo(f"invalid source config: {error}", err=True)
        return 1
    counts: collections.Counter[str] = collections.Counter()
    problems = []
    for decision in harvester.decisions(_Source(source), config, force):
        counts[decision.action] += 1
        if decision.action in ("error", "incomplete", "refused"):
            problems.append(decision.message)
        counts["warnings"] += len((decision.payload or {}).get("warnings") or ())
    click.echo("dry run (nothing written): would add {new}, update {change}, leave {unchanged} "
               "unchanged, withdraw {delete}; errors {errors}, warnings {warnings}".format(
                   new=counts["new"], change=counts["change"], unchanged=counts["unchanged"],
                   delete=counts["delete"], warnings=counts["warnings"],
                   errors=counts["error"] + counts["incomplete"] + counts["refused"]))
    for problem in problems[:50]:
        click.echo(f"  {problem}")
    return 1 if counts["refused"] or counts["incomplete"] else 0


class _Source:
    def __init__(self, source: dict):
        self.id, self.url = source["id"], source["url"]


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
