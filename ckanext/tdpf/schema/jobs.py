"""The rating job: rate the resources of datasets from their content, store the results,
and re-index the datasets so the data rate is searchable. Runs on CKAN's job queue (never
inside a save) and from ``ckan tdpf-schema rescore``.

One job rates a batch of datasets (CKAN's worker starts a process per job, so the cost of
that start is paid per batch, not per dataset): the batch's files are fetched by a pool of
threads, at most ``host_concurrency`` at a time from one host (``fetch.HostGate``), the
ratings are written in one transaction and the datasets whose rating changed are indexed
with one Solr request. A rescore asks the servers whether a file changed (``If-None-Match``
/ ``If-Modified-Since``); a 304, or the same bytes (sha256), keeps the stored rating
without running the scorer (``scored_at`` stays, ``checked_at`` moves).

Harvested datasets are not queued one job each: their ids wait in a Redis set and a drain
job (``rate_pending``) takes ``rating.batch_size`` of them at a time.
"""
from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime
import hashlib
import json
import logging
import threading
import urllib.parse
from typing import Any, Iterable

from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy.orm import defer

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.tdpf.lib import indexing

from ckanext.tdpf.lib import rating
from ckanext.tdpf.lib import standards as standard_lib
from ckanext.tdpf.lib.standards import conformance
from . import pending
from .fetch import FetchError, HostGate, fetch_conditional, host_of, pool
from .model import ResourceRating

log = logging.getLogger(__name__)
# The rows of a table the conformance check reads at most (the rest is not checked).
CONFORMANCE_ROWS = 100_000
METADATA_FIELDS = ("title", "notes", "tdpf_theme", "update_frequency", "license_id",
                   "tdpf_provider_type")


def fingerprint(resource: dict) -> str:
    """What identifies a file's content without fetching it (from the resource's row)."""
    parts = [resource.get(key) or "" for key in
             ("url", "url_type", "last_modified", "size", "hash")]
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()


def metadata_complete(dataset: dict) -> bool:
    if not all(dataset.get(field) for field in METADATA_FIELDS):
        return False
    return dataset.get("tdpf_provider_type") != "municipality" or bool(
        dataset.get("municipality_code"))


def file_name(resource: dict) -> str:
    """The resource's file name, from its address (an upload's is its name)."""
    path = urllib.parse.urlsplit(resource.get("url") or "").path
    return urllib.parse.unquote(path.rsplit("/", 1)[-1])


def standard_conformance(resource: dict, result: rating.Rating
                         ) -> tuple[str | None, dict[str, Any] | None]:
    """The 自治体標準オープンデータセット the rated file is or resembles, and its conformance
    (``Conformance.as_dict()`` without the messages, which are made when shown, plus
    ``identified_by`` and ``similarity``); (None, None) where no standard applies."""
    table = rating.table_data(result, 0)  # the header: the rows only for a standard
    if table is None:
        return None, None
    header, _ = table
    found = conformance.identify(file_name(resource), header)
    if found is None:
        return None, None
    _, rows = rating.table_data(result, CONFORMANCE_ROWS)
    checked = conformance.check(standard_lib.get(found.standard_id), header, rows)
    stored = dataclasses.asdict(checked)
    stored.update(identified_by=found.how, similarity=found.similarity)
    return found.standard_id, stored


def standard_dataset_conformance(resource: dict, row: ResourceRating) -> bool | None:
    """For stage 4: None where the file does not claim to be a 自治体標準オープンデータセット
    (no standard, or it only resembles one); else whether it conforms. A rating made before
    conformance was checked is judged from its stored header."""
    stored = row.conformance
    if stored is None and row.sha256 and row.columns:
        found = conformance.identify(file_name(resource), list(row.columns))
        if found is not None:
            checked = conformance.check(standard_lib.get(found.standard_id),
                                        list(row.columns), [])
            stored = dict(dataclasses.asdict(checked), identified_by=found.how)
    if not stored or stored.get("identified_by") == "resembles":
        return None
    return bool(stored.get("conforms"))


