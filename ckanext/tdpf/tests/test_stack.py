"""The stack is real: PostgreSQL, Solr 9 and Redis behind CKAN 2.12, the suite's plugins load."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import requests

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.search.common import make_connection
from ckan.tests import factories, helpers

from ckanext.tdpf.tests import jobs
from ckanext.tdpf.tests.live import PLUGINS

ROOT = pathlib.Path(__file__).resolve().parents[3]
TDPF_PLUGINS = ("tdpf_schema", "tdpf_harvest", "tdpf_access")


class TestServices:
    def test_solr_is_a_real_solr_9_with_the_ckan_schema(self):
        solr_url = tk.config["solr_url"]
        assert solr_url.endswith("/solr/ckan_test"), "tests must never use the dev core"
        info = requests.get(solr_url.rsplit("/", 1)[0] + "/admin/info/system?wt=json", timeout=10)
        assert info.json()["lucene"]["solr-spec-version"].startswith("9.")
        schema = requests.get(f"{solr_url}/schema/name?wt=json", timeout=10).json()
        assert schema["name"] == "ckan-2.12"
        assert make_connection().ping()

    def test_database_is_postgresql(self):
        assert model.Session.get_bind().dialect.name == "postgresql"
        assert model.Session.get_bind().url.database == "ckan_test"

    @pytest.mark.usefixtures("clean_db", "clean_index")
    def test_dataset_created_through_the_api_is_found_through_solr(self):
        org = factories.Organization()
        helpers.call_action(
            "package_create", name="tdpf-stack-probe", title="江東区 公衆トイレ一覧",
            owner_org=org["id"],
        )
        # CKAN's stock schema splits on white space: "江東区" is one token of the title.
        found = helpers.call_action("package_search", q="江東区", fq="name:tdpf-stack-probe")
        assert found["count"] == 1
        assert found["results"][0]["name"] == "tdpf-stack-probe"
        # straight from Solr, not from the database
        direct = make_connection().search(q="name:tdpf-stack-probe", fl="name,site_id")
        assert [doc["name"] for doc in direct.docs] == ["tdpf-stack-probe"]

    @pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")
    def test_background_job_is_executed_by_a_real_worker(self):
        dataset = factories.Dataset(notes="before", owner_org=factories.Organization()["id"])
        job = tk.enqueue_job(
            jobs.mark_dataset_processed, [dataset["name"], "processed by the worker"],
            title="tdpf stack probe",
        )
        assert job.get_status() == "queued"
        worker = subprocess.run(
            [str(pathlib.Path(sys.executable).with_name("ckan")), "-c", str(ROOT / "test.ini"),
             "jobs", "worker", "--burst"],
            env=os.environ.copy(), capture_output=True, text=True, timeout=300,
        )
        assert worker.returncode == 0, worker.stderr[-3000:]
        job.refresh()
        assert job.get_status() == "finished", worker.stderr[-3000:]
        model.Session.remove()
        shown = helpers.call_action("package_show", id=dataset["name"])
        assert shown["notes"] == "processed by the worker"


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
class TestPluginsLoad:
    def test_status_show_lists_the_suite_and_its_dependencies(self):
        extensions = helpers.call_action("status_show")["extensions"]
        for name in TDPF_PLUGINS + ("scheming_datasets", "dcat", "harvest", "activity"):
            assert name in extensions
        assert extensions[:3] == list(TDPF_PLUGINS)

    def test_site_speaks_japanese_by_default(self, app):
        page = app.get("/")
        assert '<html lang="ja"' in page.body
        assert "データセット" in page.body
        assert app.get("/en/").body.count("Datasets") > 0


# Each TDPF plugin with only its own dependencies (SPEC §0): tdpf_access needs neither
# tdpf_harvest nor tdpf_schema.
DEPENDENCIES = {
    "tdpf_schema": ["scheming_datasets", "scheming_organizations"],
    "tdpf_harvest": ["harvest"],
    "tdpf_access": [],
}


@pytest.mark.parametrize("plugin", TDPF_PLUGINS)
def test_each_plugin_works_alone(plugin, app):
    names = DEPENDENCIES[plugin] + [plugin]
    with helpers.changed_config("ckan.plugins", " ".join(names)):
        p.load(*names)
        try:
            assert [name for name in TDPF_PLUGINS if p.plugin_loaded(name)] == [plugin]
            status = helpers.call_action("status_show")
            assert plugin in status["extensions"]
        finally:
            p.unload(*names)
