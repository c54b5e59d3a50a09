"""Import harvest objects in batches, through CKAN's own actions.

Every dataset a harvest creates, updates or withdraws goes through ``package_create``,
``package_update`` or ``package_delete`` as the deployed plugin list makes them: chained
actions and auth functions, the ``IPackageController`` hooks, the ``action_succeeded``
signal (ckanext-activity records the 「新しいデータセット」 activity from it, actor the
harvest's site user), the default views. What a batch saves differently is only what CKAN
lets a caller defer: the actions run with ``defer_commit`` and ``return_id_only``, the batch
is one database transaction with one commit, and its datasets are indexed after that
commit, through CKAN's search API without a Solr commit each (``lib.indexing``); a job
commits the search index once, at its end.

A record that is refused (its organization, a name another source holds, the schema's or a
plugin's validation) is an error on its own object and the rest of the batch lands. CKAN's
actions roll the whole session back on a validation error, so the batch is then imported
again without the refused records. If a write fails for another reason, the batch is rolled
back and imported again one object per transaction. A batch is indexed only after it is
committed, so the search index never shows a dataset the database does not have.

Cross-source duplicates: which sources hold which dataset is kept in ``Holding`` rows, one
per source record. A record new to its source that has the same match keys as another
source's dataset (``mapping.match_keys``: the same resource URLs, or the same organization
and title) is merged into that dataset instead of making one; a source holds a dataset
through one record at most. The dataset's content comes from the holding of the source
with the highest precedence (``config``; on a tie, the one that held it first): a record
of a lower one updates only its holding. Withdrawing a record keeps the dataset while
another source holds it (its content then comes from the best of those); the last
withdrawal deletes it. The merge, and a content that comes from another source, are
warnings on the object, naming that source.

What the gather stage cleaned (``mapping.clean_dataset``) is reported on the object as
warnings once it is imported: ``HarvestObjectError`` rows of the stage ``WARNING_STAGE``,
which the job page and ``ckan tdpf-harvest run`` count apart from errors. A refusal names
each field refused by its path and value (``resources[72].name: … — "…"``).
"""
from __future__ import annotations

import datetime
import json
import logging
from typing import Any, Callable, Iterable

import msgspec
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest.model import HarvestObject, HarvestObjectError, HarvestSource

from ckanext.tdpf.lib import indexing, provenance
from ckanext.tdpf.lib.i18n import N_, bilingual

from . import config as source_config
from .mapping import local_fields, match_keys, shown, stable_name
from .model import WARNING_STAGE, Holding

log = logging.getLogger(__name__)
# A batch whose records are refused by the actions' validation is imported again without
# them; after this many refusals in one batch, its objects go one per transaction.
MAX_RESTARTS = 3


