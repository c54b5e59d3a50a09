"""Tokyo's staff merge two wards' public-toilet lists into one dataset and follow it in the
web UI, with a real browser and real job workers: the standards' index, the coverage of
public toilets over Tokyo's 62 municipalities, the merged dataset's status, a ward's page
with its standard dataset, and the merged dataset brought up to date after a ward changes
its file."""
from __future__ import annotations

import pathlib
import re

import pytest
import requests
from playwright.sync_api import expect

from .conftest import DATAFILES

STAFF, PASSWORD = "tokyo_merge_staff", "tokyo-merge-staff-password-1"
ARTIFACTS = pathlib.Path(__file__).resolve().parents[4] / ".dev" / "artifacts" / "prep"
ARTIFACTS.mkdir(parents=True, exist_ok=True)
WARDS = (("merge-shibuya", "渋谷区", "131130", "tokyo-shibuya_131130_public_toilet.csv"),
         ("merge-koto", "江東区", "131083", "tokyo-koto_131083_public_toilet.TRANSCODED.csv"))


def upload(site, package_id: str, path: pathlib.Path, filename: str,
           resource_id: str | None = None) -> dict:
    action = "resource_update" if resource_id else "resource_create"
    data = {"name": filename, "url": "", **({"id": resource_id} if resource_id else
                                            {"package_id": package_id})}
    with open(path, "rb") as stream:
        response = requests.post(f"{site.url}/api/3/action/{action}", data=data,
                                 files={"upload": (filename, stream, "text/csv")},
                                 headers={"Authorization": site.token}, timeout=60)
    assert response.ok, response.text
    return response.json()["result"]


@pytest.fixture(scope="module")
def tokyo_site(tdpf_live_site):
    site = tdpf_live_site
    site.staff_of("merge-tokyo", STAFF, PASSWORD, "staff@metro.tokyo.example",
                  title="東京都（統合）", tdpf_provider_type="metropolitan_government",
                  municipality_code="130001")
    site.sources = {}
    for name, title, code, file in WARDS:
        site.action("organization_create", name=name, title=title,
                    tdpf_provider_type="municipality", municipality_code=code)
        dataset = site.action("package_create", name=f"{name}-toilets", owner_org=name,
                              title=f"{title} 公衆トイレ一覧", tdpf_theme=["daily_life"],
                              update_frequency="irregular")
        site.sources[code] = upload(site, dataset["id"], DATAFILES / file,
                                    f"{code}_public_toilet.csv")
    site.ckan("jobs", "worker", "--burst", "default")  # the data rate of both files
    token = site.ckan("user", "token", "add", STAFF, "merge").strip().splitlines()[-1]
    site.staff_token = token.strip()
    return site


def login(tdpf_browser, site):
    page = tdpf_browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page.goto(site.url + "/user/login")
    page.fill("#field-login", STAFF)
    page.fill("#field-password", PASSWORD)
    page.press("#field-password", "Enter")
    expect(page.locator("body")).to_contain_text("ダッシュボード")
    return page


def test_staff_merge_the_wards_toilets_and_follow_the_merged_dataset(tokyo_site,
                                                                     tdpf_browser, tmp_path):
    site = tokyo_site
    koto = site.sources["131083"]
    page = login(tdpf_browser, site)

    page.goto(site.url + "/standard")
    row = page.locator('tr[data-standard="public_toilet"]')
    expect(row.locator(".tdpf-standards-count")).to_contain_text("/ 62")
    page.screenshot(path=str(ARTIFACTS / "standards.png"), full_page=True)
    row.locator("a").click()

    expect(page.locator("h1.tdpf-standard-title")).to_have_text("A-13 公衆トイレ一覧")
    expect(page.locator("table.tdpf-standard-coverage tbody tr")).to_have_count(62)
    for code in ("131130", "131083"):
        expect(page.locator(f'tr[data-code="{code}"]')).to_have_class(
            "tdpf-standard-published")
        # (the live site is shared: another module may have published one more file of
        # the ward, listed in the same row)
        expect(page.locator(f'tr[data-code="{code}"] .tdpf-standard-score').first
               ).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator('tr[data-code="131016"]')).to_have_class("tdpf-standard-missing")
    page.screenshot(path=str(ARTIFACTS / "standard-public-toilet.png"), full_page=True)

    # the form merges the two wards' files into a new dataset of the metropolitan government
    page.locator(".tdpf-standard-merge summary").click()
    form = page.locator("form.tdpf-standard-merge-form")
    for box in form.locator("input[name=organizations]").all():
        box.set_checked(box.get_attribute("value") in ("merge-shibuya", "merge-koto"))
    form.locator("select[name=owner_org]").select_option("merge-tokyo")
    form.locator("input[name=name]").fill("merge-tokyo-toilets")
    form.locator("input[name=title]").fill("東京都 公衆トイレ一覧（区統合）")
    page.screenshot(path=str(ARTIFACTS / "standard-merge-form.png"), full_page=True)
    form.locator("button.tdpf-standard-merge-button").click()
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
    assert page.url.endswith("/dataset/merge-tokyo-toilets")
    site.ckan("jobs", "worker", "--burst", "default")  # the merged file's data rate
    page.goto(site.url + "/standard/public_toilet")
    page.locator(".tdpf-standard-merged a", has_text="東京都 公衆トイレ一覧（区統合）").click()
    status = page.locator(".tdpf-merge-status")
    expect(status.locator(".tdpf-merge-rows")).to_have_text("273")
    expect(status.locator(f'tr[data-resource="{koto["id"]}"] .tdpf-merge-source-rows')
           ).to_have_text("191")
    expect(status.locator(".tdpf-merge-rate")).to_have_text(re.compile(
        r"^[0-4]$"))
    page.screenshot(path=str(ARTIFACTS / "merged-dataset.png"), full_page=True)

    page.goto(site.url + "/organization/merge-koto")
    expect(page.locator(".tdpf-org-standards tr[data-standard=public_toilet]")
           ).to_contain_text("江東区 公衆トイレ一覧")
    page.screenshot(path=str(ARTIFACTS / "organization-standards.png"), full_page=True)

    # Koto publishes a shorter list: the job merges again, only Koto's rows change
    shorter = tmp_path / "131083_public_toilet.csv"
    lines = (DATAFILES / WARDS[1][3]).read_text(encoding="utf-8").splitlines()[:11]
    shorter.write_text("\n".join(lines) + "\n", encoding="utf-8")
    upload(site, "", shorter, "131083_public_toilet.csv", resource_id=koto["id"])
    site.ckan("jobs", "worker", "--burst", "default")
    page.goto(site.url + "/dataset/merge-tokyo-toilets")
    expect(page.locator(".tdpf-merge-status .tdpf-merge-rows")).to_have_text("92")
    expect(page.locator(f'.tdpf-merge-status tr[data-resource="{koto["id"]}"] '
                        ".tdpf-merge-source-rows")).to_have_text("10")
    page.screenshot(path=str(ARTIFACTS / "merged-dataset-after-update.png"), full_page=True)
