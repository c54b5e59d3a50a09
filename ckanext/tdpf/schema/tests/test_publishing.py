"""Publishing through the web form as municipal staff do it, in Japanese (issue #13, 4):
the two-stage form (dataset, then 「データの追加」), a Japanese title, all errors at once,
no publishing without data, the licences a distribution allows, the footer, the login."""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tdpf.schema.tests.conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

JA = {"Accept-Language": "ja"}
GENERATED = re.compile(r"^t131083-[0-9a-f]{8}$")


@pytest.fixture
def editor(tdpf_org) -> dict:
    """An editor of 江東区 (t131083), logged in by API token, as the form sees them."""
    org = tdpf_org()
    user = factories.User()
    helpers.call_action("organization_member_create", context={"ignore_auth": True},
                        id=org["name"], username=user["name"], role="editor")
    token = factories.APIToken(user=user["name"])["token"]
    return {"name": user["name"], "org": org, "headers": dict(JA, Authorization=token)}


def stage_one(org: dict, **fields) -> dict:
    """The dataset form's fields as the browser sends them (stage 1, 「次へ」)."""
    data = {"_ckan_phase": "dataset_new_1", "pkg_name": "", "save": "",
            "title": "江東区 公衆トイレ一覧", "name": "", "notes": "区内の公衆トイレ",
            "owner_org": org["id"], "tdpf_theme": "daily_life", "tdpf_distribution": "open",
            "license_id": "CC-BY-4.0", "tdpf_personal_data": "none"}
    data.update(fields)
    return data


def resource_stage(**fields) -> dict:
    data = {"id": "", "url": "", "name": "", "description": "", "format": "",
            "save": "go-metadata"}
    data.update(fields)
    return data


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_texts(page: BeautifulSoup) -> list[str]:
    box = page.select_one(".error-explanation")
    return [li.get_text(" ", strip=True) for li in box.select("li")] if box else []


def created(name_or_id: str) -> dict:
    model.Session.remove()
    return helpers.call_action("package_show", context={"ignore_auth": True}, id=name_or_id)


class TestJapaneseTitleGetsAName:
    def test_form_with_an_empty_name_creates_the_dataset_with_a_valid_name(self, app, editor):
        response = app.post("/dataset/new", data=stage_one(editor["org"]),
                            headers=editor["headers"], follow_redirects=False)
        assert response.status_code == 302, error_texts(soup(response))
        name = urllib.parse.urlparse(response.headers["Location"]).path.split("/")[2]
        assert GENERATED.match(name), name
        assert response.headers["Location"].endswith(f"/dataset/{name}/resource/new")
        dataset = created(name)
        assert dataset["title"] == "江東区 公衆トイレ一覧"
        assert dataset["state"] == "draft"

    def test_a_name_given_is_kept(self, app, editor):
        response = app.post("/dataset/new", data=stage_one(editor["org"], name="koto-toilets"),
                            headers=editor["headers"], follow_redirects=False)
        assert response.status_code == 302
        assert created("koto-toilets")["title"] == "江東区 公衆トイレ一覧"

    def test_api_keeps_its_rules(self, editor):
        context = {"user": editor["name"]}
        fields = {"title": "江東区 公衆トイレ一覧", "owner_org": "t131083",
                  "tdpf_theme": ["daily_life"], "license_id": "CC-BY-4.0"}
        given = helpers.call_action("package_create", context=dict(context), name="koto-a",
                                    **fields)
        assert given["name"] == "koto-a"
        with pytest.raises(tk.ValidationError) as error:
            helpers.call_action("package_create", context=dict(context), name="Koto A!",
                                **fields)
        assert list(error.value.error_dict) == ["name"]
        assert GENERATED.match(
            helpers.call_action("package_create", context=dict(context), **fields)["name"])
        with pytest.raises(tk.ValidationError) as error:  # an update never renames by itself
            helpers.call_action("package_update", context=dict(context), id=given["id"],
                                name="", **fields)
        assert list(error.value.error_dict) == ["name"]

    def test_form_proposes_the_name_in_the_browser(self, app, editor):
        page = soup(app.get("/dataset/new", headers=editor["headers"]))
        prefixes = json.loads(page.select_one("script#tdpf-name-prefixes").string)
        assert prefixes == {editor["org"]["id"]: "t131083"}
        assert page.select_one("input#field-name")["data-module"] == "slug-preview-slug"
        assert "英数字8桁" in page.get_text()
        assert any("publishing" in (s.get("src") or "") for s in page.select("script"))


class TestAllErrorsAtOnce:
    def test_every_field_error_in_one_round(self, app, editor):
        response = app.post("/dataset/new", headers=editor["headers"], data=stage_one(
            editor["org"], title="", tdpf_theme="", tdpf_distribution="shared",
            license_id="CC-BY-4.0", url="ftp://example.org/x", maintainer_email="not-an-email",
            tdpf_personal_data="personal_information"))
        assert response.status_code == 200
        page = soup(response)
        labels = {text.split(":")[0] for text in error_texts(page)}
        assert labels == {"タイトル", "分野", "ライセンス", "出典URL", "担当部署のメールアドレス",
                          "パーソナルデータ区分", "表明保証", "利用目的", "保管場所"}
        assert not helpers.call_action("package_search", include_drafts=True)["count"]


