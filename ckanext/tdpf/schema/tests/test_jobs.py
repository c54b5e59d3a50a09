"""The rating job, the CLI and data-rate search, against real files served over HTTP."""
from __future__ import annotations

import http.server
import os
import pathlib
import subprocess
import sys
import threading

import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.lib import search
from ckan.tests import helpers

from ckanext.tdpf.lib import provenance
from ckanext.tdpf.schema import jobs
from ckanext.tdpf.schema.cli import tdpf_schema
from ckanext.tdpf.schema.model import ResourceRating
from ckanext.tdpf.schema.tests.conftest import DATAFILES, PLUGINS
from ckanext.tdpf.schema.tests.test_schema import create, valid

ROOT = pathlib.Path(__file__).resolve().parents[4]

# ckan_config marks on a module win over marks on its tests, so each class sets its own.
pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
RATING_OFF = pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False)
LOCAL_FILES = pytest.mark.ckan_config("ckanext.tdpf.schema.rating.allow_private_addresses",
                                      True)


@pytest.fixture
def clean_rating_pending(reset_redis):
    """The datasets waiting for a batch rating and the drain flag, left by other tests."""
    reset_redis("*tdpf_schema:rating:*")


def dataset_with(user, server, *files, **fields):
    resources = [{"url": f"{server}/{name}", "name": name} for name in files]
    return create(user, **valid(resources=resources, **fields))


def shown(dataset_id: str) -> dict:
    model.Session.remove()
    return helpers.call_action("package_show", id=dataset_id)