class BatchImporter:
    """Imports lists of harvest objects of one source; ``organization`` resolves a local
    organization spec to an id (creating it when missing). Without ``commit_index`` the
    search index is not committed per batch: the caller commits it (``indexing.commit``)."""

    def __init__(self, user: str, organization: Callable[[dict[str, Any], dict], str],
                 commit_index: bool = True):
        self.user = user
        self.commit_index = commit_index  # false: the caller commits the index at its end
        self.site_user = model.User.by_name(user)
        self.organization = organization
        self.organization_cache: dict[str, Any] = {}
        # what the batch's objects already have locally, read once per batch: every guid
        # and name of the batch is a key (an empty list, None: nothing there)
        self.current_objects: dict[str, list[HarvestObject]] = {}
        self.packages_by_name: dict[str, model.Package | None] = {}
        self.payloads: dict[str, dict[str, Any] | Exception] = {}
        self.written = False  # whether the last object saved wrote its dataset
        self.keys: dict[str, tuple[str | None, str | None]] = {}  # match keys by guid
        self.new_holdings: list[dict[str, Any]] = []  # inserted with the batch's commit
        # the batch source's holdings of the batch's guids; the other sources' holdings of
        # the datasets those hold; the dataset each new record is merged into, and why
        self.holdings: dict[str, Holding] = {}
        self.others: dict[str, list[Holding]] = {}
        self.matches: dict[str, tuple[str, str]] = {}
        self.sources: dict[str, tuple[int, str]] = {}  # source id → precedence, title
        self.rewritten: list[str] = []  # datasets shown anew from another source
        self.skipped: set[str] = set()  # objects another importer had imported (_claim)

    def context(self, **extra: Any) -> dict[str, Any]:
        """The context of the batch's actions: the site user (its access is checked, as
        for any caller), the provenance mark, no commit of its own."""
        return {"user": self.user, "auth_user_obj": self.site_user,
                provenance.CONTEXT_KEY: True, "model": model, "session": model.Session,
                "defer_commit": True, "return_id_only": True,
                provenance.ORGANIZATION_CACHE_KEY: self.organization_cache, **extra}

    def run(self, objects: Iterable[HarvestObject]) -> dict[str, int]:
        """Import the objects; returns counts by report status (added, updated, deleted,
        errored)."""
        objects = list(objects)
        counts = {"added": 0, "updated": 0, "deleted": 0, "errored": 0}
        saves = [obj for obj in objects if _status(obj) != "delete"]
        organizations = self.organizations(saves)
        refusals: dict[str, str] = {}  # object id → why the actions refused its record
        saved: list[str] = []
        one_by_one = False
        while True:
            saves = self._claim(saves)  # (again after a rollback: it let the locks go)
            self._read_local_state(saves)
            try:
                saved = self._save_all(saves, organizations, counts, refusals, one_by_one)
                break
            except _Restart as restart:  # the action rolled the batch back: again without it
                refusals[restart.object_id] = restart.message
                one_by_one = len(refusals) > MAX_RESTARTS
            except Exception:  # a write failed: keep nothing of the batch, go one by one
                if one_by_one:
                    raise
                log.warning("a harvest batch failed; importing its objects one by one",
                            exc_info=True)
                one_by_one = True
            model.Session.rollback()
        self._index(saved)
        # package_delete commits and indexes by itself: withdrawals go one by one, after
        # the batch (they are few; max_delete_ratio guards them).
        for harvest_object in objects:
            if _status(harvest_object) != "delete" or not self._claim([harvest_object]):
                continue
            try:
                self._withdraw(harvest_object)
            except Exception as error:
                model.Session.rollback()
                self._object_error(harvest_object, _message(error))
                counts["errored"] += 1
            else:
                counts["deleted"] += 1
            model.Session.commit()
        self._index(self.rewritten)
        self.rewritten = []
        self.payloads.clear()
        self.keys.clear()
        return counts

    def _claim(self, objects: list[HarvestObject]) -> list[HarvestObject]:
        """Lock the objects' rows until this transaction ends and leave out those imported
        meanwhile (``skipped``). ckanext-harvest hands an object out twice when its cron
        resends the WAITING objects it does not see queued (a gather still storing them, a
        consumer that has just taken one) or an import that has run for three minutes:
        the second importer waits for the first and finds the object imported. Rows are
        locked in id order, so two importers never wait for each other in a circle."""
        if not objects:
            return objects
        table = HarvestObject.__table__
        imported = {row.id for row in model.Session.execute(
            sa.select(table.c.id, table.c.import_finished)
            .where(table.c.id.in_([obj.id for obj in objects]))
            .order_by(table.c.id).with_for_update()) if row.import_finished is not None}
        for object_id in imported:
            log.info("harvest object %s was handed out twice and is imported already; "
                     "left as it is", object_id)
        self.skipped |= imported
        return [obj for obj in objects if obj.id not in imported]

    def _save_all(self, objects: list[HarvestObject], organizations: dict,
                  counts: dict[str, int], refusals: dict[str, str],
                  one_by_one: bool) -> list[str]:
        """Save the datasets of the objects and commit; returns their ids. A record
        refused before anything of it is written is an error on its object and the batch
        goes on; one the actions refuse raises ``_Restart`` (they rolled the session
        back), unless ``one_by_one``, where each object has a transaction of its own; any
        other failure raises too."""
        counts.update(added=0, updated=0, errored=0)
        saved: list[str] = []
        self.new_holdings = []
        for harvest_object in objects:
            if harvest_object.id in refusals:
                self._object_error(harvest_object, refusals[harvest_object.id])
                counts["errored"] += 1
                continue
            try:
                package_id, report_status = self._save(harvest_object, organizations)
            except Refused as refusal:
                self._object_error(harvest_object, str(refusal))
                counts["errored"] += 1
            except _Restart as restart:
                if not one_by_one:
                    raise
                model.Session.rollback()
                self.new_holdings = []
                self._object_error(harvest_object, restart.message)
                counts["errored"] += 1
            except Exception as error:
                if not one_by_one:
                    raise
                model.Session.rollback()
                self.new_holdings = []
                self._object_error(harvest_object, _message(error))
                counts["errored"] += 1
            else:
                harvest_object.report_status = report_status
                counts[report_status] += 1
                if self.written:
                    saved.append(package_id)
            if one_by_one:
                self._commit()
        self._commit()
        return saved

    def _commit(self) -> None:
        """Commit, with the holdings made since the last commit (one insert)."""
        if self.new_holdings:
            model.Session.execute(sa.insert(Holding.__table__), self.new_holdings)
            self.new_holdings = []
        model.Session.commit()

    def organizations(self, objects: Iterable[HarvestObject]) -> dict[str, str | Exception]:
        """Local organization ids by name for the objects, created before any dataset of
        the batch is written (creating one commits)."""
        specs: dict[str, dict[str, Any]] = {}
        for harvest_object in objects:
            payload = self._payload(harvest_object)
            spec = payload.get("organization") if isinstance(payload, dict) else None
            if isinstance(spec, dict) and spec.get("name") and spec["name"] not in specs:
                specs[spec["name"]] = spec  # (a record without one is refused on import)
        return self.organizations_for(specs)

    def organizations_for(self, specs: dict[str, dict[str, Any]]
                          ) -> dict[str, str | Exception]:
        """Local organization ids for specs by name, created when missing. The gather
        stage calls this on each page it stores, so that parallel imports find their
        organizations made and no two workers create the same one."""
        # the active organizations in one query, for the validators too; the others are
        # created or reactivated one by one
        active = {group.name: group for group in model.Session.query(model.Group).filter(
            model.Group.name.in_(list(specs)), model.Group.is_organization.is_(True),
            model.Group.state == "active")} if specs else {}
        found: dict[str, str | Exception] = {}
        for name, spec in specs.items():
            if name in active:
                found[name] = active[name].id
                self.organization_cache[active[name].id] = active[name]
                continue
            try:
                # (return_id_only: organization_create then skips its organization_show)
                found[name] = self.organization(spec, self.context(defer_commit=False))
            except Exception as error:  # reported on each object of that organization
                model.Session.rollback()
                found[name] = error
        return found

    def _payload(self, harvest_object: HarvestObject) -> dict[str, Any] | Exception:
        """The object's parsed content (or why it cannot be parsed), parsed once for the
        organizations and the import."""
        if harvest_object.id not in self.payloads:
            try:
                self.payloads[harvest_object.id] = msgspec.json.decode(harvest_object.content)
            except (TypeError, ValueError) as error:
                self.payloads[harvest_object.id] = error
        return self.payloads[harvest_object.id]

    def _read_local_state(self, objects: list[HarvestObject]) -> None:
        """The objects' current predecessors and the datasets holding their names, in two
        queries for the batch instead of three per object."""
        self.current_objects = {obj.guid: [] for obj in objects}
        self.packages_by_name = {}
        if not objects:
            return
        for previous in (model.Session.query(HarvestObject)
                         .filter(HarvestObject.guid.in_(list(self.current_objects)),
                                 HarvestObject.harvest_source_id
                                 == objects[0].harvest_source_id,
                                 HarvestObject.current.is_(True))):
            self.current_objects[previous.guid].append(previous)
        url = objects[0].source.url
        self.packages_by_name = {stable_name(url, obj.guid): None for obj in objects}
        for package in (model.Session.query(model.Package)
                        .filter(model.Package.name.in_(list(self.packages_by_name)))):
            self.packages_by_name[package.name] = package
        self._read_holdings(objects)

    def _read_holdings(self, objects: list[HarvestObject]) -> None:
        """The batch source's holdings of its guids, the datasets another source holds that
        its new records match, and the other sources' holdings of all those datasets: a few
        queries for the whole batch."""
        source_id = objects[0].harvest_source_id
        self.holdings = {holding.guid: holding for holding in model.Session.query(Holding)
                         .filter(Holding.source_id == source_id,
                                 Holding.guid.in_(list(self.current_objects)))}
        keys: dict[str, tuple[str | None, str | None]] = {}
        # a record whose name a live dataset holds may join that dataset only if its
        # source held it before (the record came back, and another source held the dataset
        # meanwhile); else its name is refused, naming the source that holds it
        name_holders: dict[str, str] = {}
        organization_of: dict[str, str | None] = {}  # guid → the local organization's name
        url = objects[0].source.url
        for harvest_object in objects:
            payload = self._payload(harvest_object)
            if harvest_object.guid in self.holdings or self.current_objects.get(
                    harvest_object.guid) or not isinstance(payload, dict):
                continue
            holder = self.packages_by_name.get(stable_name(url, harvest_object.guid))
            if holder is not None and holder.state != "deleted":
                name_holders[harvest_object.guid] = holder.id
            try:
                keys[harvest_object.guid] = self._keys(harvest_object.guid, payload)
                organization_of[harvest_object.guid] = payload["organization"].get("name")
            except (KeyError, TypeError, AttributeError):
                continue  # (refused on import)
        if name_holders:
            held_before = {package_id for (package_id,) in model.Session.query(
                HarvestObject.package_id).filter(
                    HarvestObject.harvest_source_id == source_id,
                    HarvestObject.package_id.in_(set(name_holders.values())))}
            for guid, package_id in name_holders.items():
                if package_id not in held_before:
                    keys.pop(guid, None)
        url_keys = {url for url, _title in keys.values() if url}
        title_keys = {title for _url, title in keys.values() if title}
        candidates: list[Holding] = []
        if url_keys or title_keys:
            candidates = (model.Session.query(Holding)
                          .join(model.Package, model.Package.id == Holding.package_id)
                          .filter(Holding.source_id != source_id,
                                  model.Package.state == "active",
                                  sa.or_(Holding.url_key.in_(url_keys),
                                         Holding.title_key.in_(title_keys)))
                          .order_by(Holding.created, Holding.package_id).all())
        # a record joins only a dataset of its own organization: a source never writes into
        # another organization's dataset, however alike their files
        organization_names = dict(
            model.Session.query(model.Package.id, model.Group.name)
            .join(model.Group, model.Group.id == model.Package.owner_org)
            .filter(model.Package.id.in_({holding.package_id for holding in candidates}))
        ) if candidates else {}
        # a source holds a dataset through one record at most
        taken = {package_id for (package_id,) in model.Session.query(Holding.package_id)
                 .filter(Holding.source_id == source_id, Holding.package_id.in_(
                     {holding.package_id for holding in candidates}))} if candidates else set()
        # the same resource URLs first, for the whole batch: a title shared by two
        # datasets of one organization must not take the dataset of another record's files
        self.matches = {}
        for reason, position in (("url", 0), ("title", 1)):
            by_key: dict[str, list[str]] = {}
            for holding in candidates:
                key = (holding.url_key, holding.title_key)[position]
                if key:
                    by_key.setdefault(key, []).append(holding.package_id)
            for guid, record_keys in keys.items():
                if guid in self.matches or not record_keys[position]:
                    continue
                for package_id in by_key.get(record_keys[position], []):
                    if package_id not in taken and name_holders.get(
                            guid, package_id) == package_id and organization_names.get(
                            package_id) == organization_of.get(guid):
                        self.matches[guid] = (package_id, reason)
                        taken.add(package_id)
                        break
        packages = ({holding.package_id for holding in self.holdings.values()}
                    | {package_id for package_id, _reason in self.matches.values()}
                    | {previous.package_id for found in self.current_objects.values()
                       for previous in found if previous.package_id})
        self.others = {}
        if packages:
            for holding in (model.Session.query(Holding)
                            .filter(Holding.package_id.in_(list(packages)),
                                    Holding.source_id != source_id)):
                self.others.setdefault(holding.package_id, []).append(holding)

    def _previous(self, harvest_object: HarvestObject) -> list[HarvestObject]:
        if harvest_object.guid in self.current_objects:
            candidates = self.current_objects[harvest_object.guid]
        else:  # not read with the batch (withdrawals)
            candidates = (model.Session.query(HarvestObject)
                          .filter(HarvestObject.guid == harvest_object.guid,
                                  HarvestObject.harvest_source_id
                                  == harvest_object.harvest_source_id,
                                  HarvestObject.current.is_(True)).all())
        return [obj for obj in candidates
                if obj.id != harvest_object.id and obj.current]

    def _withdraw(self, harvest_object: HarvestObject) -> None:
        """Withdraw the source's record: its dataset goes with it unless another source
        still holds it (then its content comes from the best of those, if it came from
        this one)."""
        source_id = harvest_object.harvest_source_id
        holding = model.Session.get(Holding, (source_id, harvest_object.guid))
        package_id = holding.package_id if holding is not None else harvest_object.package_id
        others = (model.Session.query(Holding)
                  .filter(Holding.package_id == package_id, Holding.source_id != source_id)
                  .all()) if package_id else []
        package = model.Package.get(package_id) if others else None
        if holding is not None:
            model.Session.delete(holding)
        if package is not None and package.state == "active":
            top = max(others, key=self._rank)
            if not top.shown and self._show(package_id, top):
                self.rewritten.append(package_id)
            self._warn(harvest_object, bilingual(
                N_("Withdrawn from this source; the dataset stays, as the harvest source "
                   "\"{source}\" still holds it."), source=self._source(top.source_id)[1]))
        else:
            try:
                tk.get_action("package_delete")(self.context(defer_commit=False,
                                                             return_id_only=False),
                                                {"id": package_id})
            except tk.ObjectNotFound:  # already gone locally: nothing to withdraw
                pass
        for obj in self._previous(harvest_object):
            obj.current = False
        harvest_object.current = False
        harvest_object.report_status = "deleted"
        self._finished(harvest_object, "COMPLETE")

    def _save(self, harvest_object: HarvestObject, organizations: dict) -> tuple[str, str]:
        previous = self._previous(harvest_object)
        payload = self._payload(harvest_object)
        warnings = list(payload.get("warnings") or []) if isinstance(payload, dict) else []
        source_id, guid = harvest_object.harvest_source_id, harvest_object.guid
        holding = self.holdings.get(guid)
        match = None
        if holding is not None:
            target = holding.package_id
        elif previous and previous[0].package_id:
            target = previous[0].package_id
        else:
            match = self.matches.get(guid)
            target = match[0] if match else harvest_object.package_id
        others = self.others.get(target, []) if target else []
        now = datetime.datetime.now(datetime.timezone.utc)
        top = max(others, key=self._rank) if others else None
        if top is None or self._rank_of(source_id, holding.created if holding else now
                                        ) > self._rank(top):
            package_id, created = self._save_dataset(harvest_object, organizations, target)
            shown_here, written = True, True
        else:  # another source's content is shown: this record updates its holding only
            package_id, created, shown_here = target, False, False
            try:
                written = not top.shown and self._show(target, top)
            except _Restart as restart:  # (the refusal is this object's)
                raise _Restart(harvest_object.id, restart.message) from restart
            warnings.append(bilingual(
                N_("The dataset shows the content of the harvest source \"{source}\", "
                   "which has a higher precedence."), source=self._source(top.source_id)[1]))
        if match:
            message = (N_("Merged into the dataset {name}, which the harvest source "
                          "\"{source}\" also publishes with the same resource URLs.")
                       if match[1] == "url" else
                       N_("Merged into the dataset {name}, which the harvest source "
                          "\"{source}\" also publishes with the same organization and "
                          "title."))
            package = model.Package.get(package_id)
            warnings.insert(0, bilingual(message, name=package.name if package else package_id,
                                         source=", ".join(sorted(
                                             self._source(o.source_id)[1] for o in others))))
        url_key, title_key = self._keys(guid, payload)
        fields = {"package_id": package_id, "object_id": harvest_object.id,
                  "content_hash": payload.get("hash"), "shown": shown_here,
                  "url_key": url_key, "title_key": title_key,
                  "remote_url": payload.get("url") or harvest_object.source.url}
        if holding is None:
            self.new_holdings.append(dict(fields, source_id=source_id, guid=guid,
                                          created=now))
        else:
            for key, value in fields.items():
                setattr(holding, key, value)
        if shown_here:
            for other in others:
                other.shown = False
        for obj in previous:
            obj.current = False
        harvest_object.package_id = package_id
        harvest_object.current = True
        self._finished(harvest_object, "COMPLETE")
        for message in warnings:  # what was cleaned, or merged: the object is not failed
            self._warn(harvest_object, str(message))
        self.written = written
        return package_id, "added" if created else "updated"

    def _keys(self, guid: str, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        if guid not in self.keys:
            self.keys[guid] = match_keys(payload["dataset"], payload["organization"])
        return self.keys[guid]

    @staticmethod
    def _warn(harvest_object: HarvestObject, message: str) -> None:
        model.Session.add(HarvestObjectError(message=message[:2000], object=harvest_object,
                                             stage=WARNING_STAGE))

    def _source(self, source_id: str) -> tuple[int, str]:
        """A source's precedence (``config``; an aggregator's default if its config is
        invalid, below any if the source is deleted) and title, read once per batch."""
        if source_id not in self.sources:
            source = model.Session.get(HarvestSource, source_id)
            try:
                precedence = source_config.parse(source.config if source else None
                                                 )["precedence"]
            except source_config.ConfigError:
                precedence = source_config.DEFAULT_PRECEDENCE["aggregator"]
            if source is None or not source.active:
                precedence = -1  # its holdings stay, but any live source's content wins
            title = (source.title or source.url) if source is not None else source_id
            self.sources[source_id] = (precedence, title)
        return self.sources[source_id]

    def _rank_of(self, source_id: str, created: datetime.datetime) -> tuple[int, float]:
        """Higher first: the source's precedence, then the holding made first."""
        if created.tzinfo is None:
            created = created.replace(tzinfo=datetime.timezone.utc)
        return self._source(source_id)[0], -created.timestamp()

    def _rank(self, holding: Holding) -> tuple[int, float]:
        return self._rank_of(holding.source_id, holding.created)

    def _show(self, package_id: str, holding: Holding) -> bool:
        """Give the dataset the content of another source's holding (from its current
        harvest object); False if that content is gone."""
        harvest_object = (model.Session.get(HarvestObject, holding.object_id)
                          if holding.object_id else None)
        if harvest_object is None or not harvest_object.content:
            log.warning("dataset %s: the content of source %s is gone; left as it is",
                        package_id, holding.source_id)
            return False
        self._save_dataset(harvest_object, self.organizations([harvest_object]), package_id)
        model.Session.query(Holding).filter(Holding.package_id == package_id).update(
            {"shown": Holding.source_id == holding.source_id}, synchronize_session="fetch")
        return True

    def show_best(self, package_ids: list[str]) -> None:
        """Give each dataset the content of its best remaining holding where another was
        shown, commit, and index the datasets (a source cleared: its holdings are gone,
        and so are the search documents that named it)."""
        for package_id in package_ids:
            holdings = (model.Session.query(Holding)
                        .filter(Holding.package_id == package_id).all())
            try:
                if holdings:
                    top = max(holdings, key=self._rank)
                    if not top.shown:
                        self._show(package_id, top)
                model.Session.commit()
            except Exception:  # the dataset stays as it was; the others go on
                model.Session.rollback()
                log.exception("dataset %s: the content of its other source could not be "
                              "shown", package_id)
        self._index(package_ids)

    @staticmethod
    def _finished(harvest_object: HarvestObject, state: str) -> None:
        harvest_object.state = state
        harvest_object.import_finished = datetime.datetime.utcnow()
        model.Session.add(harvest_object)

    def _save_dataset(self, harvest_object: HarvestObject, organizations: dict,
                      current: str | None) -> tuple[str, bool]:
        """Write the object's record to its local dataset (``current``, None: a new one);
        returns the dataset's id, and whether it was created."""
        payload = self._payload(harvest_object)
        try:
            if isinstance(payload, Exception):
                raise payload
            dataset = json.loads(json.dumps(payload["dataset"]))  # (the actions change it)
            organization = organizations.get(payload["organization"].get("name", ""))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise Refused(_message(error)) from error
        if isinstance(organization, Exception) or organization is None:
            raise Refused(_message(OrganizationFailed(organization)))
        source = harvest_object.source
        dataset["owner_org"] = organization
        dataset["name"] = stable_name(source.url, harvest_object.guid)
        dataset.update({
            "tdpf_source_url": payload.get("url") or source.url,
            "tdpf_source_id": harvest_object.guid,
            "tdpf_source_modified": payload.get("modified") or "",
            "tdpf_harvested_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "tdpf_source_hash": payload["hash"],
        })
        existing = model.Package.get(current) if current else None
        if existing is not None:  # a dataset keeps the name it was made with
            dataset["name"], holder = existing.name, existing
        elif dataset["name"] in self.packages_by_name:
            holder = self.packages_by_name[dataset["name"]]
        else:
            holder = model.Package.by_name(dataset["name"])
        if holder is not None and holder.id != current and holder.state != "deleted":
            raise Refused(_name_taken(dataset["name"], holder))
        # no other live dataset holds the name: its validator need not ask again
        context = self.context(**{provenance.FREE_NAMES_KEY: {dataset["name"]}})
        if existing is None and holder is None:
            return self._act("package_create", context, dataset, harvest_object,
                             payload), True
        if existing is None:  # withdrawn earlier and back at the source
            existing = holder
            dataset["state"] = "active"
        dataset["id"] = existing.id
        _keep_local_fields(existing, dataset)
        kept = _keep_resource_ids(existing, dataset.get("resources") or [])
        # CKAN's package_update leaves ``changed_entities`` out of the context when it
        # defers its commit, and ckanext-activity records an update only with it. A
        # harvested update always changes the dataset (its hash and harvest time are
        # new), so the batch says so itself.
        context["changed_entities"] = {"packages": {existing.id}}
        package_id = self._act("package_update", context, dataset, harvest_object, payload)
        new = [resource for resource in model.Package.get(package_id).resources
               if resource.id not in kept]
        if new:  # package_update makes no views (resource_create does): as it would
            shown_dataset = tk.get_action("package_show")(
                {"user": self.user, "auth_user_obj": self.site_user, "use_cache": False},
                {"id": package_id})
            for resource in shown_dataset["resources"]:
                if resource["id"] not in kept:
                    tk.get_action("resource_create_default_resource_views")(
                        self.context(return_id_only=False),
                        {"package": shown_dataset, "resource": resource})
        return package_id, False

    @staticmethod
    def _act(action: str, context: dict[str, Any], dataset: dict[str, Any],
             harvest_object: HarvestObject, payload: dict[str, Any]) -> str:
        """Call the action; its refusal becomes ``_Restart`` (a validation error rolled
        the session back; an auth refusal may come after a write of a nested action),
        with the fields refused named by their source paths."""
        original = json.loads(json.dumps(dataset))  # (the values refused, as sent)
        try:
            return tk.get_action(action)(context, dataset)
        except tk.ValidationError as error:
            refusal = _refused(error.error_dict, original, payload.get("resource_positions"))
            raise _Restart(harvest_object.id, str(refusal)) from error
        except tk.NotAuthorized as error:  # (an auth function of any plugin)
            raise _Restart(harvest_object.id, bilingual(
                N_("The harvest's user may not save this record: {error}"),
                error=str(error) or action)) from error

    def _index(self, package_ids: list[str]) -> None:
        """Index the committed batch. If Solr fails here the datasets stay saved, and
        ``ckan search-index rebuild -o`` indexes what is missing."""
        if package_ids:
            indexing.index_packages(package_ids, self.user, commit=self.commit_index)

    @staticmethod
    def _object_error(harvest_object: HarvestObject, message: str) -> None:
        log.warning("harvest object %s: %s", harvest_object.guid, message)
        harvest_object.report_status = "errored"
        BatchImporter._finished(harvest_object, "ERROR")
        model.Session.add(HarvestObjectError(message=message, object=harvest_object,
                                             stage="Import"))


CORE_FIELDS = frozenset(("maintainer_email", "author_email", "url", "version"))


def _keep_local_fields(package: model.Package, dataset: dict[str, Any]) -> None:
    """Keep what the provider decided on TDPF (the schema's ``tdpf_local`` fields) where the
    record does not say: a dataset made shared here stays shared, with its conditions and
    licence, and its warranty stays given."""
    extras = package.extras
    for field in local_fields(package.type or "dataset"):
        if field in dataset:
            continue
        value = getattr(package, field, None) if field in CORE_FIELDS else extras.get(field)
        if value not in (None, ""):
            dataset[field] = value
            if field == "tdpf_distribution" and value == "shared":
                dataset["license_id"] = package.license_id


def _keep_resource_ids(package: model.Package, resources: list[dict[str, Any]]) -> set[str]:
    """Give the incoming resources the ids of the local ones with the same URL (in order),
    so that an update keeps their pages, views and data rates; returns the ids kept.
    Remote resource ids are not local ids, and a resource without one would be replaced."""
    by_url: dict[str, list[str]] = {}
    for local in package.resources:
        by_url.setdefault(local.url, []).append(local.id)
    kept = set()
    for resource in resources:
        ids = by_url.get(resource.get("url"))
        if ids:
            resource["id"] = ids.pop(0)
            kept.add(resource["id"])
    return kept


def _status(harvest_object: HarvestObject) -> str:
    return next((extra.value for extra in harvest_object.extras if extra.key == "status"),
                "new")


class Refused(Exception):
    """A record refused before anything of it was written."""


class _Restart(Exception):
    """An action refused the object's record and rolled the session back."""

    def __init__(self, object_id: str, message: str):
        super().__init__(message)
        self.object_id, self.message = object_id, message


class OrganizationFailed(Exception):
    def __init__(self, cause: Exception | None):
        super().__init__(str(cause) if cause else "no organization")
        self.cause = cause


def _refused(errors: dict, dataset: dict[str, Any], positions: list[int] | None
             ) -> Refused:
    """The schema's refusal, each field named by its path at the source and its value
    (``resources[72].name: … — "…"``)."""
    return Refused(bilingual(N_("The record does not fit the TDPF schema: {errors}"),
                             errors=_describe(errors, dataset, positions)))


def _name_taken(name: str, holder: model.Package) -> str:
    """Whose dataset holds the name: the harvest source's title and URL, or the dataset's
    title if no source harvested it (one query, on a conflict only)."""
    source = (model.Session.query(HarvestSource)
              .join(HarvestObject, HarvestObject.harvest_source_id == HarvestSource.id)
              .filter(HarvestObject.package_id == holder.id)
              .order_by(HarvestObject.current.desc(), HarvestObject.gathered.desc())
              .first())
    if source is None:
        return bilingual(N_("The name {name} is already used by the dataset \"{title}\", "
                            "which no harvest source made."), name=name,
                         title=holder.title or holder.name)
    return bilingual(N_("The name {name} is already used by a dataset of the harvest source "
                        "\"{source}\" ({url})."), name=name,
                     source=source.title or source.id, url=source.url)


def _message(error: Exception) -> str:
    if isinstance(error, _Restart):
        return error.message
    if isinstance(error, tk.ValidationError):
        return bilingual(N_("The record does not fit the TDPF schema: {errors}"),
                         errors=_describe(error.error_dict))
    if isinstance(error, tk.ObjectNotFound):
        return bilingual(N_("The local dataset is missing."))
    if isinstance(error, OrganizationFailed):
        cause = error.cause
        detail = (_describe(cause.error_dict) if isinstance(cause, tk.ValidationError)
                  else str(cause))
        return bilingual(N_("The record's organization could not be created: {error}"),
                         error=detail)
    log.error("import failed", exc_info=error)
    return bilingual(N_("The record could not be imported: {error}"),
                     error=repr(error)[:500])


def _describe(error_dict: dict, dataset: dict[str, Any] | None = None,
              positions: list[int] | None = None) -> str:
    """CKAN's nested errors (``{"resources": [{}, {"name": [...]}]}``) as one line per
    field refused, named by its path and value: ``resources[1].name: … — "…"``. Resource
    positions are the source's (``positions``: those of the resources kept in cleaning)."""
    parts = []
    for path, messages in _flatten(error_dict, ()):
        value = _value_at(dataset, path)
        text = "; ".join(m if isinstance(m, str) else json.dumps(m, ensure_ascii=False)
                         for m in messages)
        if value is not _NOTHING:
            text = f"{text} — {shown(value)}"
        parts.append(f"{_path_text(path, positions)}: {text}")
    return " | ".join(parts)[:2000]


_NOTHING = object()


def _flatten(errors: Any, path: tuple) -> Iterable[tuple[tuple, list]]:
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flatten(value, path + (key,))
    elif isinstance(errors, list) and errors and all(isinstance(e, (dict, list))
                                                     for e in errors):
        for index, item in enumerate(errors):  # a list of subforms: resources, tags
            if item:
                yield from _flatten(item, path + (index,))
    elif errors:
        yield path, errors if isinstance(errors, list) else [errors]


def _value_at(dataset: Any, path: tuple) -> Any:
    value = dataset
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return _NOTHING
    return value


def _path_text(path: tuple, positions: list[int] | None) -> str:
    text = ""
    for depth, step in enumerate(path):
        if isinstance(step, int):
            if depth == 1 and path[0] == "resources" and positions and step < len(positions):
                step = positions[step]
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text
