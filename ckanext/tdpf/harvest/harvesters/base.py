"""What every TDPF harvester shares, on ckanext-harvest's stages.

A harvester only says how to list a source's records (``records``). Here:

- gather: stream the listing page by page; map each record onto the TDPF schema, clean it
  (``mapping.clean_dataset``: each change a warning the import reports) and hash it;
  records whose hash is unchanged are counted and skipped (no object, no write); new and
  changed ones become harvest objects carrying their mapped dataset; records gone
  from the source are withdrawn, but never after an incomplete or empty listing, nor when
  more than ``max_delete_ratio`` of the source would go;
- fetch: nothing left to fetch, the content came with the listing;
- import: organizations are matched or created, the dataset created or updated with its
  provenance, or withdrawn, a batch at a time (``importer``). Every fault is an error on
  its own object; the job goes on.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import secrets
import urllib.parse
from typing import Any, Iterator

import msgspec
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.model.types import make_uuid
from ckanext.harvest import queue
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import (HarvestGatherError, HarvestJob, HarvestObject,
                                   HarvestObjectError, HarvestObjectExtra)

from ckanext.tdpf.lib.i18n import N_, Message, bilingual, japanese

from .. import config as source_config
from ..http import Client
from ..mapping import clean_dataset, content_hash, match_keys, organization_from_remote
from ..importer import BatchImporter
from ..model import Holding, JobSummary

log = logging.getLogger(__name__)
FLUSH_EVERY = 200
EXISTING_CHUNK = 1000  # dataset ids per query when reading what a source harvested
INLINE = "tdpf_import_inline"  # a job's attribute: its importer takes the ids (import_inline)


def import_inline(harvest_job: HarvestJob) -> None:
    """Have ``gather_stage`` return the job's object ids instead of queueing them."""
    setattr(harvest_job, INLINE, True)


def _forget_claim(object_id: str) -> None:
    """ckanext-harvest's Redis consumer marks an object it takes and clears the mark when it
    acknowledges the object, after the import. A consumer that dies in between leaves the
    mark, and cron resends the object three minutes later, when its job may have finished:
    ckanext-harvest then marks the imported object ERROR ("aborted or timed out"). The mark
    goes as soon as the import is committed (its key as ckanext-harvest's consumer makes
    it)."""
    if tk.config.get("ckan.harvest.mq.type") != "redis":
        return
    try:
        connection = queue.get_connection()
        consumer = queue.RedisConsumer(connection, queue.get_fetch_routing_key())
        connection.delete(consumer.persistance_key(
            msgspec.json.encode({"harvest_object_id": object_id})))
    except Exception:  # noqa: BLE001 - Redis down: the consumer's own ack fails as well
        log.warning("could not clear the queue's mark of harvest object %s", object_id,
                    exc_info=True)


def _queued(job_id: str) -> bool:
    """Whether a copy of one of the job's objects waits in the Redis fetch queue, or has
    been taken by a consumer that has not finished with it (its claim is there)."""
    if tk.config.get("ckan.harvest.mq.type") != "redis":
        return False
    connection, key = queue.get_connection(), queue.get_fetch_routing_key()
    waiting = []
    for item in connection.lrange(key, 0, -1):
        try:
            waiting.append(str(msgspec.json.decode(item)["harvest_object_id"]))
        except (msgspec.DecodeError, KeyError, TypeError):
            continue  # (ckanext-harvest's consumer drops it)
    for claim in connection.scan_iter(match=f"{key}:*", count=1000):
        claim = claim.decode() if isinstance(claim, bytes) else claim
        waiting.append(claim.rsplit(":", 1)[-1])
    for start in range(0, len(waiting), EXISTING_CHUNK):
        if (model.Session.query(HarvestObject.id)
                .filter(HarvestObject.harvest_job_id == job_id,
                        HarvestObject.id.in_(waiting[start:start + EXISTING_CHUNK]))
                .first()) is not None:
            return True
    return False


