"""What each caller sees of a shared dataset in the pages: their standing with its files
and the action that fits, in Japanese."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckan.tests import factories

from ckanext.tdpf.access.tests.conftest import PLUGINS, expire, token_for

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]



def status_of(app, path: str, user: dict | None) -> tuple[str, BeautifulSoup]:
    response = app.get(path, headers=token_for(user) if user else {})
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    box = page.select_one("#tdpf-access-status")
    return box["data-state"], page


def test_each_caller_sees_their_standing_and_the_action_that_fits(tdpf_world, app):
    world = tdpf_world
    resource_page = f"/dataset/koto-care/resource/{world.upload['id']}"
    pending, rejected, expired, granted = (factories.User() for _ in range(4))
    world.request(pending)
    request = world.request(rejected)
    world.call("tdpf_access_request_decide", world.provider_admin, id=request["id"],
               decision="reject")
    expire(world.grant(expired)["grant"]["id"])
    world.grant(granted, expires="2099-03-31T14:59:59Z")
    expected = [(None, "anonymous"), (factories.User(), "none"), (pending, "pending"),
                (rejected, "rejected"), (expired, "expired"), (granted, "approved"),
                (world.provider_editor, "provider")]
    for user, state in expected:
        for path in ("/dataset/koto-care", resource_page):
            found, page = status_of(app, path, user)
            assert found == state, (path, user and user["name"])
            request_button = page.select_one("#tdpf-request-access")
            assert (request_button is not None) == (state not in (
                "pending", "approved", "provider")), (path, state)
    _, page = status_of(app, resource_page, granted)
    text = page.select_one("#tdpf-access-status").get_text()
    assert "2099-03-31" in text and "承認済み" in text
    download = page.select_one("a.resource-url-analytics")
    assert download is not None and download["href"].endswith(
        f"/resource/{world.upload['id']}/download/secret.csv")
    _, page = status_of(app, resource_page, None)
    assert page.select_one("a.resource-url-analytics") is None
    assert "ログイン" in page.select_one("#tdpf-request-access").get_text()


def html(app, path: str, user: dict) -> BeautifulSoup:
    return BeautifulSoup(app.get(path, headers=token_for(user)).get_data(as_text=True),
                         "html.parser")


def test_the_dashboard_and_the_organization_page_lead_to_requests(tdpf_world, app):
    world = tdpf_world
    world.request(world.user)
    tab = html(app, "/dashboard/datasets", world.user).find("a", href="/dashboard/access")
    assert tab is not None and "利用申請" in tab.get_text()
    mine = html(app, "/dashboard/access", world.user).select_one("#tdpf-my-requests")
    assert "研究" in mine.get_text()  # a label, not "research"
    tab = html(app, "/organization/t131083", world.provider_editor).find(
        "a", href="/organization/t131083/access")
    assert tab is not None and "(1)" in tab.get_text()
    stranger = html(app, "/organization/t131083", world.user)
    assert stranger.find("a", href="/organization/t131083/access") is None


def error_page(app, path: str, user: dict | None, status: int) -> BeautifulSoup:
    response = app.get(path, headers=token_for(user) if user else {}, status=status)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_refusals_are_pages_in_japanese_that_lead_to_the_request(tdpf_world, app):
    world = tdpf_world
    download = f"/dataset/koto-care/resource/{world.upload['id']}/download/secret.csv"
    page = error_page(app, download, factories.User(), 403)
    assert "許可されていません" in page.find("h1").get_text()
    links = {a["href"] for a in page.select("#tdpf-access-refused a")}
    assert {"/dataset/koto-care/access", "/dashboard/access", "/dataset/koto-care"} <= links
    page = error_page(app, download, None, 401)
    assert "ログイン" in page.find("h1").get_text()
    login = page.select_one("#tdpf-access-refused a")["href"]
    assert login.startswith("/user/login") and "access" in login
    limited = factories.User()
    world.grant(limited, daily_quota=1)
    app.get(download, headers=token_for(limited))
    page = error_page(app, download, limited, 429)
    assert "ダウンロード上限" in page.find("h1").get_text()
    assert page.select_one("#tdpf-access-refused a")["href"] == "/dashboard/access"
    missing = error_page(app, "/dataset/no-such-dataset", None, 404)
    assert "見つかりません" in missing.find("h1").get_text()
    assert "Not Found" not in missing.find("h1").get_text()


def test_the_provider_page_shows_labels_quotas_and_japan_days(tdpf_world, app):
    world = tdpf_world
    world.request(factories.User(), purpose="research", user_type="company")
    world.grant(factories.User(), daily_quota=7)
    page = html(app, "/organization/t131083/access", world.provider_editor)
    pending = page.select_one("#tdpf-pending").get_text()
    assert "研究" in pending and "research" not in pending
    assert "company" not in pending
    grants = page.select_one("#tdpf-grants")
    assert "7" in [td.get_text().strip() for td in grants.select("td")]
    assert "日本時間" in page.get_text()


def test_a_providers_dashboard_lists_the_requests_to_decide(tdpf_world, app):
    tdpf_world.request(factories.User())
    page = html(app, "/dashboard/access", tdpf_world.provider_editor)
    item = page.select_one("#tdpf-provided li")
    assert item.a["href"] == "/organization/t131083/access"
    assert "1" in item.select_one(".badge").get_text()
    mine = html(app, "/dashboard/access", factories.User())
    assert mine.select_one("#tdpf-provided") is None
