"""A real browser (Debian's Chromium, driven by Playwright) against a live CKAN server."""
from __future__ import annotations

def test_home_and_dataset_pages_render_in_japanese(tdpf_live_site, tdpf_browser, tmp_path):
    site = tdpf_live_site
    org = site.action("organization_create", name="t131083", title="江東区",
                      tdpf_provider_type="municipality", municipality_code="131083")
    site.action(
        "package_create", name="koto-public-toilets", title="江東区 公衆トイレ一覧",
        owner_org=org["id"], notes="区内の公衆トイレの所在地", tdpf_theme=["daily_life"],
        resources=[{"name": "公衆トイレ一覧", "url": "https://example.org/toilet.csv",
                    "format": "CSV"}],
    )
    page = tdpf_browser.new_page(locale="ja-JP")

    response = page.goto(site.url + "/")
    assert response.status == 200
    assert page.title().endswith("東京データプラットフォーム")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.screenshot(path=str(tmp_path / "home.png"))

    response = page.goto(site.url + "/dataset/koto-public-toilets")
    assert response.status == 200
    assert page.locator("h1").first.inner_text().strip() == "江東区 公衆トイレ一覧"
    assert page.get_by_text("公衆トイレ一覧").count() >= 1
    assert page.get_by_text("データとリソース").count() == 1
    page.screenshot(path=str(tmp_path / "dataset.png"), full_page=True)
