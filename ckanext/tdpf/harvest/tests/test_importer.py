"""Batch import: batches in parallel worker processes, a refused record inside a batch,
a write that fails after validation (the batch is imported again one object at a time),
and search documents identical to the ones CKAN indexes itself."""
from __future__ import annotations

import copy
import json
import datetime

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
from ckan.lib import search
from ckan.lib.search.common import make_connection
from ckan.tests import factories, helpers

from ckanext.harvest.model import HarvestObject, HarvestObjectError
from ckanext.tdpf.harvest.harvesters.base import HARVEST_USER
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import harvested, summary_of
from ckanext.tdpf.lib import indexing, provenance
from ckanext.tdpf.schema.model import ResourceRating

BOOM = "この記録の保存は失敗する"


class FailingAfterWrite(p.SingletonPlugin):
    """Fails a dataset after its rows are written, as a database error would."""
    p.implements(p.IPackageController, inherit=True)

    def after_dataset_create(self, context, pkg_dict):
        if pkg_dict.get("title") == BOOM:
            raise RuntimeError("the write failed")


# (module marks win over function marks for the same key: each test names its plugins)
pytestmark = [
    pytest.mark.ckan_config("ckanext.tdpf.harvest.import_batch_size", 7),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _db_datasets(source_id: str) -> int:
    model.Session.remove()
    return (model.Session.query(model.Package)
            .join(HarvestObject, HarvestObject.package_id == model.Package.id)
            .filter(HarvestObject.harvest_source_id == source_id,
                    HarvestObject.current.is_(True), model.Package.state == "active")
            .count())


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
@pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 2)
def test_parallel_batches_import_everything_once(tdpf_catalog, tdpf_source, tdpf_harvest_run):
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:60])
    records[10]["title"] = records[10]["name"] = None  # no title: refused in batch 2
    catalog.reset(records)
    source = tdpf_source(url)
    result = tdpf_harvest_run(source["name"])
    assert result.exit_code == 0, result.output
    counts = summary_of(result.output)
    assert (counts["added"], counts["errors"]) == (59, 1), result.output
    datasets = harvested(source["id"])
    assert set(datasets) == {r["id"] for r in records} - {records[10]["id"]}
    assert _db_datasets(source["id"]) == 59
    for record in records[11:]:  # (resources listing one URL twice become one)
        assert len(datasets[record["id"]]["resources"]) == len({r["url"] for r in
                                                                record["resources"]})
    # every organization once, although two workers imported its datasets
    names = [g.name for g in model.Session.query(model.Group).filter_by(is_organization=True)]
    assert len(names) == len(set(names))
    # and each dataset is a member of its organization, as package_create makes it
    by_organization: dict[str, set[str]] = {}
    for dataset in datasets.values():
        by_organization.setdefault(dataset["owner_org"], set()).add(dataset["id"])
    for organization, ids in by_organization.items():
        members = helpers.call_action("member_list", id=organization, object_type="package")
        assert {(member_id, capacity) for member_id, _type, capacity in members} == {
            (dataset_id, "organization") for dataset_id in ids}


@pytest.mark.ckan_config("ckan.plugins", PLUGINS + " tdpf_test_failing_after_write")
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
@pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 1)
@pytest.mark.provide_plugin("tdpf_test_failing_after_write", FailingAfterWrite)
def test_a_write_failing_after_validation_costs_only_its_record(tdpf_catalog, tdpf_source,
                                                                 tdpf_harvest_run):
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:14])
    records[3]["title"] = BOOM
    catalog.reset(records)
    source = tdpf_source(url)
    result = tdpf_harvest_run(source["name"])
    counts = summary_of(result.output)
    assert (counts["added"], counts["errors"]) == (13, 1), result.output
    errors = [e.message for e in model.Session.query(HarvestObjectError)]
    assert len(errors) == 1 and "the write failed" in errors[0]
    assert records[3]["id"] not in harvested(source["id"])
    assert _db_datasets(source["id"]) == 13
    assert model.Session.query(model.Package).filter_by(title=BOOM).count() == 0
    # the batch-mates of the failed record were rolled back and imported again, once
    assert model.Session.query(model.Package).count() == 13 + 1  # + the source's own


