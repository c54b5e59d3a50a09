"""Import harvest objects in batches.

CKAN's actions commit and index every dataset on its own (a database commit, and a Solr
request and commit each), which is most of a harvest's time. Here a batch of objects
shares one transaction and one Solr request: every record still goes through the schema's
full validation and the plugins' hooks, and a record that is refused (validation, name,
organization) is refused before anything of it is written, so the rest of the batch lands
and the refusal is an error on its own object. If a write fails anyway, the batch is
rolled back and imported again one object per transaction. A batch is indexed only after
it is committed, so the search index never shows a dataset the database does not have.

What the gather stage cleaned (``mapping.clean_dataset``) is reported on the object as
warnings once it is imported: ``HarvestObjectError`` rows of the stage ``WARNING_STAGE``,
which the job page and ``ckan tdpf-harvest run`` count apart from errors. A refusal names
each field refused by its path and value (``resources[72].name: … — "…"``).
"""
from __future__ import annotations

import datetime
import functools
import json
import logging
from typing import Any, Callable, Iterable

import msgspec

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib import datapreview
from ckan.lib.dictization import model_save
from ckan.model.types import make_uuid
from ckan.lib.plugins import lookup_package_plugin, plugin_validate
from ckanext.harvest.model import HarvestObject, HarvestObjectError, HarvestSource

from ckanext.tdpf.lib import indexing, provenance
from ckanext.tdpf.lib.i18n import N_, bilingual

from .mapping import shown, stable_name
from .model import WARNING_STAGE

log = logging.getLogger(__name__)
# A job commits the search index once, at its end; until then its datasets become
# searchable within this time (Solr's commitWithin).
VISIBLE_WITHIN_MS = 10_000