def empty_summary() -> dict[str, int]:
    """``rated``: scored; ``unchanged``: looked at, same file (304 or same bytes), not
    scored; ``skipped``: not looked at (the resource's row did not change); ``errors``:
    could not be scored (unreachable, too large, ...); ``removed``: ratings of resources
    gone; ``resources``: all of them; ``datasets``: datasets in the batch."""
    return dict.fromkeys(("datasets", "resources", "rated", "unchanged", "skipped", "errors",
                          "removed"), 0)


@dataclasses.dataclass
class _Check:
    """One file to look at, in plain values (the fetching threads touch no ORM object)."""
    resource: dict[str, Any]
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    conditional: bool = False
    timed_out: bool = False  # the last download ran into the time limit


@dataclasses.dataclass
class _Outcome:
    kind: str  # rated, unchanged, error
    result: rating.Rating | None = None
    etag: str | None = None
    last_modified: str | None = None
    standard: tuple[str | None, dict[str, Any] | None] = (None, None)


class _Checker:
    """Fetches and scores a batch's files from a thread pool."""

    def __init__(self, force: bool) -> None:
        self.force = force
        self.gate = HostGate()
        self.connections = pool(self.gate.concurrency)  # kept alive, shared by the threads
        self.lock = threading.Lock()
        self.by_hash: dict[str, rating.Rating] = {}  # identical bytes are scored once
        # their standard and conformance, by the bytes and the standard the name claims
        self.standards: dict[tuple[str, str | None], tuple[str | None, Any]] = {}

    def close(self) -> None:
        self.connections.clear()

    def check(self, item: _Check, slot_taken: bool = False) -> _Outcome:
        """Fetch and score one file (``slot_taken``: its host's slot was taken by
        ``HostGate.take``)."""
        resource = item.resource
        host = host_of(resource)
        conditional = item.conditional and not self.force
        try:
            if host and not slot_taken:
                self.gate.acquire(host)
            error = None
            try:
                fetched = fetch_conditional(
                    resource, item.etag if conditional else None,
                    item.last_modified if conditional else None, self.connections)
            except FetchError as failure:
                error = failure
                raise
            finally:
                if host:
                    self.gate.release(host, error)
        except FetchError as failure:
            return _Outcome("error", rating.failed(failure.code))
        except Exception:  # one file that cannot be read must not stop the batch
            log.exception("fetching %s failed", resource.get("id"))
            return _Outcome("error", rating.failed("unreachable"))
        if fetched.content is None:
            return _Outcome("unchanged", None, fetched.etag, fetched.last_modified)
        digest = hashlib.sha256(fetched.content).hexdigest()
        if not self.force and item.sha256 == digest:
            return _Outcome("unchanged", None, fetched.etag, fetched.last_modified)
        claimed = conformance.file_name_standard(file_name(resource))
        key = (digest, claimed.id if claimed else None)
        with self.lock:
            result = self.by_hash.get(digest)
            standard = self.standards.get(key)
        if result is None or standard is None:
            try:
                result = rating.rate(fetched.content)
            except Exception:  # one file the scorer cannot take must not stop the batch
                log.exception("rating %s failed", resource.get("id"))
                return _Outcome("error", rating.failed("unknown_format"))
            try:
                standard = standard_conformance(resource, result)
            except Exception:  # the data rate stands without it
                log.exception("checking %s against the standards failed", resource.get("id"))
                standard = (None, None)
            result.table = None  # the whole file: not kept for the batch
            with self.lock:
                self.by_hash[digest] = result
                self.standards[key] = standard
        return _Outcome("error" if result.error else "rated", result, fetched.etag,
                        fetched.last_modified, standard)


