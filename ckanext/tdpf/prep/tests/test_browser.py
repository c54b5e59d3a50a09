"""Municipal staff prepare a messy Excel file in the web UI (データ整備), with a real browser:
the prepared tables, the changes by rule, the data rate before and after, and the button
that adds a prepared table to the dataset."""
from __future__ import annotations

import pathlib

import pytest
from playwright.sync_api import expect

from .conftest import DATAFILES

STAFF, PASSWORD = "kobe_staff", "kobe-staff-password-1"
# Screenshots of the journey, kept after the run (test artifacts; .dev/ is not committed).
ARTIFACTS = pathlib.Path(__file__).resolve().parents[4] / ".dev" / "artifacts" / "prep"
ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def kobe_site(tdpf_live_site):
    site = tdpf_live_site
    site.staff_of("t281000", STAFF, PASSWORD, "staff@city.kobe.example", title="神戸市",
                  tdpf_provider_type="municipality", municipality_code="281000")
    site.action("package_create", name="kobe-estimated-population", owner_org="t281000",
                title="神戸市 推計人口", tdpf_theme=["population_aging"], update_frequency="monthly")
    return site


def test_staff_prepare_a_workbook_and_add_the_tidy_table(kobe_site, tdpf_browser):
    site = kobe_site
    page = tdpf_browser.new_page(locale="ja-JP")
    page.goto(site.url + "/user/login")
    page.fill("#field-login", STAFF)
    page.fill("#field-password", PASSWORD)
    page.press("#field-password", "Enter")
    expect(page.locator("body")).to_contain_text("ダッシュボード")

    page.goto(site.url + "/dataset/kobe-estimated-population/resource/new")
    page.set_input_files("#field-resource-upload",
                         str(DATAFILES / "hyogo-kobe_jinkou2708_estimated_population.xls"))
    page.fill("#field-name", "推計人口（Excel）")
    page.locator("button[name=save][value=go-dataset-complete]").click()
    (resource,) = site.action("package_show", id="kobe-estimated-population")["resources"]

    page.goto(f"{site.url}/dataset/kobe-estimated-population/resource/{resource['id']}")
    # (the page's own words are checked in Japanese by test_i18n's catalog checks; here
    # the page is found by its structure)
    page.locator("a.tdpf-prep-link").click()
    expect(page.locator("h1.tdpf-prep-title")).to_contain_text("推計人口（Excel）")
    first = page.locator("section.tdpf-prep-table").first
    expect(first.locator("h2")).to_contain_text("毎月人口ＨＰ")
    rating = first.locator("table.tdpf-prep-rating")
    expect(rating.locator("tr[data-level=stage] td").nth(0)).to_have_text("2")
    expect(rating.locator("tr[data-level=stage] td").nth(1)).to_have_text("3")
    expect(rating.locator("tr[data-level=L1] td").nth(1)).to_have_text("100")
    expect(first.locator("details summary").first).to_contain_text("L1-")
    expect(first.locator("table.tdpf-prep-preview td").first).to_have_text("2011")
    page.screenshot(path=str(ARTIFACTS / "prepare.png"), full_page=True)

    first.locator("button.tdpf-prep-publish-button").click()
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
    resources = site.action("package_show", id="kobe-estimated-population")["resources"]
    (prepared,) = [r for r in resources if r.get("tdpf_prep_source_resource_id")]
    assert prepared["format"] == "CSV" and prepared["url_type"] == "upload"
    assert page.url.endswith(f"/resource/{prepared['id']}")