class BatchImporter:
    """Imports lists of harvest objects of one source; ``organization`` resolves a local
    organization spec to an id (creating it when missing). Without ``commit_index`` the
    search index is not committed per batch (``lib.indexing``): the caller commits it."""

    def __init__(self, user: str, organization: Callable[[dict[str, Any], dict], str],
                 commit_index: bool = True):
        self.user = user
        self.commit_index = commit_index  # false: the caller commits the index at its end
        self.site_user = model.User.by_name(user)
        self.user_id = self.site_user.id if self.site_user is not None else None
        self.organization = organization
        self.organization_cache: dict[str, Any] = {}
        # what the batch's objects already have locally, read once per batch: every guid
        # and name of the batch is a key (an empty list, None: nothing there)
        self.current_objects: dict[str, list[HarvestObject]] = {}
        self.packages_by_name: dict[str, model.Package | None] = {}
        self.payloads: dict[str, dict[str, Any] | Exception] = {}
        self.view_plugins: list | None = None  # the default view plugins, looked up once

    def context(self, **extra: Any) -> dict[str, Any]:
        # auth_user_obj: the actions' access checks would look the site user up each time
        return {"user": self.user, "auth_user_obj": self.site_user, "ignore_auth": True,
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
        self._read_local_state(saves)
        try:
            saved = self._save_all(saves, organizations, counts, one_by_one=False)
        except Exception:  # a write failed: keep nothing of the batch, go one by one
            log.warning("a harvest batch failed; importing its objects one by one",
                        exc_info=True)
            model.Session.rollback()
            counts.update(added=0, updated=0, errored=0)
            saved = self._save_all(saves, organizations, counts, one_by_one=True)
        self._index(saved)
        # package_delete commits and indexes by itself: withdrawals go one by one, after
        # the batch (they are few; max_delete_ratio guards them).
        for harvest_object in objects:
            if _status(harvest_object) != "delete":
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
        return counts

    def _save_all(self, objects: list[HarvestObject], organizations: dict,
                  counts: dict[str, int], one_by_one: bool) -> list[str]:
        """Save the datasets of the objects and commit; returns their ids. A record that
        is refused (validation, name, organization) is refused before anything of it is
        written, so the batch goes on without it; any other failure raises, unless
        ``one_by_one``, where each object has a transaction of its own."""
        saved: list[str] = []
        for harvest_object in objects:
            try:
                package_id, report_status = self._save(harvest_object, organizations)
            except Refused as refusal:
                self._object_error(harvest_object, str(refusal))
                counts["errored"] += 1
            except Exception as error:
                if not one_by_one:
                    raise
                model.Session.rollback()
                self._object_error(harvest_object, _message(error))
                counts["errored"] += 1
            else:
                harvest_object.report_status = report_status
                counts[report_status] += 1
                saved.append(package_id)
            if one_by_one:
                model.Session.commit()
        model.Session.commit()
        return saved

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
                found[name] = self.organization(spec, self.context(
                    defer_commit=False, return_id_only=False))
            except Exception as error:  # reported on each object of that organization
                model.Session.rollback()
                found[name] = error
        return found

    def _payload(self, harvest_object: HarvestObject) -> dict[str, Any] | Exception:
        """The object's parsed content (or why it cannot be parsed), parsed once for the
        organizations and the import; the import takes it (a retry parses it afresh)."""
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
        try:
            tk.get_action("package_delete")(self.context(defer_commit=False),
                                            {"id": harvest_object.package_id})
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
        warnings = payload.get("warnings") if isinstance(payload, dict) else None
        package_id, created = self._save_dataset(harvest_object, organizations, previous)
        for obj in previous:
            obj.current = False
        harvest_object.package_id = package_id
        harvest_object.current = True
        self._finished(harvest_object, "COMPLETE")
        for message in warnings or []:  # what was cleaned: the object is not failed
            model.Session.add(HarvestObjectError(message=str(message)[:2000],
                                                 object=harvest_object, stage=WARNING_STAGE))
        return package_id, "added" if created else "updated"

    @staticmethod
    def _finished(harvest_object: HarvestObject, state: str) -> None:
        harvest_object.state = state
        harvest_object.import_finished = datetime.datetime.utcnow()
        model.Session.add(harvest_object)

    def _save_dataset(self, harvest_object: HarvestObject, organizations: dict,
                      previous: list[HarvestObject]) -> tuple[str, bool]:
        """The local dataset's id, and whether it was created."""
        payload = self._payload(harvest_object)
        del self.payloads[harvest_object.id]
        try:
            if isinstance(payload, Exception):
                raise payload
            dataset = dict(payload["dataset"])
            organization = organizations.get(payload["organization"].get("name", ""))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise Refused(_message(error)) from error
        if isinstance(organization, Exception) or organization is None:
            raise Refused(_message(OrganizationFailed(organization)))
        source = harvest_object.source
        refused = functools.partial(_refused, dataset=dataset,
                                    positions=payload.get("resource_positions"))
        dataset["owner_org"] = organization
        dataset["name"] = stable_name(source.url, harvest_object.guid)
        dataset.update({
            "tdpf_source_url": payload.get("url") or source.url,
            "tdpf_source_id": harvest_object.guid,
            "tdpf_source_modified": payload.get("modified") or "",
            "tdpf_harvested_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "tdpf_source_hash": payload["hash"],
        })
        current = previous[0].package_id if previous else harvest_object.package_id
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
            return self._create(dataset, context, refused), True
        if existing is None:  # withdrawn earlier and back at the source
            existing = holder
            dataset["state"] = "active"
        dataset["id"], dataset["type"] = existing.id, existing.type
        kept = _keep_resource_ids(existing, dataset.get("resources") or [])
        # CKAN's package_update rolls the whole session back on a validation error, which
        # would take the batch's earlier datasets with it: validate first.
        plugin = lookup_package_plugin(dataset["type"])
        _data, errors = plugin_validate(plugin, dict(context), dict(dataset),
                                        plugin.update_package_schema(), "package_update")
        if errors:
            raise refused(errors)
        package_id = tk.get_action("package_update")(context, dataset)
        new = [dict(dataset["resources"][position], id=resource.id) for position, resource
               in enumerate(model.Package.get(package_id).resources) if resource.id not in kept]
        self._add_default_views(dataset, new)  # the resources new at the source
        return package_id, False

    def _create(self, dataset: dict[str, Any], context: dict[str, Any],
                refused: Callable[[dict], Exception]) -> str:
        """``package_create`` without what a batch does once for all its datasets (the
        commit, the search index) or needs no more (the access check of the site user, the
        queries ``_new_package`` leaves out), and without its session-wide rollback on a
        validation error."""
        dataset.setdefault("type", "dataset")
        plugin = lookup_package_plugin(dataset["type"])
        data, errors = plugin_validate(plugin, context, dataset,
                                       plugin.create_package_schema(), "package_create")
        if errors:
            raise refused(errors)
        data["creator_user_id"] = self.user_id
        package = _new_package(data, context)
        if not data.get("metadata_modified"):  # (set before the insert: no second write)
            package.metadata_modified = datetime.datetime.utcnow()
        model.Session.flush()  # (CKAN's session does not autoflush: the plugins read it)
        data["id"] = package.id
        for resource, resource_dict in zip(package.resources_all, data.get("resources") or []):
            resource_dict["id"] = resource.id
        if package.owner_org:  # as package_owner_org_update makes it
            # (Member's constructor sets its group relationship, None unless given, and
            # the flush writes the relationship's id over group_id)
            model.Session.add(model.Member(
                table_id=package.id, table_name="package", capacity="organization",
                group=model.Session.get(model.Group, package.owner_org),
                group_id=package.owner_org, state="active"))
        for item in p.PluginImplementations(p.IPackageController):
            item.create(package)
            item.after_dataset_create(context, data)
        self._add_default_views(data, data.get("resources") or [])
        return package.id

    def _add_default_views(self, dataset: dict[str, Any],
                           resources: list[dict[str, Any]]) -> None:
        """The default views of new resources, as ``package_create`` makes them
        (``datapreview.add_views_to_resource``), without reading the views each resource
        already has: a new resource has none."""
        if self.view_plugins is None:
            self.view_plugins = datapreview.get_default_view_plugins()
        context = {"user": self.user, "auth_user_obj": self.site_user, "ignore_auth": True,
                   "defer_commit": True}
        for resource in resources:
            for plugin in self.view_plugins:
                if plugin.can_view({"resource": resource, "package": dataset}):
                    info = plugin.info()
                    tk.get_action("resource_view_create")(dict(context), {
                        "resource_id": resource["id"], "view_type": info["name"],
                        "title": info.get("default_title", tk._("View")),
                        "description": info.get("default_description", "")})

    def _index(self, package_ids: list[str]) -> None:
        """Index the committed batch in one Solr request. If Solr fails here the datasets
        stay saved, and ``ckan search-index rebuild -o`` indexes what is missing."""
        if package_ids:
            indexing.index_packages(package_ids, self.user, commit=self.commit_index,
                                    visible_within_ms=VISIBLE_WITHIN_MS)

    @staticmethod
    def _object_error(harvest_object: HarvestObject, message: str) -> None:
        log.warning("harvest object %s: %s", harvest_object.guid, message)
        harvest_object.report_status = "errored"
        BatchImporter._finished(harvest_object, "ERROR")
        model.Session.add(HarvestObjectError(message=message, object=harvest_object,
                                             stage="Import"))


def _new_package(data: dict[str, Any], context: dict[str, Any]) -> model.Package:
    """``model_save.package_dict_save`` for a dataset the batch knows to be new: the same
    objects, without the three queries that find nothing for a new dataset (a holder of
    its name, its earlier resources, its deleted resources)."""
    data.pop("metadata_created", None)
    data.pop("plugin_data", None)
    package = model.Package()
    package.from_dict(dict(data, extras={extra["key"]: extra["value"]
                                         for extra in data.get("extras", [])}))
    package.id = package.id or make_uuid()
    model.Session.add(package)
    resources = []
    for resource_dict in data.get("resources") or []:
        resource_dict["package_id"] = resource_dict.get("package_id") or package.id
        resource, _change = model_save.resource_dict_save(resource_dict, context)
        resources.append(resource)
    if resources:
        package.resources_all[:] = resources  # (the relationship numbers their positions)
    model_save.package_tag_list_save(data.get("tags"), package, context)
    model_save.package_membership_list_save(data.get("groups"), package, context)
    for key in ("relationships_as_subject", "relationships_as_object"):
        if key in data:
            model_save.relationship_list_save(data[key], package, key, context)
    return package


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


class OrganizationFailed(Exception):
    def __init__(self, cause: Exception | None):
        super().__init__(str(cause) if cause else "no organization")
        self.cause = cause


def _refused(errors: dict, dataset: dict[str, Any], positions: list[int] | None
             ) -> "Refused":
    """The schema's refusal, from its errors as validation gives them (a ValidationError
    would make the tags' errors a list of strings, without their positions)."""
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