def _resources(package_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The active resources of active datasets, from their rows (one query)."""
    rows = (model.Session.query(model.Resource.id, model.Resource.package_id,
                                model.Resource.url, model.Resource.url_type,
                                model.Resource.last_modified, model.Resource.size,
                                model.Resource.extras, model.Resource.hash)
            .join(model.Package, model.Package.id == model.Resource.package_id)
            .filter(model.Resource.package_id.in_(package_ids),
                    model.Resource.state == "active", model.Package.state == "active")
            .order_by(model.Resource.package_id, model.Resource.position))
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.package_id, []).append({
            "id": row.id, "package_id": row.package_id, "url": row.url or "",
            "url_type": row.url_type, "size": row.size, "hash": row.hash,
            "last_modified": row.last_modified.isoformat() if row.last_modified else None})
    return found


def _ratings(package_ids: list[str]) -> dict[str, dict[str, ResourceRating]]:
    """``ResourceRating.for_packages`` without reading the findings: deciding what to look
    at needs the validators and hashes; findings are replaced, not read (decoding them was
    most of an unchanged batch's own time)."""
    found: dict[str, dict[str, ResourceRating]] = {}
    for row in model.Session.query(ResourceRating).options(
            defer(ResourceRating.findings), defer(ResourceRating.not_judged)).filter(
            ResourceRating.package_id.in_(package_ids)):
        found.setdefault(row.package_id, {})[row.resource_id] = row
    return found


def rate_datasets(package_ids: Iterable[str], force: bool = False, recheck: bool = False,
                  index_commit: bool = True) -> dict[str, int]:
    """Rate the resources of many datasets in one go; returns the summary.

    Without ``recheck`` a resource whose row is unchanged since its rating is not looked at
    (a save rates only what changed); with it (bulk rescoring) every remote file is asked
    for again, conditionally. ``force`` scores every file again. Without ``index_commit``
    the caller commits the search index (a bulk run commits once, at its end)."""
    package_ids = list(dict.fromkeys(package_ids))
    summary = empty_summary()
    if not package_ids:
        return summary
    resources = _resources(package_ids)
    existing = _ratings(package_ids)
    active = {row.id for row in model.Session.query(model.Package.id).filter(
        model.Package.id.in_(package_ids), model.Package.state == "active")}
    summary["datasets"] = len(active)
    checks: list[_Check] = []
    skipped: set[str] = set()
    for package_id in active:
        rows = existing.get(package_id, {})
        for resource in resources.get(package_id, []):
            summary["resources"] += 1
            row = rows.get(resource["id"])
            changed = row is None or row.fingerprint != fingerprint(resource)
            if changed or force or (recheck and resource.get("url_type") != "upload"):
                # the same bytes at a new address are not scored again either
                checks.append(_Check(resource, row.sha256 if row is not None else None,
                                     row.etag if row is not None else None,
                                     row.http_last_modified if row is not None else None,
                                     conditional=not changed,
                                     timed_out=row is not None and row.error == "timeout"))
            else:
                skipped.add(resource["id"])
    outcomes = _check_all(checks, force)
    now = datetime.datetime.now(datetime.timezone.utc)
    changed_datasets: set[str] = set() if recheck else set(active)
    unchanged_ids: list[str] = []
    for item, outcome in zip(checks, outcomes):
        resource = item.resource
        package_id = resource["package_id"]
        row = existing.get(package_id, {}).get(resource["id"])
        summary[{"rated": "rated", "unchanged": "unchanged", "error": "errors"}[
            outcome.kind]] += 1
        mark = fingerprint(resource)
        if outcome.kind == "unchanged" and row is not None:
            if row.fingerprint != mark:  # moved, same bytes: the stage may change
                row.fingerprint = mark
                changed_datasets.add(package_id)
            if (row.etag, row.http_last_modified) != (outcome.etag, outcome.last_modified):
                row.etag, row.http_last_modified = outcome.etag, outcome.last_modified
            unchanged_ids.append(row.resource_id)
            continue
        result = outcome.result or rating.failed("unreachable")
        if row is not None and result.sha256 is None and row.sha256 is None and \
                row.error == result.error and row.fingerprint == mark:
            unchanged_ids.append(row.resource_id)  # the same failure again
            continue
        if row is None:
            row = ResourceRating(resource_id=resource["id"], package_id=package_id)
            existing.setdefault(package_id, {})[resource["id"]] = row
        changed_datasets.add(package_id)
        row.content_stage, row.l1, row.l2, row.l3 = result.stage, result.l1, result.l2, \
            result.l3
        row.findings, row.columns, row.not_judged = result.findings, result.columns, \
            result.not_judged
        row.detected_format, row.encoding, row.error = result.detected_format, \
            result.encoding, result.error
        row.size, row.sha256, row.fingerprint, row.checked_at = result.size, \
            result.sha256, mark, now
        row.etag, row.http_last_modified = outcome.etag, outcome.last_modified
        row.standard, row.conformance = outcome.standard
        if result.sha256:  # the scorer ran (a download that failed has no bytes)
            row.scored_at = now
        model.Session.add(row)
    # removed resources and datasets
    for package_id in package_ids:
        keep = {resource["id"] for resource in resources.get(package_id, [])}
        for resource_id, row in list(existing.get(package_id, {}).items()):
            if resource_id not in keep:
                model.Session.delete(row)
                summary["removed"] += 1
                changed_datasets.add(package_id)
    _set_stages(changed_datasets & active, resources, existing)
    if unchanged_ids:
        model.Session.query(ResourceRating).filter(
            ResourceRating.resource_id.in_(unchanged_ids)).update(
            {"checked_at": now}, synchronize_session=False)
    summary["skipped"] = len(skipped)
    model.Session.commit()
    if changed_datasets:
        indexing.index_packages(sorted(changed_datasets), _site_user(), commit=index_commit,
                                visible_within_ms=None if index_commit else 10_000)
    _done(package_ids)
    return summary


def _check_all(checks: list[_Check], force: bool) -> list[_Outcome]:
    if not checks:
        return []
    checker = _Checker(force)
    threads = max(1, min(tk.config["ckanext.tdpf.schema.rating.fetch_threads"], len(checks)))
    # each host's files in the order to start them; a thread takes the next file of a host
    # with a free slot, so a host whose slots are all held by slow downloads holds no thread
    pending: dict[str | None, collections.deque] = {}
    for index in _order(checks):
        pending.setdefault(host_of(checks[index].resource), collections.deque()).append(index)
    outcomes: list[_Outcome | None] = [None] * len(checks)

    def work() -> None:
        while True:
            try:
                index, slot_taken = checker.gate.take(pending)
            except LookupError:
                return
            outcomes[index] = checker.check(checks[index], slot_taken)

    try:
        with concurrent.futures.ThreadPoolExecutor(threads, "tdpf-rating") as executor:
            for future in [executor.submit(work) for _ in range(threads)]:
                future.result()
    finally:
        checker.close()
    return [outcome or _Outcome("error", rating.failed("unreachable")) for outcome in outcomes]


def _order(checks: list[_Check]) -> list[int]:
    """The order to start the downloads in: one file each host answered last time (the
    first request to a host goes alone, so it must not be a slow one), then the files
    that ran into the time limit last time (waiting for them overlaps with the rest,
    instead of holding the end of the job), then the rest."""
    first: dict[str | None, int] = {}
    for index, item in enumerate(checks):
        if not item.timed_out:
            first.setdefault(host_of(item.resource), index)
    head = list(first.values())
    chosen = set(head)
    slow = [index for index, item in enumerate(checks) if item.timed_out]
    return head + slow + [index for index in range(len(checks))
                          if index not in chosen and not checks[index].timed_out]


def _set_stages(package_ids: set[str], resources: dict[str, list[dict[str, Any]]],
                existing: dict[str, dict[str, ResourceRating]]) -> None:
    """The stage of each rated resource: its content's, raised to 4 by the dataset's
    metadata and, where the file claims to be a 自治体標準オープンデータセット, its
    conformance (``conformance.Conformance.conforms``)."""
    for package_id, dataset in _metadata(package_ids).items():
        complete = metadata_complete(dataset)
        rows = existing.get(package_id, {})
        for resource in resources.get(package_id, []):
            row = rows.get(resource["id"])
            if row is not None:
                row.stage = rating.stage_with_metadata(
                    row.content_stage, complete,
                    standard_dataset_conformance(resource, row))


def _metadata(package_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The fields ``metadata_complete`` reads, as ``package_show`` shows them, from the
    datasets' rows in one query (a ``package_show`` each would cost a batch more than
    its writes): the schema keeps its fields as extras, ``tdpf_theme`` as a JSON list."""
    found = {}
    for package in model.Session.query(model.Package).filter(
            model.Package.id.in_(list(package_ids))):
        extras = package.extras or {}
        dataset = {"title": package.title, "notes": package.notes,
                   "license_id": package.license_id}
        dataset.update({field: extras.get(field) for field in METADATA_FIELDS
                        if field not in dataset})
        dataset["municipality_code"] = extras.get("municipality_code")
        themes = dataset.get("tdpf_theme")
        if isinstance(themes, str):
            try:
                dataset["tdpf_theme"] = json.loads(themes) if themes.startswith("[") \
                    else [themes]
            except ValueError:
                dataset["tdpf_theme"] = [themes]
        found[package.id] = dataset
    return found


def rate_each_on_failure(package_ids: list[str], **options: Any) -> dict[str, int]:
    """``rate_datasets`` of a bulk batch; if the batch fails, its datasets are rated one
    at a time, so that one bad dataset does not lose the others (it is logged, and
    counted in ``failed``)."""
    options.setdefault("index_commit", False)
    try:
        return dict(rate_datasets(package_ids, **options), failed=0)
    except Exception:
        model.Session.rollback()
        log.exception("rating a batch of %d datasets failed; rating them one by one",
                      len(package_ids))
    summary = dict(empty_summary(), failed=0)
    for package_id in package_ids:
        try:
            for key, value in rate_datasets([package_id], **options).items():
                summary[key] += value
        except Exception:
            model.Session.rollback()
            log.exception("rating dataset %s failed", package_id)
            summary["failed"] += 1
    return summary


def rate_dataset(package_id: str, force: bool = False) -> dict[str, int]:
    """Rate what changed in one dataset (the job a save by staff queues)."""
    return rate_datasets([package_id], force=force)


# Harvested datasets: ids wait in a Redis set; a drain job rates them a batch at a time
# (``pending``: the waiting set and the batches claimed from it).

def _drain_flag() -> str:
    return f"{tk.config.get('ckan.site_id') or 'default'}:tdpf_schema:rating:drain_queued"


DRAIN_TITLE = "tdpf data rate: pending batch"


def queue_for_rating(package_ids: Iterable[str], queue: str) -> None:
    """Add datasets to the pending set and make sure a drain job is queued."""
    package_ids = list(package_ids)
    if not package_ids:
        return
    pending.add(package_ids)
    _enqueue_drain(queue)


def resume_draining() -> None:
    """Queue a drain job for what waits (after ``pending.recover``)."""
    _enqueue_drain(tk.config["ckanext.tdpf.schema.rating.bulk_queue"])


def _enqueue_drain(queue: str) -> None:
    """Queue a drain job unless one is waiting (the flag names it; a queue emptied with
    ``ckan jobs clear`` leaves a flag whose job is gone, and a new one is queued)."""
    redis = connect_to_redis()
    waiting = redis.get(_drain_flag())
    if waiting:
        try:
            status = Job.fetch(waiting.decode() if isinstance(waiting, bytes) else waiting,
                               connection=redis).get_status()
        except NoSuchJobError:
            status = None
        if status in ("queued", "deferred", "scheduled"):
            return
    job = tk.enqueue_job(rate_pending, [queue], queue=queue, title=DRAIN_TITLE)
    redis.set(_drain_flag(), job.id, ex=86400)


# A dataset whose rating is queued or running, for the pages' 「判定中」: marked when a
# staff save queues its job, cleared when its rating is stored (expires after an hour in
# case a worker died); harvested datasets are in the pending set until their batch runs.
IN_PROGRESS_SECONDS = 3600


def _in_progress_key(package_id: str) -> str:
    return f"{tk.config.get('ckan.site_id') or 'default'}:tdpf_schema:rating:busy:{package_id}"


def mark_in_progress(package_id: str) -> None:
    connect_to_redis().set(_in_progress_key(package_id), 1, ex=IN_PROGRESS_SECONDS)


def in_progress(package_id: str) -> bool:
    return bool(connect_to_redis().exists(_in_progress_key(package_id))) or \
        pending.is_waiting_or_claimed(package_id)


def _done(package_ids: list[str]) -> None:
    try:
        connect_to_redis().delete(*[_in_progress_key(i) for i in package_ids])
    except Exception as error:  # noqa: BLE001 - the markers expire by themselves
        log.warning("could not clear the rating markers: %s", error)


def pending_count() -> int:
    return pending.waiting_count()


def pending_ids() -> set[str]:
    """The datasets waiting for a batch rating."""
    return pending.waiting_ids()


def rate_pending(queue: str) -> dict[str, int]:
    """The drain job: rate one batch of the pending datasets; queue the next drain if more
    are waiting (one batch per job lets the default queue's jobs run in between). The
    batch stays claimed until it is rated: a killed worker's batch waits again later."""
    connect_to_redis().delete(_drain_flag())  # a dataset added from now on queues a drain
    ids = pending.take(tk.config["ckanext.tdpf.schema.rating.batch_size"])
    summary = rate_each_on_failure(ids)
    pending.release(ids)
    if pending.waiting_count():
        _enqueue_drain(queue)
    return summary


def rating_status(organization_id: str) -> dict[str, Any]:
    """How much of an organization's public datasets' resources is rated."""
    from sqlalchemy import func

    resources = (model.Session.query(model.Resource.id)
                 .join(model.Package, model.Package.id == model.Resource.package_id)
                 .filter(model.Package.owner_org == organization_id,
                         model.Package.state == "active", model.Package.private.is_(False),
                         model.Resource.state == "active"))
    ids = resources.subquery()
    total = resources.count()
    row = (model.Session.query(
        func.count(ResourceRating.resource_id).filter(ResourceRating.error.is_(None)),
        func.count(ResourceRating.resource_id).filter(ResourceRating.error.isnot(None)),
        func.min(ResourceRating.checked_at), func.max(ResourceRating.checked_at))
        .filter(ResourceRating.resource_id.in_(model.Session.query(ids.c.id)))).one()
    rated, errors, first, last = row
    return {"resources": total, "rated": rated, "errors": errors,
            "pending": total - rated - errors,
            "checked_at": {"first": first.isoformat() if first else None,
                           "last": last.isoformat() if last else None}}


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def dataset_summary(rows: list[ResourceRating]) -> dict[str, Any]:
    """Dataset level: the best stage of its resources and the mean level scores."""
    stages = [row.stage for row in rows if row.stage is not None]

    def mean(values: list[int | None]) -> int | None:
        present = [value for value in values if value is not None]
        return round(sum(present) / len(present)) if present else None

    return {
        "tdpf_data_rate": max(stages) if stages else None,
        "tdpf_data_rate_l1": mean([row.l1 for row in rows]),
        "tdpf_data_rate_l2": mean([row.l2 for row in rows]),
        "tdpf_data_rate_l3": mean([row.l3 for row in rows]),
    }
