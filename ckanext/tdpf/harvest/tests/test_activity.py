"""One write path: a harvested dataset is created, updated and withdrawn through CKAN's
actions with the deployed plugin list, so its activities are the ones ``package_create``,
``package_update`` and ``package_delete`` record for the same record (type, actor, data
snapshot), other plugins' chained auth functions judge it, and the ``action_succeeded``
signal is sent for it."""
from __future__ import annotations

import copy
import json

import pytest

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.activity.model import Activity
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestObject, HarvestObjectError
from ckanext.tdpf.harvest.harvesters.base import HARVEST_USER
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import harvested, summary_of
from ckanext.tdpf.lib import provenance



pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.ckan_config("ckanext.tdpf.harvest.import_workers", 1),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

# what differs between any two saves of the same record: ids, names, times
VOLATILE = {"id", "name", "metadata_created", "metadata_modified", "revision_id"}
VOLATILE_RESOURCE = {"id", "package_id", "created", "metadata_modified"}


def _snapshot(package: dict) -> dict:
    package = {key: value for key, value in package.items() if key not in VOLATILE}
    package["resources"] = [{key: value for key, value in resource.items()
                             if key not in VOLATILE_RESOURCE}
                            for resource in package.get("resources") or []]
    return package


def _activities(package_id: str) -> list[dict]:
    """The dataset's activity rows, oldest first, as comparable values."""
    model.Session.remove()
    rows = (model.Session.query(Activity).filter(Activity.object_id == package_id)
            .order_by(Activity.timestamp).all())
    return [{"activity_type": row.activity_type, "user_id": row.user_id,
             "actor": row.data.get("actor"), "package": _snapshot(row.data["package"]),
             "permission_labels": row.permission_labels} for row in rows]


def _content(package_id: str) -> dict:
    harvest_object = (model.Session.query(HarvestObject)
                      .filter_by(package_id=package_id, current=True).one())
    return json.loads(harvest_object.content)["dataset"]


def test_activities_are_the_ones_the_actions_record(tdpf_catalog, tdpf_source,
                                                    tdpf_harvest_run):
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:4])
    catalog.reset(records)
    source = tdpf_source(url, max_delete_ratio=0.5)
    assert tdpf_harvest_run(source["name"]).exit_code == 0
    site_user = helpers.call_action("user_show", id=HARVEST_USER)  # the harvest's own user
    assert site_user["sysadmin"]
    local = harvested(source["id"])[records[0]["id"]]
    context = {"user": site_user["name"], provenance.CONTEXT_KEY: True}

    def twin_of(dataset: dict, **extra) -> dict:
        return dict(_content(dataset["id"]), owner_org=dataset["owner_org"],
                    **{field: dataset[field] for field in provenance.FIELDS}, **extra)

    # created: one 「新しいデータセット」 activity by the harvest user, as package_create's
    twin = helpers.call_action("package_create", context=dict(context),
                               **twin_of(local, name=local["name"] + "-twin"))
    (created,) = _activities(local["id"])
    assert created["activity_type"] == "new package"
    assert (created["user_id"], created["actor"]) == (site_user["id"], site_user["name"])
    assert _activities(twin["id"]) == [created]
    shown = _snapshot(helpers.call_action("package_show", id=local["id"]))
    # (ckanext-harvest shows the harvest object and source of a harvested dataset)
    assert {extra["key"] for extra in shown.pop("extras")} == {
        "harvest_object_id", "harvest_source_id", "harvest_source_title"}
    assert shown == _snapshot(helpers.call_action("package_show", id=twin["id"]))

    # changed at the source: one "changed package" activity, as package_update's
    records[0]["title"] += "（改訂）"
    catalog.reset(records)
    assert summary_of(tdpf_harvest_run(source["name"]).output)["updated"] == 1
    # (by id: the twin has the same provenance)
    local = helpers.call_action("package_show", id=local["id"])
    helpers.call_action("package_update", context=dict(context),
                        **twin_of(local, id=twin["id"], name=twin["name"]))
    harvested_activities = _activities(local["id"])
    assert [a["activity_type"] for a in harvested_activities] == ["new package",
                                                                    "changed package"]
    assert harvested_activities[1]["package"]["title"].endswith("（改訂）")
    assert _activities(twin["id"]) == harvested_activities

    # withdrawn at the source: one "deleted package" activity, as package_delete's
    gone = helpers.call_action("package_show", id=harvested(source["id"])[records[1]["id"]]["id"])
    catalog.reset([records[0]] + records[2:])
    assert summary_of(tdpf_harvest_run(source["name"]).output)["withdrawn"] == 1
    helpers.call_action("package_delete", context=dict(context), id=twin["id"])
    withdrawn = _activities(gone["id"])
    assert [a["activity_type"] for a in withdrawn] == ["new package", "deleted package"]
    assert withdrawn[1]["user_id"] == site_user["id"]
    assert _activities(twin["id"])[-1]["activity_type"] == "deleted package"

    # an unchanged run records nothing
    before = model.Session.query(Activity).count()
    assert summary_of(tdpf_harvest_run(source["name"]).output)["unchanged"] == 3
    assert model.Session.query(Activity).count() == before