def _solr_doc(package_id: str) -> dict:
    found = make_connection().search(q=f'id:"{package_id}"', fl="*")
    (doc,) = found.docs
    return {key: value for key, value in doc.items()
            if key not in ("_version_", "indexed_ts")}


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
def test_batched_documents_equal_ckans_own():
    organization = factories.Organization(tdpf_provider_type="municipality",
                                          municipality_code="131032")
    site_user = helpers.call_action("get_site_user")["name"]
    rated, plain = [helpers.call_action(
        "package_create", context={"user": site_user}, name=name, title="港区の人口",
        owner_org=organization["id"], tdpf_theme=["population_aging", "tax"], tags=[{"name": "人口"}],
        resources=[{"url": "https://example.org/a.csv", "format": "CSV"},
                   {"url": "https://example.org/b.xlsx", "format": "XLSX"}])
        for name in ("minato-population", "minato-households")]
    # a stored rating: the batch reads the ratings of all its datasets at once
    model.Session.add(ResourceRating(
        resource_id=rated["resources"][0]["id"], package_id=rated["id"], stage=3,
        content_stage=3, l1=100, l2=90, l3=75, findings=[{"code": "L3-04"}], columns=["人口"],
        checked_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)))
    model.Session.commit()
    # both as CKAN indexes them now (plain's document from its package_create was made
    # while the action ran, before the rest of the test's writes)
    for dataset in (rated, plain):
        search.rebuild(dataset["id"])
    ckans = {dataset["id"]: _solr_doc(dataset["id"]) for dataset in (rated, plain)}
    assert json.loads(ckans[rated["id"]]["validated_data_dict"])["tdpf_data_rate"] == 3
    make_connection().delete(q="*:*", commit=True)
    assert indexing.index_packages([rated["id"], plain["id"]], site_user) == 2
    ours = {key: _solr_doc(key) for key in ckans}
    for key, doc in ckans.items():
        differing = {field: (ours[key].get(field), value) for field, value in doc.items()
                     if ours[key].get(field) != value}
        differing.update({field: (value, None) for field, value in ours[key].items()
                          if field not in doc})
        for field in ("data_dict", "validated_data_dict"):
            if field in differing:
                mine, theirs = (json.loads(text or "{}") for text in differing[field])
                differing[field] = {k: (mine.get(k), theirs.get(k))
                                    for k in set(mine) | set(theirs)
                                    if mine.get(k) != theirs.get(k)}
        assert not differing, differing
    rated_in_index = make_connection().search(q="tdpf_data_rate:3", fl="id").docs
    assert [doc["id"] for doc in rated_in_index] == [rated["id"]]


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
def test_documents_sent_without_a_commit_are_searchable_after_the_callers_commit():
    organization = factories.Organization(tdpf_provider_type="municipality",
                                          municipality_code="131032")
    site_user = helpers.call_action("get_site_user")["name"]
    dataset = helpers.call_action("package_create", context={"user": site_user},
                                  name="minato-parks", title="港区の公園",
                                  owner_org=organization["id"], tdpf_theme=["tax"])
    make_connection().delete(q="*:*", commit=True)
    assert indexing.index_packages([dataset["id"]], site_user, commit=False) == 1
    assert not make_connection().search(q=f'id:"{dataset["id"]}"').docs  # not yet
    indexing.commit()
    assert _solr_doc(dataset["id"])["name"] == dataset["name"]


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", True)
@pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 1)
@pytest.mark.usefixtures("clean_queues", "clean_redis")
def test_ratings_are_queued_once_the_batch_is_committed(tdpf_catalog, tdpf_source,
                                                        tdpf_harvest_run):
    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:9])
    source = tdpf_source(url)
    assert tdpf_harvest_run(source["name"]).exit_code == 0
    from ckanext.tdpf.schema import jobs as schema_jobs

    queued = helpers.call_action("job_list", queues=["tdpf_bulk"])
    # one job rates the batch's datasets (not one job, and one process, per dataset)
    assert [job["title"] for job in queued] == [schema_jobs.DRAIN_TITLE]
    assert schema_jobs.pending_ids() == {d["id"] for d in harvested(source["id"]).values()}
    assert model.Session().info.get("tdpf_pending_ratings") is None


