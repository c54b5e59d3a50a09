"""A source writes only into its own organization unless a sysadmin set it up: the harvest
writes as its own sysadmin and makes the organizations records name, so an organization's
editor must not get a source that writes into another organization's data, nor a source
whose records join another organization's datasets by their files."""
from __future__ import annotations

import json

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tdpf.harvest.tests import replay
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, FAST, PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import summary_of

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
OWN = {"name": "chiyoda-own", "title": "千代田区", "provider_type": "municipality",
       "municipality_code": "131016"}


@pytest.fixture
def chiyoda_editor():
    editor = factories.User()
    factories.Organization(name="chiyoda-own", title="千代田区", tdpf_provider_type="municipality",
                           municipality_code="131016",
                           users=[{"name": editor["name"], "capacity": "admin"}])
    return editor


def create_source(user, url, name, **config):
    return helpers.call_action(
        "harvest_source_create", context={"user": user["name"], "ignore_auth": False},
        name=name, title=name, url=url, source_type="tdpf_ckan", owner_org="chiyoda-own",
        config=json.dumps(dict(FAST, **config)))


@pytest.mark.parametrize("config", [
    {},  # records would go to the organizations they name
    {"organization": dict(OWN, name="t131032", municipality_code="131032")},
    {"organization": OWN, "organization_map": {"minato": dict(OWN, name="t131032")}},
])
def test_an_editors_source_must_write_into_its_own_organization(
        tdpf_catalog, chiyoda_editor, config):
    with pytest.raises(tk.ValidationError) as refused:
        create_source(chiyoda_editor, tdpf_catalog[0], "chiyoda-catalog", **config)
    message = refused.value.error_dict["config"][0]
    assert "chiyoda-own" in message and "システム管理者" in message
    assert model.Session.query(model.Package).filter_by(type="harvest").count() == 0


def test_nor_be_changed_to_write_elsewhere(tdpf_catalog, chiyoda_editor):
    source = create_source(chiyoda_editor, tdpf_catalog[0], "chiyoda-catalog",
                           organization=OWN)
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action(
            "harvest_source_update", context={"user": chiyoda_editor["name"],
                                              "ignore_auth": False},
            id=source["id"], name=source["name"], title=source["title"], url=source["url"],
            source_type="tdpf_ckan", config=json.dumps(dict(FAST)))
    assert "config" in refused.value.error_dict


@pytest.fixture
def same_files_elsewhere():
    """A second catalog serving the same records (the same files) on another port."""
    server, catalog = replay.serve(ALL_RECORDS[:10])
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_records_join_only_datasets_of_their_own_organization(
        tdpf_catalog, tdpf_source, chiyoda_editor, tdpf_harvest_run, same_files_elsewhere):
    """The operator's catalog harvests the wards' datasets; an editor's source serving the
    same files puts them into its own organization: they are not merged into the wards'."""
    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:10])
    operator = tdpf_source(url, name="tokyo")
    own = create_source(chiyoda_editor, same_files_elsewhere, "chiyoda-catalog",
                        organization=OWN, catalog_kind="provider", precedence=100)
    for source in (operator, own):
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        assert summary_of(result.output)["added"] == 10, result.output
    model.Session.remove()
    found = helpers.call_action("package_search", fq="tdpf_source_id:[* TO *]", rows=100)
    assert found["count"] == 20
    by_organization = {}
    for dataset in found["results"]:
        by_organization.setdefault(dataset["organization"]["name"], []).append(dataset)
    assert len(by_organization.pop("chiyoda-own")) == 10
    assert "chiyoda-own" not in {d["organization"]["name"]
                                 for group in by_organization.values() for d in group}


def test_a_sysadmins_source_may_map_records_to_any_organization(tdpf_catalog):
    sysadmin = factories.Sysadmin()
    factories.Organization(name="chiyoda-own", tdpf_provider_type="municipality",
                           municipality_code="131016")
    source = helpers.call_action(
        "harvest_source_create", context={"user": sysadmin["name"]}, name="mapped",
        title="mapped", url=tdpf_catalog[0], source_type="tdpf_ckan", owner_org="chiyoda-own",
        config=json.dumps(dict(FAST, organization_map={"x": OWN})))
    assert source["name"] == "mapped"
