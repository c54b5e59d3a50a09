"""Identity of harvested datasets (issue #14): names from the source's whole base URL and
the remote id, two catalogs on one host, and a name another source holds."""
from __future__ import annotations

import copy
import hashlib
import re
from typing import Iterator

import pytest

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.harvest.model import HarvestObject, HarvestObjectError
from ckanext.tdpf.harvest.mapping import stable_name
from ckanext.tdpf.harvest.tests import replay
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import harvested, summary_of

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
TOKYO = "https://catalog.data.metro.tokyo.lg.jp"
VALID = re.compile(r"^[a-z0-9_-]{2,100}$")


@pytest.fixture(scope="module")
def tdpf_second_catalog_server() -> Iterator[tuple[str, replay.Catalog]]:
    """A second replay catalog on the same host, on another port."""
    server, catalog = replay.serve(ALL_RECORDS[:30])
    yield f"http://127.0.0.1:{server.server_address[1]}", catalog
    server.shutdown()


def by_source(source_id: str) -> dict[str, str]:
    """remote id → local name, of what the source harvested."""
    model.Session.remove()
    rows = (model.Session.query(HarvestObject.guid, model.Package.name)
            .join(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(HarvestObject.harvest_source_id == source_id,
                    HarvestObject.current.is_(True), model.Package.state == "active"))
    return dict(rows)


class TestNameRule:
    def test_a_host_root_on_the_default_port_keeps_the_names_harvested_so_far(self):
        legacy = "abc-123-" + hashlib.sha1(
            b"catalog.data.metro.tokyo.lg.jp|abc-123").hexdigest()[:8]
        for url in (TOKYO, TOKYO + "/", TOKYO + ":443", TOKYO + "/api/3/action",
                    TOKYO.replace("https", "http"), TOKYO.upper()):
            assert stable_name(url, "abc-123") == legacy, url

    def test_another_port_or_path_adds_a_hash_of_the_base_url(self):
        names = {stable_name(url, "abc-123") for url in (
            TOKYO, TOKYO + ":8443", TOKYO + "/ckan", TOKYO + "/other", "http://127.0.0.1:5001",
            "http://127.0.0.1:5002", "http://127.0.0.1:5002/api/3", "https://127.0.0.1:5002")}
        assert len(names) == 7  # 5002 with and without /api/3 is one catalog
        assert stable_name(TOKYO + "/ckan/api/3", "abc-123") == stable_name(
            TOKYO + "/ckan/", "abc-123")
        name = stable_name(TOKYO + ":8443/ckan", "abc-123")
        assert re.fullmatch(r"abc-123-[0-9a-f]{8}-[0-9a-f]{6}", name)

    @pytest.mark.parametrize("remote_id", ["ABC_def/ghi 東京", "x" * 300, "東京都", "a"])
    def test_names_are_valid_for_ckan(self, remote_id):
        for url in (TOKYO, "http://127.0.0.1:5001/some/long/path/" + "p" * 200):
            assert VALID.match(stable_name(url, remote_id)), (url, remote_id)


def other_content(records: list[dict]) -> list[dict]:
    """The same remote ids with other content (titles and files): another catalog's own
    records, not duplicates of the first one's (those become one dataset:
    test_duplicates)."""
    records = copy.deepcopy(records)
    for record in records:
        record["title"] = f"別カタログ {record['title']}"
        for resource in record.get("resources") or []:
            resource["url"] = resource["url"].replace("://", "://mirror.example.org/", 1)
    return records


class TestTwoCatalogsOnOneHost:
    def test_both_catalogs_arrive_under_distinct_names(
            self, tdpf_catalog, tdpf_second_catalog_server, tdpf_source, tdpf_harvest_run):
        first_url, _catalog = tdpf_catalog
        second_url, second = tdpf_second_catalog_server
        second.reset(other_content(ALL_RECORDS[:30]))
        assert first_url.split(":")[:2] == second_url.split(":")[:2]  # one host
        first = tdpf_source(first_url, name="tokyo")
        mirror = tdpf_source(second_url, name="tokyo-mirror")
        for source in (first, mirror):
            result = tdpf_harvest_run(source["name"])
            assert result.exit_code == 0, result.output
            counts = summary_of(result.output)
            assert (counts["added"], counts["errors"]) == (30, 0), result.output
        names = {source["id"]: by_source(source["id"]) for source in (first, mirror)}
        ids = {record["id"] for record in ALL_RECORDS[:30]}
        assert set(names[first["id"]]) == set(names[mirror["id"]]) == ids
        assert not set(names[first["id"]].values()) & set(names[mirror["id"]].values())
        for source, url in ((first, first_url), (mirror, second_url)):
            assert all(name == stable_name(url, guid) and VALID.match(name)
                       for guid, name in names[source["id"]].items())
        model.Session.remove()
        assert helpers.call_action("package_search", fq="tdpf_source_id:[* TO *]",
                                   rows=0)["count"] == 60


class TestTakenName:
    def test_a_name_another_source_holds_is_an_error_naming_that_source(
            self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        catalog.reset(ALL_RECORDS[:5])
        first = helpers.call_action("package_show", id=tdpf_source(url, name="tokyo")["id"])
        assert tdpf_harvest_run("tokyo").exit_code == 0
        # the same catalog through its API path: the same base URL, so the same names
        tdpf_source(url + "/api/3", name="tokyo-api")
        result = tdpf_harvest_run("tokyo-api")
        counts = summary_of(result.output)
        assert (counts["added"], counts["errors"]) == (0, 5), result.output
        model.Session.remove()
        errors = [error.message for error in model.Session.query(HarvestObjectError)]
        assert len(errors) == 5
        for error in errors:
            assert "is already used by a dataset of the harvest source" in error, error
            assert f'"{first["title"]}" ({url})' in error, error
        assert len(by_source(first["id"])) == 5  # the first source's datasets stay its own

    def test_an_updated_dataset_keeps_its_name(self, tdpf_catalog, tdpf_source,
                                               tdpf_harvest_run):
        url, catalog = tdpf_catalog
        records = copy.deepcopy(ALL_RECORDS[:3])
        catalog.reset(records)
        source = tdpf_source(url)
        assert tdpf_harvest_run(source["name"]).exit_code == 0
        # a name made under an earlier rule (or by hand) is not taken from the dataset
        local = harvested(source["id"])[records[0]["id"]]
        helpers.call_action("package_patch", context={"user": factories.Sysadmin()["name"]},
                            id=local["id"], name="named-before")
        records[0]["title"] = "改訂されたタイトル"
        catalog.reset(records)
        result = tdpf_harvest_run(source["name"])
        assert summary_of(result.output)["updated"] == 1, result.output
        updated = harvested(source["id"])[records[0]["id"]]
        assert (updated["id"], updated["name"], updated["title"]) == (
            local["id"], "named-before", "改訂されたタイトル")
