"""A ward's editor converts its public-toilet list into the standard layout (標準形式に変換)
in the web UI, with a real browser: the standard preselected because the file claims it, the
conformance before and after, where each column went, the columns kept in 備考, and the
button that adds the converted file under the standard's file name."""
from __future__ import annotations

import pathlib

import pytest
from playwright.sync_api import expect

from .conftest import DATAFILES

STAFF, PASSWORD = "shibuya_staff", "shibuya-staff-password-1"
ARTIFACTS = pathlib.Path(__file__).resolve().parents[4] / ".dev" / "artifacts" / "prep"
ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def shibuya_site(tdpf_live_site):
    site = tdpf_live_site
    site.staff_of("t131130", STAFF, PASSWORD, "staff@city.shibuya.example", title="渋谷区",
                  tdpf_provider_type="municipality", municipality_code="131130")
    site.action("package_create", name="shibuya-toilets-to-standardize", owner_org="t131130",
                title="渋谷区 公衆トイレ一覧", tdpf_theme=["daily_life"],
                update_frequency="irregular")
    return site


def test_staff_convert_a_toilet_list_into_the_standard_layout(shibuya_site, tdpf_browser):
    site = shibuya_site
    page = tdpf_browser.new_page(locale="ja-JP", viewport={"width": 1366, "height": 900})
    page.goto(site.url + "/user/login")
    page.fill("#field-login", STAFF)
    page.fill("#field-password", PASSWORD)
    page.press("#field-password", "Enter")
    expect(page.locator("body")).to_contain_text("ダッシュボード")

    page.goto(site.url + "/dataset/shibuya-toilets-to-standardize/resource/new")
    source = DATAFILES / "tokyo-shibuya_131130_public_toilet.csv"
    page.set_input_files("#field-resource-upload", {
        "name": "131130_public_toilet.csv", "mimeType": "text/csv",
        "buffer": source.read_bytes()})
    page.fill("#field-name", "公衆トイレ一覧（旧形式）")
    page.locator("button[name=save][value=go-dataset-complete]").click()
    (resource,) = site.action("package_show", id="shibuya-toilets-to-standardize")["resources"]

    page.goto(f"{site.url}/dataset/shibuya-toilets-to-standardize/resource/{resource['id']}")
    page.locator("a.tdpf-prep-link").click()
    box = page.locator(".tdpf-prep-standard").first
    # (the page's own words are checked in Japanese by test_i18n's catalog checks; here
    # the page is found by its structure)
    expect(box.locator(".tdpf-prep-suggested")).to_contain_text("公衆トイレ一覧")
    expect(box.locator("select[name=standard]")).to_have_value("public_toilet")
    page.screenshot(path=str(ARTIFACTS / "standard-suggested.png"), full_page=False)

    box.locator("button.tdpf-prep-convert-button").click()
    box = page.locator(".tdpf-prep-standard").first
    score = box.locator("table.tdpf-prep-conformance tr[data-item=score] td")
    before, after = int(score.nth(0).inner_text()), int(score.nth(1).inner_text())
    assert after > before
    mapping = box.locator("table.tdpf-prep-mapping")
    expect(mapping.locator("tr", has_text="多機能トイレ")).to_contain_text("バリアフリートイレ数")
    expect(mapping.locator("tr[data-how=split]").first).to_contain_text("住所")
    expect(mapping.locator("tr[data-how=same]")).to_have_count(0)  # listed apart, folded
    (shown,) = site.action("tdpf_prep_preview", resource_id=resource["id"],
                           standard="public_toilet")["tables"]
    same = [item for item in shown["mapping"] if item["how"] == "same"]
    expect(box.locator(".tdpf-prep-mapping-same summary")).to_contain_text(str(len(same)))
    expect(box.locator("ul.tdpf-prep-unmapped")).to_contain_text("通称_カナ")
    expect(box.locator("table.tdpf-prep-converted th").nth(38)).to_have_text("備考")
    expect(box.locator(".tdpf-prep-file-name")).to_have_text("131130_public_toilet.csv")
    page.screenshot(path=str(ARTIFACTS / "standard-converted.png"), full_page=True)

    box.locator("button.tdpf-prep-publish-standard-button").click()
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
    resources = site.action("package_show", id="shibuya-toilets-to-standardize")["resources"]
    (converted,) = [r for r in resources if r.get("tdpf_prep_standard")]
    assert converted["tdpf_prep_standard"] == "public_toilet"
    assert converted["url"].endswith("/131130_public_toilet.csv")
    assert page.url.endswith(f"/resource/{converted['id']}")