@RATING_OFF
@LOCAL_FILES
class TestRatingJob:
    def test_rates_every_resource_from_its_content(self, tdpf_org, tdpf_sysadmin,
                                                   tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "chiba-ichikawa_122033_108_aed.csv",
                               "hyogo-kobe_201706okunaihinanjo.csv",
                               "hyogo-kobe_20160501_school_basic_survey.xlsx")
        summary = jobs.rate_dataset(dataset["id"])
        assert summary == {"datasets": 1, "resources": 3, "rated": 3, "unchanged": 0,
                           "skipped": 0, "errors": 0, "removed": 0}
        result = shown(dataset["id"])
        aed, shelters, schools = result["resources"]
        # a 自治体標準オープンデータセット (A-08, named and laid out as one) with complete
        # metadata, but its required 名称_カナ is in half-width kana: it does not conform,
        # so it stays at stage 3
        assert (aed["tdpf_mr_stage"], aed["tdpf_mr_encoding"]) == (3, "cp932")
        assert aed["tdpf_mr_standard"] == "aed"
        conformance = aed["tdpf_mr_conformance"]
        assert (conformance["layout"], conformance["identified_by"]) == ("new", "file_name")
        assert not conformance["conforms"]
        assert [e["column"] for e in conformance["column_errors"]] == ["名称_カナ"]
        assert conformance["messages"][0]["en"].startswith("「名称_カナ」 should be")
        assert (shelters["tdpf_mr_stage"], shelters["tdpf_mr_l1"]) == (2, 0)
        assert schools["tdpf_mr_format"] == "XLSX"
        assert {f["rule"] for f in schools["tdpf_mr_findings"]} >= {"L1-12", "L3-01"}
        assert aed["tdpf_mr_checked_at"] and aed["tdpf_mr_error"] is None
        assert schools["tdpf_mr_stage"] == 4 and schools["tdpf_mr_standard"] is None
        assert result["tdpf_data_rate"] == 4
        assert result["tdpf_data_rate_l1"] == round((aed["tdpf_mr_l1"] + 0 +
                                                     schools["tdpf_mr_l1"]) / 3)

    def test_standard_dataset_with_complete_metadata_is_stage_4(self, tdpf_org, tdpf_sysadmin,
                                                                tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "tokyo-koto_131083_public_toilet.TRANSCODED.csv")
        jobs.rate_dataset(dataset["id"])
        koto = shown(dataset["id"])
        assert koto["tdpf_data_rate"] == 4
        # the new A-13 layout, every required column there and none in a wrong format (its
        # times hh:mm:ss and three empty 設置位置 lower the score, not the stage)
        resource = koto["resources"][0]
        assert resource["tdpf_mr_standard"] == "public_toilet"
        assert resource["tdpf_mr_conformance"]["conforms"]
        assert 90 <= resource["tdpf_mr_conformance"]["score"] < 100
        incomplete = dataset_with(tdpf_sysadmin, tdpf_file_server,
                                  "tokyo-koto_131083_public_toilet.TRANSCODED.csv",
                                  name="koto-no-frequency", update_frequency="")
        jobs.rate_dataset(incomplete["id"])
        assert shown(incomplete["id"])["tdpf_data_rate"] == 3

    def test_unchanged_files_are_not_fetched_again(self, tdpf_org, tdpf_sysadmin,
                                                   tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "shizuoka-yaizu_222127_library.csv")
        jobs.rate_dataset(dataset["id"])
        again = jobs.rate_dataset(dataset["id"])
        assert (again["rated"], again["skipped"], again["removed"]) == (0, 1, 0)
        assert jobs.rate_dataset(dataset["id"], force=True)["rated"] == 1
        resource = dataset["resources"][0]
        helpers.call_action("resource_patch", context={"user": tdpf_sysadmin["name"]},
                            id=resource["id"],
                            url=f"{tdpf_file_server}/shizuoka-yaizu_222127_aed.csv")
        assert jobs.rate_dataset(dataset["id"])["rated"] == 1
        helpers.call_action("resource_delete", context={"user": tdpf_sysadmin["name"]},
                            id=resource["id"])
        assert jobs.rate_dataset(dataset["id"])["removed"] == 1
        assert model.Session.query(ResourceRating).count() == 0

    def test_unreachable_files_are_reported_not_scored(self, tdpf_org, tdpf_sysadmin,
                                                       tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server, "no-such-file.csv")
        jobs.rate_dataset(dataset["id"])
        resource = shown(dataset["id"])["resources"][0]
        assert resource["tdpf_mr_error"] == "unreachable"
        assert resource["tdpf_mr_stage"] is None and resource["tdpf_mr_l1"] is None
        assert shown(dataset["id"])["tdpf_data_rate"] is None

    @pytest.mark.ckan_config("ckanext.tdpf.schema.rating.max_bytes", 1000)
    def test_files_over_the_size_limit(self, tdpf_org, tdpf_sysadmin, tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "chiba-ichikawa_122033_108_aed.csv")
        jobs.rate_dataset(dataset["id"])
        assert shown(dataset["id"])["resources"][0]["tdpf_mr_error"] == "too_large"

    def test_uploaded_files_are_read_from_storage(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid())
        path = DATAFILES / "kagawa-takamatsu_public_toilet.xlsx"
        with open(path, "rb") as stream:
            helpers.call_action(
                "resource_create", context={"user": tdpf_sysadmin["name"]},
                package_id=dataset["id"], name="公衆トイレ", url="",
                upload=FileStorage(stream, filename="data.xlsx"))
        jobs.rate_dataset(dataset["id"])
        resource = shown(dataset["id"])["resources"][0]
        assert resource["url_type"] == "upload"
        assert (resource["tdpf_mr_format"], resource["tdpf_mr_stage"]) == ("XLSX", 4)
        # Takamatsu's toilets only resemble A-13 (English LinkData keys, not its layout):
        # the conformance is shown, the stage does not depend on it
        assert resource["tdpf_mr_standard"] == "public_toilet"
        assert resource["tdpf_mr_conformance"]["identified_by"] == "resembles"
        assert not resource["tdpf_mr_conformance"]["conforms"]


@RATING_OFF
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.allow_private_addresses", False)
class TestPrivateAddresses:
    def test_private_addresses_are_not_fetched(self, tdpf_org, tdpf_sysadmin,
                                               tdpf_file_server):
        """A resource URL is user input: the worker must not reach internal services."""
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "shizuoka-yaizu_222127_library.csv")
        jobs.rate_dataset(dataset["id"])
        assert shown(dataset["id"])["resources"][0]["tdpf_mr_error"] == "forbidden_address"


