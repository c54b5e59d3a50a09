"""The whole shared-data flow in a real browser, in Japanese: a user requests, the provider
approves, the user downloads, the provider sees the download."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

PROVIDER, USER, PASSWORD = "meguro_admin", "npo_researcher", "flow-password-1234"
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


def test_request_approve_download_and_usage(flow_site, tdpf_browser, tmp_path):
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
    user.screenshot(path=str(tmp_path / "request.png"), full_page=True)
    user.click("#tdpf-submit-request")
    expect(user).to_have_url(re.compile(r"/dashboard/access$"))
    expect(user.locator("#tdpf-my-requests")).to_contain_text("審査中")

    provider = log_in(tdpf_browser, site, PROVIDER)
    provider.goto(site.url + "/organization/t131105/access")
    expect(provider.locator("#tdpf-pending")).to_contain_text(USER)
    provider.locator("#tdpf-pending button[value=approve]").click()
    expect(provider.locator("#tdpf-grants")).to_contain_text("有効")

    download = f"{site.url}/dataset/meguro-elderly/resource/{resource['id']}/download/households.csv"
    user.goto(site.url + "/dashboard/access")
    expect(user.locator("#tdpf-my-grants")).to_contain_text("有効")
    fetched = user.request.get(download)
    assert fetched.status == 200 and fetched.body() == SECRET

    provider.reload()
    expect(provider.locator("#tdpf-usage-meguro-elderly")).to_contain_text("1")
    provider.screenshot(path=str(tmp_path / "provider.png"), full_page=True)
    usage = site.action("tdpf_access_usage_list", package_id="meguro-elderly")
    assert len(usage) == 1 and usage[0]["channel"] == "web"
    charges = site.action("tdpf_access_charge_list", package_id="meguro-elderly")
    assert [(c["amount_jpy"], c["state"]) for c in charges] == [(0, "waived")]  # NPO
