"""Municipal staff publish a dataset in the web UI, in Japanese, with a real browser."""
from __future__ import annotations

import pathlib
import re

import pytest
from playwright.sync_api import expect

STAFF, PASSWORD = "shibuya_staff", "shibuya-staff-password-1"
# Screenshots of the journey, kept after the run (test artifacts; .dev/ is not committed).
ARTIFACTS = pathlib.Path(__file__).resolve().parents[4] / ".dev" / "artifacts" / "schema"
ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def staff_site(tdpf_live_site):
    site = tdpf_live_site
    site.staff_of("t131130", STAFF, PASSWORD, "staff@city.shibuya.example", title="渋谷区",
                  tdpf_provider_type="municipality", municipality_code="131130")
    return site


def log_in(page, site):
    page.goto(site.url + "/user/login")
    page.fill("#field-login", STAFF)
    page.fill("#field-password", PASSWORD)
    page.press("#field-password", "Enter")
    expect(page.locator("body")).to_contain_text("ダッシュボード")


def test_staff_fill_the_form_see_errors_fix_them_and_publish(staff_site, tdpf_browser,
                                                             tmp_path):
    site = staff_site
    page = tdpf_browser.new_page(locale="ja-JP")
    log_in(page, site)
    page.goto(site.url + "/dataset/new")
    expect(page.locator("label[for=field-title]")).to_contain_text("タイトル")
    # the words the browser draws: select2's search box tells screen readers 検索, not Search
    page.wait_for_load_state("networkidle")
    drawn = page.eval_on_selector_all(".select2-container [aria-label], .select2-search__field",
                                      "els => els.map(e => e.getAttribute('aria-label'))")
    assert drawn and "Search" not in drawn and "検索" in drawn

    # Fields that apply only to paid or shared data are hidden for open data.
    price = page.locator("#field-tdpf_price_jpy")
    expect(price).to_be_hidden()
    # Shared data offers only the TDPF shared and paid terms; open data the others.
    page.check("#field-tdpf_distribution-shared")
    expect(page.locator("#field-license_id")).to_have_value("tdpf-shared")
    page.select_option("#field-license_id", "tdpf-paid")
    expect(price).to_be_visible()
    page.check("#field-tdpf_distribution-open")
    expect(page.locator("#field-license_id")).to_have_value("CC-BY-4.0")
    expect(price).to_be_hidden()

    # First attempt: no theme, and a frequency nobody can parse.
    page.fill("#field-title", "渋谷区 公衆トイレ一覧")
    page.locator(".slug-preview button").click()  # Japanese titles make no URL by themselves
    page.fill("#field-name", "shibuya-public-toilets")
    page.fill("#field-notes", "区内の公衆トイレの所在地と設備")
    page.select_option("#field-organizations", label="渋谷区")
    page.select_option("#field-private", "False")  # 公開
    expect(page.locator("#field-tdpf_distribution-open")).to_be_checked()
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.locator("button[name=save]").click()

    errors = page.locator(".error-explanation")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("分野")
    expect(errors).to_contain_text("必須項目です")
    page.screenshot(path=str(tmp_path / "errors.png"), full_page=True)

    # Fix: choose themes and a frequency, then go on to add the data.
    page.check("input[name=tdpf_theme][value=daily_life]")
    page.check("input[name=tdpf_theme][value=urban_development]")
    page.select_option("#field-update_frequency", "annual")
    page.locator("button[name=save]").click()
    expect(page).to_have_url(re.compile(r"/dataset/shibuya-public-toilets/resource/new"))

    page.click("#resource-link-button")
    page.fill("#field-resource-url", "https://www.city.shibuya.tokyo.jp/opendata/131130_public_toilet.csv")
    page.fill("#field-name", "公衆トイレ一覧（CSV）")
    page.locator("button[name=save][value=go-metadata]").click()
    expect(page).to_have_url(re.compile(r"/dataset/shibuya-public-toilets$"))
    expect(page.locator("h1").first).to_contain_text("渋谷区 公衆トイレ一覧")

    dataset = site.action("package_show", id="shibuya-public-toilets")
    assert dataset["state"] == "active" and dataset["private"] is False
    assert dataset["tdpf_distribution"] == "open"
    assert dataset["tdpf_theme"] == ["urban_development", "daily_life"]
    assert dataset["update_frequency"] == "annual"
    assert dataset["municipality_code"] == "131130"
    assert dataset["resources"][0]["format"] == "CSV"
    page.screenshot(path=str(tmp_path / "published.png"), full_page=True)


def test_staff_add_a_file_and_see_its_data_rate_appear_without_a_reload(staff_site,
                                                                        tdpf_browser):
    """After the form: the file's rating is 「判定中」 while its job waits, and the badge turns
    into the data rate as soon as a worker has rated it, on the page already open."""
    site = staff_site
    try:
        site.action("package_show", id="shibuya-public-toilets")
    except AssertionError:  # run alone: the dataset the form test publishes
        site.action("package_create", name="shibuya-public-toilets", owner_org="t131130",
                    title="渋谷区 公衆トイレ一覧", tdpf_theme=["daily_life"],
                    update_frequency="annual")
    page = tdpf_browser.new_page(locale="ja-JP")
    log_in(page, site)
    page.goto(site.url + "/dataset/shibuya-public-toilets/resource/new")
    datafile = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "datafiles"
                / "tokyo-shibuya_131130_public_toilet.csv")
    page.set_input_files("#field-resource-upload", str(datafile))
    page.fill("#field-name", "公衆トイレ一覧（アップロード）")
    page.locator("button[name=save][value=go-dataset-complete]").click()
    page.goto(site.url + "/dataset/shibuya-public-toilets")
    uploaded = [r for r in site.action("package_show", id="shibuya-public-toilets")["resources"]
                if r["url_type"] == "upload"][0]
    badge = page.locator(f"#tdpf-rate-{uploaded['id']}")
    expect(badge).to_contain_text("判定中")
    site.ckan("jobs", "worker", "--burst", "default")  # the worker rates it
    expect(badge).not_to_contain_text("判定中", timeout=15_000)
    expect(badge.locator(".tdpf-data-rate-stage")).to_have_count(1)
    expect(badge).to_contain_text("判定結果を見る")
    page.screenshot(path=str(ARTIFACTS / "dataset-with-data-rate.png"), full_page=True)
    badge.get_by_role("link", name="判定結果を見る").click()
    expect(page.locator("h1")).to_contain_text("判定結果")
    page.screenshot(path=str(ARTIFACTS / "findings.png"), full_page=True)
