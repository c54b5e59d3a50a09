"""tdpf_ckan against a local replay of the real Tokyo catalog: first harvest, unchanged,
changed, dropped, emptied and faulty sources, run with ``ckan tdpf-harvest run``."""
from __future__ import annotations

import copy

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.harvest.model import (HarvestGatherError, HarvestJob, HarvestObject,
                                   HarvestObjectError)
from ckanext.tdpf.harvest.mapping import stable_name
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def harvested(source_id: str) -> dict[str, dict]:
    """remote id → local dataset, for the active datasets of a source."""
    model.Session.remove()
    result = helpers.call_action("package_search", fq="tdpf_source_id:[* TO *]", rows=1000,
                                 include_private=True)
    return {d["tdpf_source_id"]: d for d in result["results"]}


def summary_of(run_output: str) -> dict[str, int]:
    line = next(line for line in run_output.splitlines() if line.startswith("job "))
    counts = {}
    for part in line.split(": ", 1)[1].split(", "):
        key, value = part.rsplit(" ", 1)
        counts[key] = int(value)
    return counts


def last_job(source: dict) -> dict:
    model.Session.remove()
    jobs = helpers.call_action("harvest_job_list", source_id=source["id"])
    return helpers.call_action("harvest_job_show", id=jobs[0]["id"])