@RATING_OFF
@LOCAL_FILES
class TestSearch:
    def test_data_rate_facet_and_sort(self, tdpf_org, tdpf_sysadmin, tdpf_file_server):
        tdpf_org()
        good = dataset_with(tdpf_sysadmin, tdpf_file_server, "shizuoka-yaizu_222127_library.csv",
                            name="good", update_frequency="")
        poor = dataset_with(tdpf_sysadmin, tdpf_file_server, "hyogo-kobe_201706okunaihinanjo.csv",
                            name="poor")
        dataset_with(tdpf_sysadmin, tdpf_file_server, name="unrated")
        jobs.rate_dataset(good["id"])
        jobs.rate_dataset(poor["id"])
        result = helpers.call_action("package_search", sort="tdpf_data_rate desc",
                                     **{"facet.field": ["tdpf_data_rate"]})
        assert [d["name"] for d in result["results"]] == ["good", "poor", "unrated"]
        assert result["facets"]["tdpf_data_rate"] == {"3": 1, "2": 1}
        assert result["results"][0]["tdpf_data_rate"] == 3
        ascending = helpers.call_action("package_search", sort="tdpf_data_rate asc",
                                        fq="tdpf_data_rate:[* TO *]")
        assert [d["name"] for d in ascending["results"]] == ["poor", "good"]


@LOCAL_FILES
@pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", True)
@pytest.mark.usefixtures("clean_queues", "clean_rating_pending")
class TestEnqueuing:
    def test_saving_enqueues_a_rating_that_a_real_worker_runs(self, tdpf_org, tdpf_sysadmin,
                                                              tdpf_file_server, tmp_path):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "shizuoka-yaizu_222127_aed.csv", update_frequency="")
        queued = [job for job in helpers.call_action("job_list")
                  if job["title"].startswith("tdpf data rate")]
        assert len(queued) == 1
        ini = tmp_path / "worker.ini"
        ini.write_text("[app:main]\n"
                       f"use = config:{ROOT / 'test.ini'}\n"
                       f"ckan.plugins = {PLUGINS}\n"
                       "ckanext.tdpf.schema.rating.allow_private_addresses = true\n")
        worker = subprocess.run(
            [str(pathlib.Path(sys.executable).with_name("ckan")), "-c", str(ini),
             "jobs", "worker", "--burst"],
            env=os.environ.copy(), capture_output=True, text=True, timeout=300)
        assert worker.returncode == 0, worker.stderr[-2000:]
        assert shown(dataset["id"])["resources"][0]["tdpf_mr_stage"] == 3


    def test_harvested_datasets_wait_in_the_bulk_queue(self, tdpf_org, tdpf_sysadmin):
        """Staff's saves get a job each, at once; a harvest's datasets wait in the pending
        set, drained by one job per batch in the bulk queue (not one job each)."""
        tdpf_org()
        context = {"user": tdpf_sysadmin["name"], provenance.CONTEXT_KEY: True}
        for number in range(3):
            helpers.call_action("package_create", context=dict(context),
                                **valid(name=f"harvested-{number}"))
        create(tdpf_sysadmin, **valid(name="by-staff"))
        queues = sorted((job["title"], job["queue"]) for job in
                        helpers.call_action("job_list", queues=["default", "tdpf_bulk"]))
        assert queues == sorted([(jobs.DRAIN_TITLE, "tdpf_bulk"),
                                 ("tdpf data rate by-staff", "default")])
        assert jobs.pending_count() == 3
        assert jobs.pending_ids() == {model.Package.get(f"harvested-{n}").id for n in range(3)}


@RATING_OFF
@LOCAL_FILES
def test_a_failing_host_is_tried_once_per_dataset(tdpf_org, tdpf_sysadmin):
    requests_seen = []

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            requests_seen.append(self.path)
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tdpf_org()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        dataset = dataset_with(tdpf_sysadmin, base, "a.csv", "b.csv", "c.csv")
        jobs.rate_dataset(dataset["id"])
    finally:
        server.shutdown()
    assert len(requests_seen) == 1
    assert [r["tdpf_mr_error"] for r in shown(dataset["id"])["resources"]] == ["unreachable"] * 3