# With CKAN's default (the site user's activities hidden from every list): the harvest acts
# as its own user, whose activities show.
def test_the_activity_stream_shows_harvested_datasets_to_visitors(tdpf_catalog, tdpf_source,
                                                                  tdpf_harvest_run):
    """Through the actions, with tdpf_access's activity rules: an anonymous visitor sees
    the organization's and the dataset's 「新しいデータセット」 activities of open harvested
    datasets."""
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:3])
    catalog.reset(records)
    source = tdpf_source(url)
    assert tdpf_harvest_run(source["name"]).exit_code == 0
    local = harvested(source["id"])[records[0]["id"]]
    listed = helpers.call_action("organization_activity_list", context={"user": ""},
                                 id=local["owner_org"])
    assert local["id"] in {a["object_id"] for a in listed
                           if a["activity_type"] == "new package"}
    (created,) = helpers.call_action("package_activity_list", context={"user": ""},
                                     id=local["id"])
    assert created["activity_type"] == "new package"


@pytest.fixture
def harvest_user_looked_up_again(with_plugins):
    """ckanext-harvest keeps the user name its harvester (a plugin singleton) first looked
    up: forget it before and after a test that configures another one."""
    harvester = queue.get_harvester("tdpf_ckan")
    harvester._user_name = None
    yield
    harvester._user_name = None


@pytest.mark.ckan_config("ckanext.harvest.user_name", "ward-harvester")
@pytest.mark.usefixtures("harvest_user_looked_up_again")
def test_the_harvest_users_access_is_checked(tdpf_catalog, tdpf_source, tdpf_harvest_run):
    """The harvest's actions check its user's access, as for any caller (a sysadmin, the
    harvest user by default, passes every auth function, as in CKAN; here the harvest runs as
    an organization's editor, then as a user who left the organization)."""
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:6])
    catalog.reset(records)
    editor = factories.User(name="ward-harvester")
    organization = factories.Organization(
        name="minato-ward", tdpf_provider_type="municipality", municipality_code="131032",
        users=[{"name": editor["name"], "capacity": "editor"}])
    source = tdpf_source(url, organization={"name": organization["name"]})
    sent: list[str] = []

    def received(sender, **kwargs):
        sent.append(sender)

    tk.signals.action_succeeded.connect(received, sender="package_create")
    try:
        result = tdpf_harvest_run(source["name"])
    finally:
        tk.signals.action_succeeded.disconnect(received, sender="package_create")
    assert summary_of(result.output)["added"] == 6, result.output
    assert sent == ["package_create"] * 6  # the signal, once for each dataset created
    datasets = {d["id"] for d in harvested(source["id"]).values()}
    assert {(a.object_id, a.data["actor"]) for a in model.Session.query(Activity)
            if a.object_id in datasets} == {(d, editor["name"]) for d in datasets}

    helpers.call_action("member_delete", id=organization["id"], object=editor["id"],
                        object_type="user")
    records[0]["title"] += "（改訂）"
    catalog.reset(records)
    result = tdpf_harvest_run(source["name"])
    counts = summary_of(result.output)
    assert (counts["updated"], counts["errors"]) == (0, 1)
    (error,) = [e.message for e in model.Session.query(HarvestObjectError)]
    assert "may not save this record" in error


def test_a_record_the_actions_refuse_costs_only_itself(tdpf_catalog, tdpf_source,
                                                       tdpf_harvest_run):
    """package_create refuses a record (here the schema: no title) and rolls the session
    back: the rest of the batch lands once, with one activity each, and the refusal names
    the field."""
    url, catalog = tdpf_catalog
    records = copy.deepcopy(ALL_RECORDS[:6])
    records[3]["title"] = records[3]["name"] = None
    catalog.reset(records)
    source = tdpf_source(url)
    counts = summary_of(tdpf_harvest_run(source["name"]).output)
    assert (counts["added"], counts["errors"]) == (5, 1)
    (error,) = [e.message for e in model.Session.query(HarvestObjectError)]
    assert "title: " in error
    assert set(harvested(source["id"])) == {r["id"] for r in records} - {records[3]["id"]}
    assert model.Session.query(model.Package).filter_by(type="dataset").count() == 5
    assert model.Session.query(Activity).filter(
        Activity.activity_type == "new package").count() == 5 + 1  # + the source's own