class ListingFailed(Exception):
    """The listing stopped before its end; what came before it is still imported.
    ``message`` says why, in either language."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclasses.dataclass
class Record:
    remote_id: str
    dataset: dict[str, Any]          # mapped onto the TDPF schema, without name and owner
    organization: dict[str, Any]     # a local organization spec (name, title, type, code)
    url: str = ""                    # the record's page at the source
    modified: str = ""               # metadata_modified at the source


@dataclasses.dataclass
class Decision:
    action: str   # new | change | unchanged | delete | error | incomplete | refused
    guid: str = ""
    payload: dict[str, Any] | None = None
    package_id: str | None = None
    message: str = ""
    # an unchanged record whose holding lacks its match keys (held before they were kept)
    keys: tuple[str | None, str | None] | None = None


HARVEST_USER = "harvest"


def ensure_harvest_user() -> None:
    """The sysadmin the harvest acts as, made through ``user_create`` if it is missing (an
    unguessable password: nobody logs in as it)."""
    if model.User.by_name(HARVEST_USER) is not None:
        return
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    tk.get_action("user_create")(
        {"ignore_auth": True, "user": site_user["name"]},
        {"name": HARVEST_USER, "email": "harvest@example.invalid", "sysadmin": True,
         "password": secrets.token_urlsafe(32),
         "fullname": japanese(N_("Tokyo Data Platform (harvest)"))})


class TDPFHarvester(HarvesterBase):
    source_type = ""
    title = ""
    description = ""

    def _get_user_name(self) -> str:
        """The harvest acts as the sysadmin ``harvest`` (made on first use; ckanext-harvest
        takes that user when it exists), not as the site user: CKAN hides the site user's
        activities from every stream (``ckan.hide_activity_from_users``), and a harvested
        dataset's 「新しいデータセット」 must show on dashboards and organization pages.
        ``ckanext.harvest.user_name`` names another user."""
        if tk.config.get("ckanext.harvest.user_name"):
            return super()._get_user_name()
        ensure_harvest_user()  # each time (one query): a test may have emptied the database
        return HARVEST_USER

    # IHarvester

    def info(self) -> dict[str, str]:
        return {"name": self.source_type, "title": self.title,
                "description": self.description, "form_config_interface": "Text"}

    def validate_config(self, config: str | None) -> str | None:
        source_config.parse(config)
        return config

    def records(self, source_url: str, config: dict[str, Any], client: Client
                ) -> Iterator[Record | Exception]:
        """Yield the source's records, or an exception for a record that cannot be read;
        raise ``ListingFailed`` if the listing cannot go on."""
        raise NotImplementedError

    def decisions(self, source: Any, config: dict[str, Any], force: bool = False
                  ) -> Iterator[Decision]:
        """What to do with each listed record, then with each record gone from the source.
        Shared by the gather stage and ``ckan tdpf-harvest run --dry-run``."""
        existing = self._existing(source.id)
        seen: set[str] = set()
        complete = True
        try:
            for item in self.records(source.url, config, Client(config)):
                if isinstance(item, Exception):
                    yield Decision("error", message=bilingual(
                        N_("Record skipped: {error}"), error=str(item)))
                    continue
                if item.remote_id in seen:
                    yield Decision("error", message=bilingual(
                        N_("Duplicate record {id} in the listing; only the first is "
                           "harvested."), id=item.remote_id))
                    continue
                seen.add(item.remote_id)
                warnings, positions = clean_dataset(item.dataset)
                payload = {"dataset": item.dataset, "organization": item.organization,
                           "url": item.url, "modified": item.modified,
                           "hash": content_hash([item.dataset, item.organization])}
                if warnings:  # reported on the object when it is imported
                    payload["warnings"] = warnings
                if positions is not None:  # resources dropped: errors name remote ones
                    payload["resource_positions"] = positions
                previous = existing.get(item.remote_id)
                if previous and previous[1] == payload["hash"] and not force:
                    yield Decision("unchanged", guid=item.remote_id, keys=match_keys(
                        item.dataset, item.organization) if previous[2] else None)
                else:
                    yield Decision("change" if previous else "new", guid=item.remote_id,
                                   payload=payload,
                                   package_id=previous[0] if previous else None)
        except ListingFailed as error:
            complete = False
            yield Decision("incomplete", message=bilingual(
                N_("The listing stopped early: {error}"), error=error.message))
        refusal = self._withdrawal_refusal(complete, len(seen), existing, seen, config)
        if refusal:
            yield Decision("refused", message=refusal)
            return
        for guid, (package_id, _hash, _keyless) in existing.items():
            if guid not in seen:
                yield Decision("delete", guid=guid, package_id=package_id)

    def gather_stage(self, harvest_job: HarvestJob) -> list[str]:
        """Store the job's objects a page at a time. Run by ckanext-harvest's gather
        consumer, each page is queued for the fetch consumers as soon as it is committed,
        and no ids are returned: ckanext-harvest would queue them all only once the whole
        listing is gathered, while its cron resends every WAITING object it does not see
        queued, so a cron run during a long gather queued them twice. The consumers start
        on the first page while the rest is listed. A job marked ``import_inline``
        (``ckan tdpf-harvest run``) gets the ids back and imports them itself."""
        if getattr(harvest_job, INLINE, False):
            return self._gather(harvest_job, None)
        publisher = queue.get_fetch_publisher()
        try:
            self._gather(harvest_job, publisher)
        finally:
            publisher.close()
        # (ckanext-harvest sets this again when we return; a job whose objects were all
        # imported during the listing, or that has none, finishes now)
        harvest_job.gather_finished = datetime.datetime.utcnow()
        harvest_job.save()
        self.finish_if_done(harvest_job.id)
        return []

    def finish_if_done(self, job_id: str) -> None:
        """ckanext-harvest marks a job finished (its time, the source's index, the status
        mails) only in ``harvest_jobs_run``, which its cron runs every 15 minutes: a job
        started from the source's page showed 「実行中」 that long after its last record.
        Run for the job's source once its listing has ended, no object is left to import
        and no copy of one waits in the fetch queue (ckanext-harvest marks a copy taken
        after its job finished ERROR, though its object was imported). The end of the
        listing and each object's import both ask, each after committing its own part, so
        one of them sees the job done (cron stays the fallback)."""
        job = model.Session.get(HarvestJob, job_id)
        if job is None or job.status != "Running" or job.gather_finished is None:
            return
        busy = (model.Session.query(HarvestObject.id)
                .filter(HarvestObject.harvest_job_id == job_id,
                        HarvestObject.state.notin_(("COMPLETE", "ERROR")))
                .first())
        try:
            if busy is None and not _queued(job_id):
                tk.get_action("harvest_jobs_run")(
                    {"model": model, "session": model.Session, "ignore_auth": True,
                     "user": self._get_user_name()}, {"source_id": job.source_id})
        except Exception:  # noqa: BLE001 - the import stands; cron finishes the job
            model.Session.rollback()
            log.warning("could not mark harvest job %s finished; cron will", job_id,
                        exc_info=True)

    def _gather(self, harvest_job: HarvestJob, publisher: Any) -> list[str]:
        summary = JobSummary(job_id=harvest_job.id, listed=0, unchanged=0, gather_errors=0,
                             listing_complete=True,
                             created=datetime.datetime.now(datetime.timezone.utc))
        model.Session.add(summary)
        try:
            config = source_config.parse(harvest_job.source.config)
        except source_config.ConfigError as error:
            summary.gather_errors += 1
            summary.listing_complete = False
            HarvestGatherError(message=str(error), job=harvest_job).save()
            return []
        object_ids: list[str] = []
        # a page of objects and their status extras, inserted together: the ORM's unit of
        # work cost more than the listing and mapping of the page
        objects: list[dict[str, Any]] = []
        extras: list[dict[str, Any]] = []
        organizations: dict[str, dict[str, Any]] = {}  # the page's, by name
        importer = BatchImporter(self._get_user_name(), self._organization)
        keys: list[dict[str, Any]] = []  # match keys of unchanged records held without them

        def flush() -> None:
            """Commit a page of objects and let them go: memory stays flat. The
            organizations they need are made first, so that parallel imports find them made
            (one that cannot be made is an error on each of its objects at import), and the
            objects are queued as soon as they are committed."""
            model.Session.commit()  # (the summary so far: a refused organization rolls back)
            if organizations:
                importer.organizations_for(organizations)
                organizations.clear()
            if objects:
                model.Session.execute(sa.insert(HarvestObject.__table__), objects)
                model.Session.execute(sa.insert(HarvestObjectExtra.__table__), extras)
            if keys:
                table = Holding.__table__
                model.Session.execute(
                    sa.update(table).where(table.c.source_id == harvest_job.source_id,
                                           table.c.guid == sa.bindparam("b_guid"))
                    .values(url_key=sa.bindparam("b_url"), title_key=sa.bindparam("b_title")),
                    keys)
                keys.clear()
            model.Session.commit()
            if publisher is None:
                object_ids.extend(row["id"] for row in objects)
            else:
                for row in objects:
                    publisher.send({"harvest_object_id": row["id"]})
            objects.clear()
            extras.clear()

        force = bool(getattr(harvest_job, "force_import", False))
        gathered = datetime.datetime.utcnow()
        for decision in self.decisions(harvest_job.source, config, force):
            if decision.action in ("error", "incomplete", "refused"):
                summary.gather_errors += 1
                if decision.action == "refused":
                    summary.withdrawal_refused = decision.message
                if decision.action == "incomplete":
                    summary.listing_complete = False
                HarvestGatherError(message=decision.message, job=harvest_job).save()
                continue
            if decision.action != "delete":
                summary.listed += 1
            if decision.action == "unchanged":
                summary.unchanged += 1
                if decision.keys:
                    keys.append({"b_guid": decision.guid, "b_url": decision.keys[0],
                                 "b_title": decision.keys[1]})
                continue
            spec = (decision.payload or {}).get("organization")
            if isinstance(spec, dict) and spec.get("name"):
                organizations.setdefault(spec["name"], spec)
            object_id = make_uuid()
            objects.append({
                "id": object_id, "guid": decision.guid, "harvest_job_id": harvest_job.id,
                "harvest_source_id": harvest_job.source_id, "package_id": decision.package_id,
                "content": (msgspec.json.encode(decision.payload).decode()
                            if decision.payload else None),
                "state": "WAITING", "gathered": gathered, "current": False, "retry_times": 0})
            extras.append({"id": make_uuid(), "harvest_object_id": object_id,
                           "key": "status", "value": decision.action})
            if len(objects) >= FLUSH_EVERY:
                flush()
        flush()
        return object_ids

    @staticmethod
    def _withdrawal_refusal(complete: bool, listed: int, existing: dict, seen: set,
                            config: dict[str, Any]) -> str | None:
        gone = [guid for guid in existing if guid not in seen]
        if not gone:
            return None
        if not complete:
            return bilingual(N_("The listing was incomplete, so no dataset was withdrawn "
                                "({count} missing from it)."), count=len(gone))
        if listed == 0:
            return bilingual(N_("The source listed no records; refusing to withdraw its "
                                "{count} datasets."), count=len(gone))
        ratio = len(gone) / len(existing)
        if ratio > config["max_delete_ratio"]:
            return bilingual(N_("{count} of {total} datasets are gone from the source, more "
                                "than max_delete_ratio {ratio}; none was withdrawn."),
                             count=len(gone), total=len(existing),
                             ratio=config["max_delete_ratio"])
        return None

    @staticmethod
    def _existing(source_id: str) -> dict[str, tuple[str, str | None, bool]]:
        """remote id → (local dataset id, content hash of this source's record, whether
        its match keys are missing) of what this source holds in active datasets
        (``Holding``: a dataset several sources hold has the content of one of them, so
        each record's own hash is kept there).

        Two single-table reads, not a join: right after a large first run the planner's
        statistics still say the tables are empty, and it joined them in a loop that read
        the source's whole index once per dataset (0.8 s for 5,000)."""
        holdings = (model.Session.query(Holding.guid, Holding.package_id,
                                        Holding.content_hash,
                                        Holding.url_key.is_(None)
                                        & Holding.title_key.is_(None))
                    .filter(Holding.source_id == source_id).all())
        package_ids = [package_id for _guid, package_id, _hash, _keyless in holdings]
        active: set[str] = set()
        for first in range(0, len(package_ids), EXISTING_CHUNK):
            active.update(package_id for (package_id,) in model.Session.query(
                model.Package.id).filter(
                    model.Package.id.in_(package_ids[first:first + EXISTING_CHUNK]),
                    model.Package.state == "active"))
        return {guid: (package_id, digest, bool(keyless))
                for guid, package_id, digest, keyless in holdings if package_id in active}

    def fetch_stage(self, harvest_object: HarvestObject) -> bool:
        return True

    def import_stage(self, harvest_object: HarvestObject) -> bool:
        """One object, as ckanext-harvest's fetch consumer hands them out; the synchronous
        run imports whole batches (``import_objects``). An object handed out a second time
        after its import is left as it is (``BatchImporter._claim``)."""
        importer = BatchImporter(self._get_user_name(), self._organization)
        counts = importer.run([harvest_object])
        _forget_claim(harvest_object.id)
        if harvest_object.id in importer.skipped:
            model.Session.refresh(harvest_object)  # its dataset and flags, as imported
            # a copy, maybe the job's last: its state back to its import's outcome (the
            # consumer set it to IMPORT, and sets it again from what this returns)
            imported = harvest_object.report_status != "errored"
            harvest_object.state = "COMPLETE" if imported else "ERROR"
            model.Session.commit()
            self.finish_if_done(harvest_object.harvest_job_id)
            return imported
        self.finish_if_done(harvest_object.harvest_job_id)  # (its state is committed)
        return not counts["errored"]

    def import_objects(self, objects: list[HarvestObject],
                       commit_index: bool = True) -> dict[str, int]:
        """Import a batch of this source's objects in one transaction and index update
        (committed unless ``commit_index`` is false: a whole job commits once)."""
        return BatchImporter(self._get_user_name(), self._organization,
                             commit_index).run(objects)

    def _organization(self, spec: dict[str, Any], context: dict) -> str:
        """The local organization for a spec, matched by name; created when missing."""
        existing = model.Group.get(spec["name"])
        if existing is not None and existing.is_organization:
            if existing.state != "active":
                existing.state = "active"
                model.Session.commit()
            return existing.id
        created = tk.get_action("organization_create")(dict(context), {
            key: value for key, value in spec.items() if value not in (None, "")})
        return created if isinstance(created, str) else created["id"]  # (return_id_only)

    @staticmethod
    def _object_error(harvest_object: HarvestObject, message: str) -> None:
        log.warning("harvest object %s: %s", harvest_object.guid, message)
        HarvestObjectError(message=message, object=harvest_object, stage="Import").save()


def organization_spec(remote: dict[str, Any] | None, config: dict[str, Any],
                      source_url: str) -> dict[str, Any]:
    """The local organization for a record: the source config's map or its one
    organization first; else the Tokyo naming convention (``t`` + code), else the remote
    name scoped to the source's host."""
    name = (remote or {}).get("name") or ""
    if name in config["organization_map"]:
        return _local_spec(config["organization_map"][name])
    if config["organization"]:
        return _local_spec(config["organization"])
    spec = organization_from_remote(remote or {}, {"provider_type": config["provider_type"]})
    if not spec.get("name"):
        raise ValueError("the record has no organization and the source config names none")
    if not spec.get("municipality_code") and not spec["name"].startswith("t0"):
        host = (urllib.parse.urlsplit(source_url).hostname or "source").split(".")[0]
        spec["name"] = f"{host}-{spec['name']}"[:100]
    if not spec.get("tdpf_provider_type"):
        raise ValueError(f"no provider type for the organization {name!r}; set provider_type,"
                         " organization or organization_map in the source config")
    return spec


def _local_spec(configured: dict[str, Any]) -> dict[str, Any]:
    """A source config's organization spec in the organization schema's terms."""
    spec = {"name": configured["name"], "title": configured.get("title") or configured["name"],
            "tdpf_provider_type": configured.get("provider_type"),
            "municipality_code": configured.get("municipality_code")}
    return {key: value for key, value in spec.items() if value}
