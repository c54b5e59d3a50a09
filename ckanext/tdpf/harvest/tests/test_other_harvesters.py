"""tdpf_csv_list and tdpf_dcat, built from the same real records as the CKAN replay."""
from __future__ import annotations

import pytest

from ckanext.tdpf.harvest.tests.conftest import PLUGINS
from ckanext.tdpf.harvest.tests.test_ckan_harvester import harvested, summary_of

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def koto_records(catalog):
    return [r for r in catalog.records if r["organization"]["name"] == "t131083"]


class TestCSVList:
    @pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-16"])
    def test_a_municipal_list_in_any_encoding(self, tdpf_catalog_server, tdpf_source,
                                              tdpf_harvest_run, encoding):
        url, catalog = tdpf_catalog_server
        from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS
        catalog.reset([r for r in ALL_RECORDS if r["organization"]["name"] == "t131083"])
        catalog.csv_encoding = encoding
        source = tdpf_source(f"{url}/131083_opendata_list.csv", source_type="tdpf_csv_list",
                             name="koto-list", theme_map={"防災・災害計画": "disaster_prevention",
                                                          "生活": "daily_life"})
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        records = catalog.records
        datasets = harvested(source["id"])
        assert len(datasets) == len(records)
        for record in records:
            local = datasets[f"131083-{record['name']}"]
            assert local["title"] == record["title"]
            assert local["organization"]["name"] == "t131083"
            assert local["municipality_code"] == "131083"
            assert len(local["resources"]) == len(record["resources"])
            assert local["tdpf_license_tier"] == "open"
        # unchanged on the second run
        again = tdpf_harvest_run(source["name"])
        assert summary_of(again.output)["unchanged"] == len(records)

    def test_a_list_without_title_or_url_columns_is_refused(self, tdpf_catalog, tdpf_source,
                                                            tdpf_harvest_run):
        url, _catalog = tdpf_catalog
        source = tdpf_source(f"{url}/api/3/action/package_list", source_type="tdpf_csv_list",
                             name="not-a-list")
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 1
        assert "no title or URL column" in result.output


class TestDCAT:
    def test_a_paged_dcat_catalog(self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        catalog.page_size = 12  # three pages for 30 records
        source = tdpf_source(f"{url}/catalog.ttl", source_type="tdpf_dcat", name="dcat",
                             provider_type="municipality")
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 0, result.output
        datasets = {d["title"]: d for d in harvested(source["id"]).values()}
        assert len(datasets) == 30
        for record in catalog.records:
            local = datasets[record["title"]]
            assert local["tdpf_source_id"] == f"{url}/dataset/{record['id']}"
            assert len(local["resources"]) == len(record["resources"])
            org = record["organization"]["name"]
            assert local["organization"]["name"] == org
        assert sum(1 for path in catalog.requests if "catalog.ttl" in path) == 3
        again = tdpf_harvest_run(source["name"])
        assert summary_of(again.output)["unchanged"] == 30

    def test_invalid_rdf_is_a_listing_error(self, tdpf_catalog, tdpf_source, tdpf_harvest_run):
        url, catalog = tdpf_catalog
        catalog.faults = ["malformed"]
        source = tdpf_source(f"{url}/catalog.ttl", source_type="tdpf_dcat", name="bad-dcat")
        result = tdpf_harvest_run(source["name"])
        assert result.exit_code == 1
        assert "not valid RDF" in result.output


class TestSourceForm:
    def test_the_source_form_is_in_japanese_with_the_tdpf_types(self, app):
        from ckan.tests import factories
        admin = factories.SysadminWithToken()
        page = app.get("/harvest/new", headers={"Authorization": admin["token"]})
        body = page.get_data(as_text=True)
        for text in ("カタログのURL", "収集元の種類", "設定（JSON）", "max_delete_ratio",
                     "TDPF: CKAN API", "TDPF: CSV データセット一覧", "TDPF: DCAT"):
            assert text in body, text