@RATING_OFF
@pytest.mark.usefixtures("clean_queues")
class TestSwitchedOff:
    def test_can_be_switched_off(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        create(tdpf_sysadmin, **valid())
        assert helpers.call_action("job_list") == []


@RATING_OFF
@LOCAL_FILES
class TestCli:
    """The command's logic, invoked in this process; its registration with the ``ckan``
    command is checked through a real ``ckan`` process."""
    def test_rescore_one_dataset_with_a_summary(self, cli, tdpf_org, tdpf_sysadmin,
                                                tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "shizuoka-yaizu_222127_library.csv", "no-such-file.csv")
        result = cli.invoke(tdpf_schema, ["rescore", "--dataset",
                                           dataset["name"]])
        assert result.exit_code == 0, result.output
        assert "resources rated: 1, unchanged: 0, errors: 1" in result.output
        assert "2/2" not in result.output and "1/1 datasets: 1 rated" in result.output
        # Yaizu's library list is in the former 推奨データセット layout of 公共施設一覧
        # (住所, not 所在地_連結表記): complete metadata, not the current standard
        library = shown(dataset["id"])["resources"][0]
        assert (library["tdpf_mr_standard"], library["tdpf_mr_stage"]) == ("public_facility",
                                                                           3)
        assert library["tdpf_mr_conformance"]["missing_required"] == ["所在地_連結表記"]

    def test_rescore_an_organization_and_everything(self, cli, tdpf_org, tdpf_sysadmin,
                                                    tdpf_file_server):
        tdpf_org()
        dataset_with(tdpf_sysadmin, tdpf_file_server, "shizuoka-yaizu_222127_library.csv",
                     name="one")
        dataset_with(tdpf_sysadmin, tdpf_file_server, "shizuoka-yaizu_222127_aed.csv",
                     name="two")
        by_org = cli.invoke(tdpf_schema, ["rescore", "--org", "t131083"])
        assert "datasets: 2, resources rated: 2" in by_org.output
        everything = cli.invoke(tdpf_schema, ["rescore", "--all"])
        assert "datasets: 2, resources rated: 0, unchanged: 2" in everything.output

    @pytest.mark.parametrize("args", [[], ["--all", "--org", "x"], ["--org", "nowhere"],
                                      ["--dataset", "nothing-here"]])
    def test_bad_arguments_are_refused(self, cli, args):
        result = cli.invoke(tdpf_schema, ["rescore", *args])
        assert result.exit_code == 2, result.output


def test_the_ckan_command_offers_rescore(tmp_path):
    ini = tmp_path / "cli.ini"
    ini.write_text(f"[app:main]\nuse = config:{ROOT / 'test.ini'}\nckan.plugins = {PLUGINS}\n")
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).with_name("ckan")), "-c", str(ini), "tdpf-schema",
         "rescore", "--help"], env=os.environ.copy(), capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--org" in result.stdout and "--dataset" in result.stdout


@RATING_OFF
def test_search_page_offers_sorting_by_data_rate(app):
    page = app.get("/dataset/", headers={"Accept-Language": "ja"})
    assert 'value="tdpf_data_rate desc, score desc"' in page.body
    assert "データレート（高い順）" in page.body


