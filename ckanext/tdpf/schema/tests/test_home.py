"""The front page and the About page (issue #13, 6): the counts a visitor sees are
package_search's, from one search per page view, each linking to its filtered search."""
from __future__ import annotations

import urllib.parse

import pytest
from bs4 import BeautifulSoup

import ckan.lib.search.query as search_query
from ckan.tests import helpers

from ckanext.tdpf.schema import jobs
from ckanext.tdpf.schema.tests.conftest import PLUGINS
from ckanext.tdpf.schema.tests.test_jobs import LOCAL_FILES
from ckanext.tdpf.schema.tests.test_schema import create, shared, valid

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

JA = {"Accept-Language": "ja"}


def page(app, path: str = "/") -> BeautifulSoup:
    response = app.get(path, headers=JA)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def query(href: str) -> tuple[str, dict[str, list[str]]]:
    url = urllib.parse.urlparse(href)
    return url.path, urllib.parse.parse_qs(url.query)


@pytest.fixture
def catalog(tdpf_org, tdpf_sysadmin, tdpf_file_server):
    """Datasets of two providers over a few themes, one shared, one rated, one private."""
    tdpf_org()
    tdpf_org(name="tokyo", title="東京都", tdpf_provider_type="metropolitan_government",
             municipality_code="130001")
    made = [
        create(tdpf_sysadmin, **valid(name="toilets", title="公衆トイレ一覧",
                                      tdpf_theme=["daily_life", "urban_development"])),
        create(tdpf_sysadmin, **valid(name="shelters", title="避難所一覧", owner_org="tokyo",
                                      tdpf_theme=["disaster_prevention"])),
        create(tdpf_sysadmin, **shared(name="traffic", title="交通量（詳細）",
                                       tdpf_theme=["transport", "daily_life"])),
        create(tdpf_sysadmin, **valid(name="aed", title="AED設置場所", owner_org="tokyo",
                                      tdpf_theme=["medical_welfare"], resources=[
                                          {"url": f"{tdpf_file_server}/"
                                                  "chiba-ichikawa_122033_108_aed.csv"}])),
        create(tdpf_sysadmin, **valid(name="internal", title="内部資料", private=True,
                                      tdpf_theme=["tax"])),
    ]
    jobs.rate_dataset(made[3]["id"])
    return made


@LOCAL_FILES
class TestFrontPage:
    def test_counts_are_package_searchs_and_link_to_the_filtered_search(self, app, catalog):
        facets = helpers.call_action("package_search", rows=0, **{
            "facet.field": ["tdpf_theme", "tdpf_provider_type", "tdpf_data_rate",
                            "tdpf_distribution"], "facet.limit": -1})["facets"]
        assert facets["tdpf_theme"]["daily_life"] == 2
        home = page(app)
        tiles = home.select(".tdpf-home-theme")
        assert len(tiles) == 14  # Tokyo's 13 priority fields and その他
        for tile in tiles:
            theme = tile["data-theme"]
            assert int(tile.select_one("[data-count]")["data-count"]) == \
                facets["tdpf_theme"].get(theme, 0), theme
            assert query(tile.a["href"]) == ("/dataset/", {"tdpf_theme": [theme]})
        labels = {t["data-theme"]: t.select_one(".tdpf-home-label").text for t in tiles}
        assert labels["daily_life"] == "生活" and labels["transport"] == "交通情報"
        assert "件" in home.select_one('[data-theme="daily_life"] .tdpf-home-count').text

        providers = {li["data-provider-type"]: li for li in home.select(".tdpf-home-provider")}
        assert int(providers["municipality"].select_one("[data-count]")["data-count"]) == 2
        assert int(providers["metropolitan_government"]
                   .select_one("[data-count]")["data-count"]) == 2
        assert providers["municipality"].a.text == "区市町村"
        assert query(providers["municipality"].a["href"]) == \
            ("/dataset/", {"tdpf_provider_type": ["municipality"]})

        bars = home.select(".tdpf-home-rate")
        assert [bar["data-stage"] for bar in bars] == ["0", "1", "2", "3", "4"]
        assert sum(int(bar.select_one("[data-count]")["data-count"]) for bar in bars) == 1
        for bar in bars:
            stage = bar["data-stage"]
            assert int(bar.select_one("[data-count]")["data-count"]) == \
                facets["tdpf_data_rate"].get(stage, 0)
            assert query(bar.a["href"]) == ("/dataset/", {"tdpf_data_rate": [stage]})
            assert bar.select_one(".tdpf-home-bar")["style"].startswith("width: ")

        shared_link = home.select_one(".tdpf-home-shared-count a")
        assert facets["tdpf_distribution"]["shared"] == 1
        assert shared_link.text.strip() == "1件"
        assert query(shared_link["href"]) == ("/dataset/", {"tdpf_distribution": ["shared"]})

        newest = [a.text for a in home.select(".tdpf-home-dataset a")]
        assert newest == ["AED設置場所", "交通量（詳細）", "避難所一覧", "公衆トイレ一覧"]
        assert "内部資料" not in home.text
        assert home.select_one("form.tdpf-home-search")["action"] == "/dataset/"
        assert home.select_one("form.tdpf-home-search input[name=q]")

    def test_no_ckan_placeholder(self, app, catalog):
        text = page(app).get_text(" ", strip=True)
        for placeholder in ("CKANへようこそ", "Welcome to CKAN", "Powered by", "420"):
            assert placeholder not in text

    def test_one_search_per_page_view(self, app, catalog, monkeypatch):
        calls = []
        run = search_query.PackageSearchQuery.run

        def counted(self, *args, **kwargs):
            calls.append(args)
            return run(self, *args, **kwargs)

        monkeypatch.setattr(search_query.PackageSearchQuery, "run", counted)
        page(app)
        assert len(calls) == 1


def test_empty_site_front_page(app):
    home = page(app)
    assert home.select_one(".tdpf-home-shared-count a").text.strip() == "0件"
    assert "データセットはまだありません。" in home.text


def test_about_page_in_japanese(app):
    about = page(app, "/about")
    headings = [h.get_text(strip=True) for h in about.select(".tdpf-about h2")]
    assert headings == ["データライブラリ", "データ整備", "データ流通", "信頼", "利用規約",
                        "開発者の方へ"]
    assert about.select_one("#terms")
    assert about.select_one(".tdpf-about h1").text == "東京データプラットフォーム（TDPF）について"
    assert about.select_one('.tdpf-about a[href="/api/3"]')