def _rows(package_id: str) -> dict:
    """What the database holds for a dataset, without what differs between any two saves
    (ids, names, times)."""
    model.Session.remove()
    package = model.Session.get(model.Package, package_id)

    def columns(obj: object, skip: set[str]) -> dict:
        return {attribute.key: getattr(obj, attribute.key)
                for attribute in sa.inspect(obj).mapper.column_attrs
                if attribute.key not in skip}

    return {
        "package": columns(package, {"id", "name", "metadata_created", "metadata_modified"}),
        "resources": [columns(resource, {"id", "package_id", "created", "metadata_modified"})
                      for resource in package.resources_all],
        "tags": sorted((package_tag.tag.name, package_tag.state)
                       for package_tag in package.package_tags),
        "members": sorted((member.table_name, member.capacity, member.group_id, member.state)
                          for member in model.Session.query(model.Member)
                          .filter_by(table_id=package_id)),
    }


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
@pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 1)
def test_a_created_dataset_has_the_rows_package_create_writes(tdpf_catalog, tdpf_source,
                                                              tdpf_harvest_run):
    url, catalog = tdpf_catalog
    # (the recorded records with tags have one resource each)
    records = ([record for record in ALL_RECORDS if record.get("tags")][:2]
               + [record for record in ALL_RECORDS if len(record.get("resources") or []) > 2][:1])
    catalog.reset(copy.deepcopy(records))
    source = tdpf_source(url)
    assert tdpf_harvest_run(source["name"]).exit_code == 0
    site_user = HARVEST_USER  # the user the harvest acts as
    objects = model.Session.query(HarvestObject).filter_by(current=True).all()
    assert len(objects) == 3
    seen = []
    for harvest_object in objects:
        dataset = helpers.call_action("package_show", id=harvest_object.package_id)
        twin = dict(json.loads(harvest_object.content)["dataset"],
                    name=f"{dataset['name']}-twin", owner_org=dataset["owner_org"],
                    **{field: dataset[field] for field in provenance.FIELDS})
        created = helpers.call_action(
            "package_create", context={"user": site_user, provenance.CONTEXT_KEY: True},
            **twin)
        harvested_rows = _rows(harvest_object.package_id)
        assert harvested_rows == _rows(created["id"])
        seen.append(harvested_rows)
    assert sum(bool(rows["tags"]) for rows in seen) == 2
    assert max(len(rows["resources"]) for rows in seen) > 2


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckan.views.default_views", "image_view")
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
@pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 1)
def test_new_resources_get_the_default_views_package_create_gives(tdpf_catalog, tdpf_source,
                                                                   tdpf_harvest_run):
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:3])
    image = dict(records[0]["resources"][0], id="map-image", url="https://example.org/map.png",
                 format="PNG", name="地図")
    records[0]["resources"].append(image)
    catalog.reset(records)
    source = tdpf_source(url)
    assert tdpf_harvest_run(source["name"]).exit_code == 0

    def views(dataset: dict) -> list[list[dict]]:
        return [[{key: value for key, value in view.items() if key not in ("id", "resource_id", "package_id")}
                 for view in helpers.call_action("resource_view_list", id=resource["id"])]
                for resource in dataset["resources"]]

    harvested_views = views(harvested(source["id"])[records[0]["id"]])
    assert sum(len(listed) for listed in harvested_views) == 1  # the PNG only
    assert harvested_views[-1][0]["view_type"] == "image_view"
    organization = factories.Organization(tdpf_provider_type="municipality",
                                          municipality_code="131032")
    created = helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                                  name="same-resources",
                                  owner_org=organization["id"], title="同じリソース",
                                  tdpf_theme=["tax"],
                                  resources=[{"url": r["url"], "format": r["format"],
                                              "name": r.get("name") or "x"}
                                             for r in harvested(source["id"])[
                                                 records[0]["id"]]["resources"]])
    assert views(created) == harvested_views
    # a changed run: the resources keep their ids and views, a new image gets its view, a
    # field gone at the source is gone locally
    before = harvested(source["id"])[records[0]["id"]]
    records[0]["title"] += "（改訂）"
    records[0]["resources"][0]["description"] = ""
    records[0]["resources"].append(dict(image, id="photo", url="https://example.org/p.jpg",
                                        format="JPEG", name="写真"))
    catalog.reset(records)
    assert summary_of(tdpf_harvest_run(source["name"]).output)["updated"] == 1
    after = harvested(source["id"])[records[0]["id"]]
    assert [r["id"] for r in after["resources"][:-1]] == [r["id"] for r in before["resources"]]
    assert before["resources"][0]["description"] and not after["resources"][0].get("description")
    assert views(after) == harvested_views + [[dict(harvested_views[-1][0])]]


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
@pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 2)
def test_an_organization_that_cannot_be_made_is_an_error_on_its_records_only(
        tdpf_catalog, tdpf_source, tdpf_harvest_run):
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:30])
    catalog.reset(records)
    blocked = "t131075"  # a local group (not an organization) already has the name
    factories.Group(name=blocked)
    source = tdpf_source(url)
    result = tdpf_harvest_run(source["name"])
    of_blocked = {r["id"] for r in records if (r.get("organization") or {}).get("name") == blocked}
    counts = summary_of(result.output)
    assert (counts["added"], counts["errors"]) == (30 - len(of_blocked), len(of_blocked)) > (0, 0)
    errors = [e.message for e in model.Session.query(HarvestObjectError)]
    assert all("organization could not be created" in message for message in errors)
    assert set(harvested(source["id"])) == {r["id"] for r in records} - of_blocked
    # once the name is free, the next run brings the records in
    helpers.call_action("group_purge", id=blocked)
    assert summary_of(tdpf_harvest_run(source["name"]).output)["added"] == len(of_blocked)


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
def test_an_update_keeps_what_the_provider_decided_on_tdpf(tdpf_catalog, tdpf_source,
                                                          tdpf_harvest_run):
    """A harvested dataset the provider made shared here stays shared, with its conditions,
    licence and warranty, when the source changes it; its files stay gated."""
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:2])
    catalog.reset(records)
    source = tdpf_source(url)
    assert tdpf_harvest_run(source["name"]).exit_code == 0
    first = harvested(source["id"])
    sysadmin = factories.Sysadmin()
    as_sysadmin = {"user": sysadmin["name"]}
    helpers.call_action("organization_patch", context=dict(as_sysadmin),
                        id=first[records[0]["id"]]["owner_org"], tdpf_verified=True)
    helpers.call_action("package_patch", context=dict(as_sysadmin),
                        id=first[records[0]["id"]]["id"], tdpf_distribution="shared",
                        license_id="tdpf-shared", tdpf_permitted_purposes=["research"],
                        tdpf_storage_location="japan", tdpf_warranty=True,
                        title_en="Shared on TDPF", tdpf_usage_conditions="研究目的に限る")
    for record in records:
        record["title"] += "（改訂）"
    catalog.reset(records)
    assert summary_of(tdpf_harvest_run(source["name"]).output)["updated"] == 2

    after = harvested(source["id"])
    shared, other = after[records[0]["id"]], after[records[1]["id"]]
    assert shared["title"] == records[0]["title"]
    assert {key: shared.get(key) for key in (
        "tdpf_distribution", "license_id", "tdpf_permitted_purposes", "tdpf_storage_location",
        "tdpf_warranty", "tdpf_warranty_by", "title_en", "tdpf_usage_conditions")} == {
        "tdpf_distribution": "shared", "license_id": "tdpf-shared",
        "tdpf_permitted_purposes": ["research"], "tdpf_storage_location": "japan",
        "tdpf_warranty": True, "tdpf_warranty_by": sysadmin["name"],
        "title_en": "Shared on TDPF", "tdpf_usage_conditions": "研究目的に限る"}
    # the untouched dataset follows its source as before
    assert other["title"] == records[1]["title"]
    assert (other["tdpf_distribution"], other["license_id"]) == (
        "open", first[records[1]["id"]]["license_id"])
    anonymous = helpers.call_action("package_show", context={"user": "", "ignore_auth": False},
                                    id=shared["id"])
    remote = {resource["url"] for resource in records[0]["resources"]}
    assert remote and not remote & {resource.get("url") for resource in anonymous["resources"]}
    with_files = helpers.call_action("package_show", context=dict(as_sysadmin), id=shared["id"])
    assert remote == {resource["url"] for resource in with_files["resources"]}