@RATING_OFF
@LOCAL_FILES
class TestPages:
    def test_findings_page_tells_staff_what_to_fix(self, app, tdpf_org, tdpf_sysadmin,
                                                   tdpf_file_server):
        tdpf_org()
        dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                               "hyogo-kobe_201706okunaihinanjo.csv")
        jobs.rate_dataset(dataset["id"])
        resource = dataset["resources"][0]
        page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}/data-rate",
                       headers={"Accept-Language": "ja"})
        body = page.get_data(as_text=True)
        assert "改善が必要な点" in body
        assert "L1-14" in body and "値の中に改行があります" in body
        assert "cp932" in body
        dataset_page = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
        assert "tdpf-data-rate-2" in dataset_page  # the badge, stage 2
        assert "判定結果を見る" in dataset_page

    def test_organization_page_charts_the_data_rates(self, app, tdpf_org, tdpf_sysadmin,
                                                     tdpf_file_server):
        tdpf_org()
        rated = dataset_with(tdpf_sysadmin, tdpf_file_server,
                             "shizuoka-yaizu_222127_library.csv", name="rated",
                             update_frequency="")
        dataset_with(tdpf_sysadmin, tdpf_file_server, name="unrated")
        jobs.rate_dataset(rated["id"])
        body = app.get("/organization/t131083").get_data(as_text=True)
        assert "この組織のデータセットのデータレート" in body
        chart = body[body.index("tdpf-rate-bars"):]
        assert "3: 機械判読可能" in chart
        counts = [int(n) for n in
                  __import__("re").findall(r'tdpf-rate-count">(\d+)<', chart)]
        assert counts == [0, 0, 0, 1, 0, 1]  # stages 0–4, then not rated


@RATING_OFF
class TestReindex:
    """``ckan tdpf-schema reindex``: CKAN's documents, a batch per Solr request, from
    parallel workers; the index ends up as CKAN's own rebuild leaves it."""
    @pytest.mark.parametrize("workers", ["1", "2"])
    def test_reindex_rebuilds_what_was_lost(self, cli, tdpf_org, tdpf_sysadmin, workers):
        tdpf_org()
        names = [create(tdpf_sysadmin, **valid(name=f"reindexed-{n}"))["name"]
                 for n in range(5)]
        search.clear_all()
        assert helpers.call_action("package_search", q="*:*")["count"] == 0
        result = cli.invoke(tdpf_schema, ["reindex", "--workers", workers,
                                          "--batch-size", "2"])
        assert result.exit_code == 0, result.output
        assert "datasets: 5, batches of 2 that failed: 0" in result.output
        model.Session.remove()
        found = helpers.call_action("package_search", q="*:*", rows=10)
        assert sorted(d["name"] for d in found["results"]) == sorted(names)
        assert sorted(found["results"][0]["tdpf_theme"]) == ["daily_life", "urban_development"]

    def test_only_missing_indexes_only_what_is_missing(self, cli, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        kept = create(tdpf_sysadmin, **valid(name="kept"))
        lost = create(tdpf_sysadmin, **valid(name="lost"))
        search.index_for(model.Package).remove_dict({"id": lost["id"]})
        result = cli.invoke(tdpf_schema, ["reindex", "--only-missing", "--workers", "1"])
        assert "datasets: 1," in result.output, result.output
        model.Session.remove()
        assert {d["id"] for d in helpers.call_action("package_search", q="*:*")["results"]} \
            == {kept["id"], lost["id"]}


def test_a_rating_made_before_conformance_was_checked_is_judged_from_its_header():
    """(no database: the stage rule on an unsaved row)"""
    koto = (DATAFILES / "tokyo-koto_131083_public_toilet.TRANSCODED.csv").read_text(
        encoding="utf-8-sig").splitlines()[0].replace('"', "").split(",")
    row = ResourceRating(resource_id="r", package_id="p", sha256="x", columns=koto,
                         conformance=None)
    resource = {"url": "https://example.jp/131083_public_toilet.csv"}
    assert jobs.standard_dataset_conformance(resource, row) is True
    row.columns = [name for name in koto if name != "設置位置"]
    assert jobs.standard_dataset_conformance(resource, row) is False
    assert jobs.standard_dataset_conformance({"url": "https://example.jp/x.csv"},
                                             ResourceRating(sha256="x", columns=["a", "b"])
                                             ) is None
    # a stored conformance decides; a file that only resembles a standard is not held to it
    row.conformance = {"conforms": False, "identified_by": "resembles"}
    assert jobs.standard_dataset_conformance(resource, row) is None
    row.conformance = {"conforms": True, "identified_by": "header"}
    assert jobs.standard_dataset_conformance(resource, row) is True