class TestNoPublishingWithoutData:
    def start(self, app, editor) -> str:
        response = app.post("/dataset/new", data=stage_one(editor["org"]),
                            headers=editor["headers"], follow_redirects=False)
        return urllib.parse.urlparse(response.headers["Location"]).path.split("/")[2]

    def test_finishing_without_a_file_or_link_is_refused(self, app, editor):
        name = self.start(app, editor)
        response = app.post(f"/dataset/{name}/resource/new", data=resource_stage(),
                            headers=editor["headers"], follow_redirects=False)
        assert response.status_code == 200
        text = soup(response).get_text(" ", strip=True)
        assert "ファイルまたはリンクを追加してから公開してください" in text
        assert created(name)["state"] == "draft"
        assert not helpers.call_action("package_search", q=f"name:{name}")["count"]

    def test_finishing_with_a_link_publishes(self, app, editor):
        name = self.start(app, editor)
        response = app.post(f"/dataset/{name}/resource/new", headers=editor["headers"],
                            data=resource_stage(url="https://example.org/toilets.csv"),
                            follow_redirects=False)
        assert response.status_code == 302, error_texts(soup(response))
        dataset = created(name)
        assert dataset["state"] == "active" and len(dataset["resources"]) == 1

    def test_a_resource_without_a_link_does_not_publish(self, app, editor):
        name = self.start(app, editor)
        response = app.post(f"/dataset/{name}/resource/new", headers=editor["headers"],
                            data=resource_stage(name="公衆トイレ一覧"), follow_redirects=False)
        assert response.status_code == 200
        assert created(name)["state"] == "draft"

    def test_the_api_may_publish_without_resources(self, editor):
        context = {"user": editor["name"]}
        fields = {"title": "江東区 公衆トイレ一覧", "owner_org": "t131083",
                  "tdpf_theme": ["daily_life"], "license_id": "CC-BY-4.0"}
        assert helpers.call_action("package_create", context=dict(context), name="koto-b",
                                   **fields)["state"] == "active"
        draft = helpers.call_action("package_create", context=dict(context), name="koto-c",
                                    state="draft", **fields)
        assert helpers.call_action("package_patch", context=dict(context), id=draft["id"],
                                   state="active")["state"] == "active"


class TestLicencesFollowTheDistribution:
    def test_the_form_carries_the_licences_each_distribution_allows(self, app, editor):
        page = soup(app.get("/dataset/new", headers=editor["headers"]))
        select = page.select_one("select[name=license_id]")
        assert select["data-tdpf-licence-for"] == "tdpf_distribution"
        rules = json.loads(page.select_one("script#tdpf-licences-by-distribution").string)
        assert rules["shared"] == ["tdpf-shared", "tdpf-paid"]
        assert "CC-BY-4.0" in rules["open"] and "own-terms" in rules["open"]
        assert not set(rules["open"]) & {"tdpf-shared", "tdpf-paid"}
        assert {o["value"] for o in select.select("option")} >= set(rules["open"] +
                                                                     rules["shared"])
        assert page.select("input[name=tdpf_distribution][value=shared]")
        assert any("publishing" in (s.get("src") or "") for s in page.select("script"))


class TestFooter:
    def test_no_blanket_licence_claim_and_the_operator_named(self, app, editor):
        for path in ("/dataset/", "/dataset/new"):
            response = app.get(path, headers=editor["headers"])
            text = response.get_data(as_text=True)
            for claim in ("you agree to release", "opendatacommons.org/licenses/odbl",
                          "opendefinition.org", "CKAN Association", "Open Data Commons</a>"):
                assert claim not in text, (path, claim)
        footer = soup(app.get("/dataset/", headers=JA)).select_one("footer.site-footer")
        assert "運営: 東京データプラットフォーム" in footer.get_text(" ", strip=True)
        links = {a["href"]: a.get_text(strip=True) for a in footer.select("a[href]")}
        assert links["/about"] == "東京データプラットフォームについて"
        assert links["/about#terms"] == "利用規約"
        assert links["/api/3"] == "API"


class TestLoginFirst:
    def test_anonymous_dataset_form_goes_to_the_login_page(self, app):
        response = app.get("/dataset/new", headers=JA, follow_redirects=False)
        assert response.status_code == 302
        location = urllib.parse.urlparse(response.headers["Location"])
        assert location.path == "/user/login"
        assert urllib.parse.parse_qs(location.query)["came_from"] == ["/dataset/new"]

    def test_anonymous_add_data_goes_to_the_login_page(self, app, editor):
        response = app.get("/dataset/koto/resource/new", follow_redirects=False)
        assert response.status_code == 302
        assert urllib.parse.parse_qs(urllib.parse.urlparse(
            response.headers["Location"]).query)["came_from"] == ["/dataset/koto/resource/new"]

    @pytest.mark.ckan_config("ckan.auth.anon_create_dataset", True)
    @pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", True)
    def test_a_site_open_to_visitors_shows_them_the_form(self, app):
        assert app.get("/dataset/new", headers=JA).status_code == 200

    def test_a_logged_in_user_gets_the_form(self, app, editor):
        assert app.get("/dataset/new", headers=editor["headers"]).status_code == 200