class TestFirstHarvest:
    def test_every_record_and_resource_arrives_mapped(self, tdpf_catalog, tdpf_source,
                                                      tdpf_harvest_run):
        url, catalog = tdpf_catalog
        catalog.reset(ALL_RECORDS)
        source = tdpf_source(url)
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        # (one record lists one file three times: two resources go, with a warning each)
        assert summary_of(result.output) == {"listed": 200, "added": 200, "updated": 0,
                                             "unchanged": 0, "withdrawn": 0, "errors": 0,
                                             "warnings": 2}
        datasets = harvested(source["id"])
        assert len(datasets) == 200
        for record in ALL_RECORDS:
            local = datasets[record["id"]]
            assert local["name"] == stable_name(url, record["id"])
            assert local["title"] == record["title"]
            assert len(local["resources"]) == len({r["url"] for r in record["resources"]})
            assert {r["url"] for r in local["resources"]} == {r["url"] for r in record["resources"]}
            assert local["tdpf_license_tier"] == "open"
            assert local["tdpf_source_url"] == f"{url}/dataset/{record['name']}"
            assert local["tdpf_source_modified"] == record["metadata_modified"]
            org = record["organization"]["name"]
            assert local["organization"]["name"] == org
            if org.startswith("t1"):
                assert (local["tdpf_provider_type"], local["municipality_code"]) == \
                    ("municipality", org[1:])
            elif org.startswith("t0000"):
                assert local["municipality_code"] == "130001"
        themed = datasets[next(r["id"] for r in ALL_RECORDS if any(
            g["name"] == "c001" for g in r.get("groups", [])))]
        assert "disaster_prevention" in themed["tdpf_theme"]
        frequencies = {d.get("update_frequency") for d in datasets.values()}
        assert {"continuous", "annual", "monthly", "once", "irregular"} <= frequencies
        job = last_job(source)
        assert job["status"] == "Finished"
        assert job["tdpf_summary"]["added"] == 200

    def test_dry_run_writes_nothing(self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, _catalog = tdpf_catalog
        source = tdpf_source(url)
        result = tdpf_harvest_run(source["name"], "--dry-run")
        assert result.exit_code == 0, result.output
        assert "would add 30, update 0, leave 0 unchanged, withdraw 0" in result.output
        assert harvested(source["id"]) == {}
        assert model.Session.query(HarvestJob).count() == 0


class TestIncremental:
    def test_unchanged_run_writes_no_dataset(self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, _catalog = tdpf_catalog
        source = tdpf_source(url)
        tdpf_harvest_run(source["name"])
        before = {d["id"]: d["metadata_modified"] for d in harvested(source["id"]).values()}
        objects = model.Session.query(HarvestObject).count()
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        assert summary_of(result.output) == {"listed": 30, "added": 0, "updated": 0,
                                             "unchanged": 30, "withdrawn": 0, "errors": 0,
                                             "warnings": 0}
        after = {d["id"]: d["metadata_modified"] for d in harvested(source["id"]).values()}
        assert after == before
        assert model.Session.query(HarvestObject).count() == objects

    def test_changed_records_are_updated_in_place(self, tdpf_catalog, tdpf_source,
                                                  tdpf_harvest_run):
        url, catalog = tdpf_catalog
        source = tdpf_source(url)
        tdpf_harvest_run(source["name"])
        ids = {rid: d["id"] for rid, d in harvested(source["id"]).items()}
        records = copy.deepcopy(catalog.records)
        records[0]["title"] = "更新されたタイトル"
        records[1]["resources"].append({"id": "new-res", "url": "https://example.org/new.csv",
                                        "format": "CSV", "name": "追加"})
        catalog.reset(records)
        result = tdpf_harvest_run(source["name"])
        assert summary_of(result.output)["updated"] == 2
        assert summary_of(result.output)["unchanged"] == 28
        datasets = harvested(source["id"])
        assert datasets[records[0]["id"]]["title"] == "更新されたタイトル"
        assert datasets[records[0]["id"]]["id"] == ids[records[0]["id"]]
        assert len(datasets[records[1]["id"]]["resources"]) == len(records[1]["resources"])
        assert {rid: d["id"] for rid, d in datasets.items()} == ids  # nothing duplicated


class TestWithdrawal:
    def test_records_gone_from_the_source_are_withdrawn(self, tdpf_catalog, tdpf_source,
                                                        tdpf_harvest_run):
        url, catalog = tdpf_catalog
        source = tdpf_source(url)
        tdpf_harvest_run(source["name"])
        gone = catalog.records[:3]
        catalog.reset(catalog.records[3:])
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        assert summary_of(result.output)["withdrawn"] == 3
        assert set(harvested(source["id"])) == {r["id"] for r in catalog.records}
        local = model.Package.get(stable_name(url, gone[0]["id"]))
        assert local.state == "deleted"
        # and back again: the same local dataset returns (so it counts as updated)
        catalog.reset(catalog.records + gone)
        result = tdpf_harvest_run(source["name"])
        assert summary_of(result.output)["updated"] == 3
        assert model.Package.get(stable_name(url, gone[0]["id"])).state == "active"
        assert len(harvested(source["id"])) == 30

    def test_an_empty_listing_withdraws_nothing(self, tdpf_catalog, tdpf_source,
                                                tdpf_harvest_run):
        url, catalog = tdpf_catalog
        source = tdpf_source(url)
        tdpf_harvest_run(source["name"])
        catalog.reset([])
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 1
        assert "refusing to withdraw its 30 datasets" in result.output
        assert len(harvested(source["id"])) == 30
        assert last_job(source)["tdpf_summary"]["withdrawal_refused"]

    def test_a_shrink_beyond_max_delete_ratio_withdraws_nothing(self, tdpf_catalog, tdpf_source,
                                                                tdpf_harvest_run):
        url, catalog = tdpf_catalog
        source = tdpf_source(url, max_delete_ratio=0.1)
        tdpf_harvest_run(source["name"])
        catalog.reset(catalog.records[:20])
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 1
        assert "10 of 30 datasets are gone" in result.output
        assert len(harvested(source["id"])) == 30


class TestFaults:
    @pytest.mark.parametrize("fault", ["500", "empty", "malformed", "timeout"])
    def test_a_transient_fault_is_retried(self, tdpf_catalog, tdpf_source, tdpf_harvest_run,
                                          fault):
        url, catalog = tdpf_catalog
        source = tdpf_source(url, page_size=10)
        catalog.faults = [fault]
        catalog.fault_paths = {"package_search"}
        result = tdpf_harvest_run(source["name"])
        if fault == "malformed":  # a parseable-looking body is not retried: a page is lost
            assert result.exit_code == 1
            assert "malformed JSON" in result.output
        else:
            assert result.exit_code == 0, result.output
            assert len(harvested(source["id"])) == 30

    def test_a_failing_page_keeps_what_was_harvested_and_withdraws_nothing(
            self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        source = tdpf_source(url, page_size=10)
        tdpf_harvest_run(source["name"])
        records = copy.deepcopy(catalog.records)
        records[0]["title"] = "変更"
        catalog.reset(records)
        catalog.fault_paths = {"package_search"}
        catalog.faults = ["ok", "500", "500", "500", "500"]  # page 2 fails for good
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 1
        assert "The listing stopped early" in result.output
        assert "no dataset was withdrawn" in result.output
        assert len(harvested(source["id"])) == 30
        job = model.Session.query(HarvestJob).order_by(HarvestJob.created.desc()).first()
        assert job.status == "Finished"

    def test_a_bad_record_is_an_error_of_its_own(self, tdpf_catalog, tdpf_source,
                                                 tdpf_harvest_run):
        url, catalog = tdpf_catalog
        source = tdpf_source(url)
        records = copy.deepcopy(catalog.records)
        records[0]["title"] = "x" * 600   # too long for the schema
        records[1]["title"] = None
        records[1]["name"] = None        # no title at all
        del records[2]["id"]             # no identity
        records.append(copy.deepcopy(records[3]))  # listed twice
        catalog.reset(records)
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        counts = summary_of(result.output)
        assert counts["added"] == 28 and counts["errors"] == 3, result.output
        errors = [e.message for e in model.Session.query(HarvestObjectError)]
        gather = [e.message for e in model.Session.query(HarvestGatherError)]
        assert any("title" in message for message in errors), errors
        assert any("Duplicate record" in message for message in gather)
        assert any("without an id" in message for message in gather)

    def test_an_unreachable_source(self, tdpf_source, tdpf_harvest_run):
        source = tdpf_source("http://127.0.0.1:9/")
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 1
        assert "connection failed" in result.output

    def test_the_same_remote_id_in_two_sources_never_collides(self, tdpf_catalog, tdpf_source,
                                                              tdpf_harvest_run):
        """Two hosts serving the same records: no name collides, and as the records are
        the same (their resource URLs), each is one dataset both sources hold."""
        url, _catalog = tdpf_catalog
        first = tdpf_source(url, name="tokyo")
        second = tdpf_source(url.replace("127.0.0.1", "localhost"), name="mirror")
        assert tdpf_harvest_run(first["name"]).exit_code == 0
        result = tdpf_harvest_run(second["name"])
        assert result.exit_code == 0
        assert (summary_of(result.output)["updated"], summary_of(result.output)["errors"]
                ) == (30, 0), result.output
        model.Session.remove()
        found = helpers.call_action("package_search", fq="tdpf_source_id:[* TO *]", rows=100)
        assert found["count"] == 30
        for dataset in found["results"]:
            sources = helpers.call_action("tdpf_harvest_dataset_source_list", id=dataset["id"])
            assert [source["title"] for source in sources] == ["tokyo", "mirror"]


class TestConfig:
    def test_source_config_errors_name_the_key(self, tdpf_source):
        import ckan.plugins.toolkit as tk
        with pytest.raises(tk.ValidationError) as error:
            tdpf_source("http://127.0.0.1:9/", max_delete_ratio=3)
        assert "max_delete_ratio" in str(error.value.error_dict)

    def test_organization_map_and_themes_from_the_config(self, tdpf_catalog, tdpf_source,
                                                         tdpf_harvest_run):
        url, catalog = tdpf_catalog
        org = catalog.records[0]["organization"]["name"]
        source = tdpf_source(url, organization_map={org: {
            "name": "mapped-org", "title": "対応付けた組織", "provider_type": "public_agency"}},
            filters={"organizations": [org]})
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        datasets = harvested(source["id"])
        assert datasets and all(d["organization"]["name"] == "mapped-org"
                                for d in datasets.values())
        assert all(d["tdpf_provider_type"] == "public_agency" for d in datasets.values())
        assert len(datasets) == sum(1 for r in catalog.records
                                    if r["organization"]["name"] == org)
