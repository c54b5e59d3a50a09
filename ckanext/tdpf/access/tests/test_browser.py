"""The whole shared-data flow in a real browser, in Japanese: a user requests, the provider
approves, the user downloads, the provider sees the download."""
from __future__ import annotations

import pathlib
import re

import pytest
import requests
from playwright.sync_api import expect

PROVIDER, USER, PASSWORD = "meguro_admin", "npo_researcher", "flow-password-1234"
# Screenshots of the journey, kept after the run (test artifacts; .dev/ is not committed).
ARTIFACTS = pathlib.Path(__file__).resolve().parents[4] / ".dev" / "artifacts" / "access"
ARTIFACTS.mkdir(parents=True, exist_ok=True)
SECRET = b"ward,elderly_households\r\n131105,1234\r\n"


@pytest.fixture(scope="module")
def flow_site(tdpf_live_site):
    site = tdpf_live_site
    for name in (PROVIDER, USER):
        site.ckan("user", "add", name, f"email={name}@example.invalid", f"password={PASSWORD}")
    site.action("organization_create", name="t131105", title="目黒区",
                tdpf_provider_type="municipality", municipality_code="131105",
                tdpf_verified=True, users=[{"name": PROVIDER, "capacity": "admin"}])
    dataset = site.action(
        "package_create", name="meguro-elderly", title="目黒区 高齢者世帯（シェアードデータ）",
        owner_org="t131105", tdpf_theme=["population_aging"], tdpf_distribution="shared",
        license_id="tdpf-paid", tdpf_price_jpy=30000, tdpf_price_unit="per_year",
        tdpf_permitted_purposes=["research", "public_service"], tdpf_storage_location="japan",
        tdpf_personal_data="anonymized", tdpf_warranty=True)
    response = requests.post(f"{site.url}/api/3/action/resource_create",
                             headers={"Authorization": site.token},
                             data={"package_id": dataset["id"], "name": "世帯数"},
                             files={"upload": ("households.csv", SECRET)}, timeout=60)
    assert response.json()["success"], response.text
    return site, response.json()["result"]


def log_in(browser, site, name):
    page = browser.new_page(locale="ja-JP")
    page.goto(site.url + "/user/login")
    page.fill("#field-login", name)
    page.fill("#field-password", PASSWORD)
    page.press("#field-password", "Enter")
    expect(page.locator("body")).to_contain_text("ダッシュボード")
    return page


def test_request_approve_download_and_usage(flow_site, tdpf_browser):
    site, resource = flow_site
    user = log_in(tdpf_browser, site, USER)
    user.goto(site.url + "/dataset/meguro-elderly")
    user.click("#tdpf-request-access")
    expect(user.locator("h1")).to_contain_text("利用申請")
    expect(user.locator("#tdpf-price")).to_contain_text("30,000 円")
    expect(user.locator("#tdpf-exempt")).to_contain_text("NPO等")

    user.select_option("#field-purpose", "research")
    user.fill("#field-purpose_text", "区内の高齢者世帯の見守り施策の研究")
    user.select_option("#field-user_type", "npo")
    user.click("#tdpf-submit-request")  # the pledges are not ticked yet
    expect(user.locator(".error-explanation")).to_contain_text("誓約が必要です")
    user.check("#field-pledge_no_other_purpose")
    user.check("#field-pledge_no_personal_linking")
    user.screenshot(path=str(ARTIFACTS / "request.png"), full_page=True)
    user.click("#tdpf-submit-request")
    expect(user).to_have_url(re.compile(r"/dashboard/access$"))
    expect(user.locator("#tdpf-my-requests")).to_contain_text("審査中")

    resource_page = f"{site.url}/dataset/meguro-elderly/resource/{resource['id']}"
    user.goto(resource_page)
    expect(user.locator("#tdpf-access-status")).to_have_attribute("data-state", "pending")
    expect(user.locator("#tdpf-request-access")).to_have_count(0)

    provider = log_in(tdpf_browser, site, PROVIDER)
    provider.goto(site.url + "/organization/t131105")
    provider.get_by_role("link", name=re.compile("利用申請")).first.click()
    expect(provider).to_have_url(re.compile(r"/organization/t131105/access$"))
    expect(provider.locator("#tdpf-pending")).to_contain_text(USER)
    expect(provider.locator("#tdpf-pending")).to_contain_text("研究")  # a label, not a code
    provider.fill("#tdpf-pending input[name=daily_quota]", "1")
    provider.locator("#tdpf-pending button[value=approve]").click()
    expect(provider.locator("#tdpf-grants")).to_contain_text("有効")

    # the user downloads with the button, then reaches the daily limit
    user.goto(resource_page)
    expect(user.locator("#tdpf-access-status")).to_contain_text("承認済み")
    with user.expect_download() as started:
        user.locator("a.resource-url-analytics").first.click()
    assert pathlib.Path(started.value.path()).read_bytes() == SECRET
    user.screenshot(path=str(ARTIFACTS / "grantee-resource.png"), full_page=True)
    second = user.goto(f"{resource_page}/download/households.csv")
    assert second.status == 429
    expect(user.locator("h1")).to_contain_text("ダウンロード上限")
    expect(user.locator("#tdpf-access-refused a[href='/dashboard/access']")).to_have_count(1)
    user.screenshot(path=str(ARTIFACTS / "daily-limit.png"), full_page=True)

    provider.reload()
    expect(provider.locator("#tdpf-usage-meguro-elderly")).to_contain_text("1")
    # the charge: an NPO pays nothing, and the exemption says why
    expect(provider.locator("#tdpf-charges")).to_contain_text("無償: NPO等")
    provider.screenshot(path=str(ARTIFACTS / "provider.png"), full_page=True)
    usage = site.action("tdpf_access_usage_list", package_id="meguro-elderly")
    assert len(usage) == 1 and usage[0]["channel"] == "web"
    charges = site.action("tdpf_access_charge_list", package_id="meguro-elderly")
    assert [(c["amount_jpy"], c["state"]) for c in charges] == [(0, "waived")]  # NPO
