"""The standard datasets' pages: per standard, who of Tokyo's 62 municipalities publishes
it (the files the data rate recognised as the standard, with their conformance) and the
merged datasets; an organization's standard datasets; a merged dataset's status."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckan.tests import helpers

from ckanext.tdpf.access.tests.conftest import PLUGINS, token_for

from .test_merge import Tokyo, call, clean_db  # noqa: F401  (clean_db: the fixture)

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS + " tdpf_prep"),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_queues"),
]
JA = {"Accept-Language": "ja"}


@pytest.fixture
def rated_tokyo() -> Tokyo:
    """Tokyo with both wards' files rated (the data rate says which standard a file is)
    and merged."""
    from ckanext.tdpf.schema import jobs

    tokyo = Tokyo()
    for dataset in (tokyo.shibuya_dataset, tokyo.koto_dataset):
        jobs.rate_dataset(dataset["id"])
    tokyo.merged = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]],
                               title="東京都 公衆トイレ一覧（統合）")
    return tokyo


def page(app, path: str, user: dict | None = None, status: int = 200) -> BeautifulSoup:
    headers = dict(JA, **(token_for(user) if user else {}))
    response = app.get(path, headers=headers, status=None)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_coverage_of_a_standard_across_tokyo(app, rated_tokyo):
    tokyo = rated_tokyo
    koto = helpers.call_action("resource_show", id=tokyo.koto["id"])
    assert koto["tdpf_mr_standard"] == "public_toilet"
    coverage = call("tdpf_prep_coverage", None, standard="public_toilet")
    assert coverage["total"] == 62 and len(coverage["municipalities"]) == 62
    assert coverage["municipalities"][0]["code"] == "131016"  # 千代田区
    published = {m["code"]: m["files"] for m in coverage["municipalities"] if m["files"]}
    assert set(published) == {"131130", "131083"} and coverage["publishing"] == 2
    (koto_file,) = published["131083"]
    assert koto_file["resource_id"] == tokyo.koto["id"]
    assert koto_file["score"] == koto["tdpf_mr_conformance"]["score"]
    (merged,) = coverage["merged"]
    assert merged["name"] == "tokyo-public-toilets" and merged["row_count"] == 273

    html = page(app, "/standard/public_toilet")
    rows = html.select("table.tdpf-standard-coverage tbody tr")
    assert len(rows) == 62
    assert [r["data-code"] for r in html.select("tr.tdpf-standard-published")] == [
        "131083", "131130"]
    koto_row = html.select_one('tr[data-code="131083"]')
    assert "江東区" in koto_row.get_text() and koto_row.select_one("a")["href"].endswith(
        f"/resource/{tokyo.koto['id']}")
    assert koto_row.select_one(".tdpf-standard-score").get_text(strip=True) == str(
        koto_file["score"])
    layouts = {code: html.select_one(f'tr[data-code="{code}"] .tdpf-standard-layout')
               .get_text(strip=True) for code in ("131083", "131130")}
    assert all(layouts.values()) and layouts["131083"] != layouts["131130"]  # new / old
    link = html.select_one(".tdpf-standard-merged a")
    assert link["href"].endswith("/dataset/tokyo-public-toilets")
    assert html.select_one("h1.tdpf-standard-title").get_text(" ", strip=True) == \
        "A-13 公衆トイレ一覧"

    index = page(app, "/standard")
    toilet = index.select_one('tr[data-standard="public_toilet"]')
    assert toilet.select_one(".tdpf-standards-count").get_text(strip=True) == "2 / 62"
    assert index.select_one('tr[data-standard="aed"] .tdpf-standards-count').get_text(
        strip=True) == "0 / 62"
    page(app, "/standard/no_such_standard", status=404)


def test_an_organization_page_lists_its_standard_datasets(app, rated_tokyo):
    html = page(app, "/organization/t131083")
    section = html.select_one(".tdpf-org-standards")
    (row,) = section.select("tbody tr")
    assert row["data-standard"] == "public_toilet"
    assert "江東区 公衆トイレ一覧" in row.get_text()
    assert row.select_one(".tdpf-org-standards-score").get_text(strip=True).isdigit()
    # the metropolitan government holds the merged dataset: listed, not as its own file
    metro = page(app, "/organization/t130001").select_one(".tdpf-org-standards")
    assert metro.select_one("table") is None
    (merged,) = metro.select(".tdpf-org-merges li")
    assert merged.select_one("a")["href"].endswith("/dataset/tokyo-public-toilets")
    assert "公衆トイレ一覧" in merged.get_text()
    # an organization without standard datasets shows no section
    helpers.call_action("organization_create", context={"user": rated_tokyo.sysadmin["name"]},
                        name="t131016", title="千代田区", tdpf_provider_type="municipality",
                        municipality_code="131016")
    assert page(app, "/organization/t131016").select_one(".tdpf-org-standards") is None


def test_a_merged_dataset_shows_its_sources_and_last_merge(app, rated_tokyo):
    tokyo = rated_tokyo
    html = page(app, "/dataset/tokyo-public-toilets")
    status = html.select_one(".tdpf-merge-status")
    assert status["data-state"] == "done"
    assert status.select_one(".tdpf-merge-rows").get_text(strip=True) == "273"
    assert status.select_one(".tdpf-merge-last").get_text(strip=True)[:2] == "20"
    rows = {r["data-resource"]: r.select_one(".tdpf-merge-source-rows").get_text(strip=True)
            for r in status.select("tbody tr")}
    layouts = {r["data-resource"]: r.select_one(".tdpf-merge-source-layout").get_text(
        strip=True) for r in status.select("tbody tr")}
    assert all(layouts.values()) and len(set(layouts.values())) == 2
    assert rows == {tokyo.shibuya["id"]: "82", tokyo.koto["id"]: "191"}
    # a source dataset's page has no merge status
    assert page(app, "/dataset/koto-toilets").select_one(".tdpf-merge-status") is None


def test_editors_merge_from_the_coverage_page(app, rated_tokyo):
    tokyo = rated_tokyo
    html = page(app, "/standard/public_toilet", tokyo.metro)
    form = html.select_one("form.tdpf-standard-merge-form")
    assert {box["value"] for box in form.select("input[name=organizations]")} == {
        "t131130", "t131083"}
    assert [o["value"] for o in form.select("select[name=owner_org] option")] == ["t130001"]
    assert page(app, "/standard/public_toilet").select_one(
        "form.tdpf-standard-merge-form") is None  # not for visitors
    headers = dict(JA, **token_for(tokyo.metro))
    refused = app.post("/standard/public_toilet", headers=headers, data={
        "owner_org": "t130001", "name": "Bad Name", "organizations": ["t131130"]})
    assert refused.status_code == 200
    errors = BeautifulSoup(refused.get_data(as_text=True), "html.parser").select_one(
        ".tdpf-standard-merge .alert-danger")
    assert errors is not None and errors.get_text(strip=True)
    response = app.post("/standard/public_toilet", headers=headers, follow_redirects=False,
                        data={"owner_org": "t130001", "name": "tokyo-toilets-by-form",
                              "organizations": ["t131130", "t131083"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dataset/tokyo-toilets-by-form")
    status = call("tdpf_prep_merge_show", None, id="tokyo-toilets-by-form")
    assert status["row_count"] == 273
    assert sorted(status["organizations"]) == sorted(
        [tokyo.shibuya_dataset["owner_org"], tokyo.koto_dataset["owner_org"]])
