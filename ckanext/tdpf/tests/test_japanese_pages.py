"""Issue #13 item 7, "Japanese complete": every page the portal's journeys visit, and the
harvest admin pages, show no English UI text and no raw codes in ``ja``.

The strings come from this suite, CKAN core's incomplete ``ja`` catalog, ckanext-harvest (no
``ja`` catalog), ckanext-scheming and ckanext-dcat; the suite's catalog fills the gaps (see
``ckanext/tdpf/lib/core_messages.py``) and template overrides replace strings that are not
translatable. Each page is fetched as every role that may see it; its visible text (with the
title, aria-labels, tooltips, placeholders and buttons), minus the data the test created
(titles, names, descriptions, URLs) and an allowlist of proper nouns and formats, must contain
no word of three or more ASCII letters and none of the choices' raw codes.
"""
from __future__ import annotations

import json
import re
from typing import Iterator

import pytest
from bs4 import BeautifulSoup, Comment

import ckan.model as model
from ckan.common import config
from ckan.tests import factories, helpers

from ckanext.tdpf.access.tests.conftest import shared_dataset, token_for
from ckanext.tdpf.harvest.tests import replay
from ckanext.tdpf.harvest.tests.conftest import FAST
from ckanext.tdpf.tests.live import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.ckan_config("scheming.dataset_fallback", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
JA = {"Accept-Language": "ja"}

# Words that may stay in ASCII on a Japanese page, each with its reason.
ALLOWED = {
    # proper nouns: products, organizations, services
    "CKAN", "TDPF", "DCAT", "ORCID", "Facebook", "GitHub",
    # technical terms used as such in Japanese government portals
    "API", "URL", "URI", "RDF", "JSON", "Turtle", "XML",
    "Web",  # written so in Japanese too ("Web上のURL", core's ja catalog)
    "UTF", "Markdown", "ID", "CSS",
    "CSW", "WAF",  # OGC Catalogue Service for the Web, Web Accessible Folder (harvest sources)
    # file formats
    "CSV", "XLS", "XLSX", "PDF", "ZIP", "TSV", "ODS", "HTML", "TXT", "GeoJSON", "KML",
    "SHP", "PNG", "JPEG", "TTL", "XLSM",
    # abbreviations written in Latin letters in Japanese too
    "JST",  # 日本標準時, after every time CKAN renders
    "NPO",  # NPO法人 (a provider type)
    "AED",  # 自動体外式除細動器 (a theme's example on the front page)
    "BODIK",  # the open data platform of that name (a harvester's description)
    "BOM", "Shift_JIS",  # encodings (the CSV list harvester's description)
    "KiB", "MiB", "GiB",  # units of file sizes
    # the language selector names each language in itself
    "English",
    # examples of URL names (ASCII by rule) in placeholders of the forms' URL fields
    "koto-public-toilets", "tokyo-catalog",
    # licence short names (full licence titles are data: see World.data_values)
    "ODC", "ODbL", "PDDL", "GFDL", "CC0", "OGL",
}
# Raw codes of the suite's choices that must never reach a page untranslated.
RAW_CODES = {
    "research", "academic", "public_agency", "pledge_no_other_purpose",
    "pledge_no_personal_linking", "municipality", "prefecture", "company", "individual",
    "public_service", "medical_welfare", "daily_life", "anonymized", "per_year", "monthly",
    "shared", "open", "japan", "tdpf_ckan", "tdpf-paid", "tdpf_shared",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-'’.][A-Za-z0-9_]+)*")
# URLs, paths, host names, e-mail addresses and UUIDs are addresses, not words.
CUT_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]*")
URLISH = re.compile(r"(?:https?://|www\.)\S*|\S+@\S+\.\S+|\b[0-9a-f]{8}-[0-9a-f-]{27}\b"
                    r"|(?<![\w/])/[\w./-]*|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|jp|go\.jp)\b")


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_db()
    import ckanext.datastore.tests.helpers as datastore_helpers
    from sqlalchemy import orm

    engine = datastore_helpers.db.get_write_engine()
    datastore_helpers.rebuild_all_dbs(orm.scoped_session(orm.sessionmaker(bind=engine)))
    for plugin in ("activity", "harvest", "tdpf_schema", "tdpf_access", "tdpf_harvest"):
        migrate_db_for(plugin)


@pytest.fixture(scope="module")
def catalog_server() -> Iterator[str]:
    server, catalog = replay.serve(replay.recorded_records()[:2])
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class World:
    def __init__(self, catalog_url: str, cli) -> None:
        from ckanext.tdpf.harvest.cli import tdpf_harvest

        self.sysadmin = factories.Sysadmin(name="tdpf_admin", fullname="運営 一郎",
                                           about="運営担当")
        self.editor = factories.User(name="provider_editor", fullname="江東 花子",
                                     about="江東区の担当者")
        self.user = factories.User(name="requester", fullname="研究 太郎", about="研究者")
        self.org = helpers.call_action(
            "organization_create", context={"user": self.sysadmin["name"]}, name="t131083",
            title="江東区", tdpf_provider_type="municipality", municipality_code="131083",
            tdpf_verified=True, users=[{"name": "provider_editor", "capacity": "editor"}])
        self.open = helpers.call_action(
            "package_create", context={"user": self.editor["name"], "ignore_auth": False},
            name="koto-toilets", title="江東区 公衆トイレ一覧", notes="区内の公衆トイレ",
            owner_org="t131083", tdpf_theme=["daily_life"], tdpf_distribution="open",
            license_id="CC-BY-4.0", tdpf_personal_data="none",
            resources=[{"url": "https://example.org/toilets.csv", "name": "トイレ一覧",
                        "format": "CSV"}])
        self.shared = helpers.call_action(
            "package_create", context={"user": self.editor["name"], "ignore_auth": False},
            **shared_dataset())
        self.source = helpers.call_action(
            "harvest_source_create", context={"user": self.sysadmin["name"]}, name="tokyo",
            title="東京都オープンデータカタログ", url=catalog_url, source_type="tdpf_ckan",
            config=json.dumps(FAST))
        helpers.call_action(  # a change for the activity's changes page
            "package_patch", context={"user": self.editor["name"], "ignore_auth": False},
            id=self.open["id"], notes="区内の公衆トイレの一覧", tdpf_theme=["daily_life", "tourism"],
            tag_string="トイレ")
        self.open = helpers.call_action("package_show", id=self.open["id"])
        self.activities = helpers.call_action("package_activity_list", id=self.open["id"])
        self.draft = helpers.call_action(  # stage two of the dataset form: its resource
            "package_create", context={"user": self.editor["name"], "ignore_auth": False},
            name="koto-draft", title="江東区 作成中のデータ", owner_org="t131083",
            tdpf_theme=["daily_life"], tdpf_distribution="open", license_id="CC-BY-4.0",
            tdpf_personal_data="none", state="draft")
        helpers.call_action(  # a request waiting on the provider: its purpose and user type
            "tdpf_access_request_create", context={"user": self.user["name"],
                                                   "ignore_auth": False},
            package_id=self.shared["id"], purpose="research", purpose_text="区内の介護需要の研究",
            user_type="company", pledge_no_other_purpose=True, pledge_no_personal_linking=True)
        result = cli.invoke(tdpf_harvest, ["run", "tokyo"])
        assert result.exit_code == 0, result.output
        model.Session.remove()
        self.job = helpers.call_action("harvest_job_list", source_id=self.source["id"])[0]
        self.harvested = helpers.call_action("package_search", fq="tdpf_source_id:[* TO *]",
                                             rows=1)["results"][0]
        self.headers = {
            "anonymous": dict(JA),
            "user": dict(JA, **token_for(self.user)),
            "editor": dict(JA, **token_for(self.editor)),
            "sysadmin": dict(JA, **token_for(self.sysadmin)),
        }

    def data_values(self) -> list[str]:
        """Every string the test created or harvested: shown as data, not UI."""
        model.Session.remove()
        values: list[str] = []
        context = {"ignore_auth": True}
        for dataset in helpers.call_action("package_search", context=context, rows=1000,
                                           include_private=True, include_drafts=True)["results"]:
            values += [dataset.get(k) or "" for k in ("name", "title", "notes", "title_en",
                                                      "notes_en", "url", "maintainer")]
            values += [t["name"] for t in dataset.get("tags", [])]
            for resource in dataset["resources"]:
                values += [resource.get(k) or "" for k in ("name", "description", "url")]
        for org in helpers.call_action("organization_list", context=context, all_fields=True):
            values += [org["name"], org["title"], org.get("description") or ""]
        for user in (self.sysadmin, self.editor, self.user):
            values += [user["name"], user["fullname"] or "", user["email"]]
        values += [self.source["name"], self.source["title"], self.source["url"]]
        # licence titles are the licences' own names (e.g. "Creative Commons Attribution")
        values += [lic["title"] for lic in helpers.call_action("license_list")]
        values.append(config["ckan.site_title"])  # the site's configured title
        values.append(config["ckan.site_id"])  # the site user's name (a sysadmin)
        return sorted({v for v in values if v}, key=len, reverse=True)


@pytest.fixture
def world(catalog_server, cli) -> World:
    return World(catalog_server, cli)


def pages(world: World) -> list[tuple[str, str]]:
    """(role, path) of every page of the journeys and the harvest admin."""
    open_name, shared = world.open["name"], world.shared["name"]
    resource = world.open["resources"][0]["id"]
    shared_resource = world.shared["resources"][0]["id"]
    org = world.org["name"]
    everyone = ["/", "/dataset/", f"/dataset/{open_name}", f"/dataset/{shared}",
                f"/dataset/{open_name}/resource/{resource}",
                f"/dataset/{shared}/resource/{shared_resource}",
                f"/dataset/activity/{open_name}", "/organization/", f"/organization/{org}",
                f"/organization/about/{org}", "/group/", f"/user/{world.editor['name']}",
                "/about", "/organization-applications", "/dataset/no-such-dataset",
                "/dashboard/datasets", "/dashboard/access", "/user/login",
                # the standard datasets: the list and one standard's coverage of Tokyo
                "/standard", "/standard/public_toilet"]
    result = [(role, path) for role in ("anonymous", "user", "editor", "sysadmin")
              for path in everyone]
    changed, created = world.activities[0]["id"], world.activities[-1]["id"]
    result += [(role, path) for role in ("anonymous", "editor") for path in (
        f"/dataset/changes/{changed}", f"/dataset/{open_name}/history/{created}")]
    result += [(role, path) for role in ("user", "editor", "sysadmin") for path in (
        "/dashboard/", "/dashboard/organizations", "/dashboard/groups",
        f"/user/{world.user['name']}", f"/user/activity/{world.editor['name']}")]
    result += [("anonymous", "/user/register"), ("anonymous", "/user/reset"),
               ("anonymous", f"/dataset/{shared}/access"), ("anonymous", "/ckan-admin/"),
               ("anonymous", "/dataset/?q=該当のない語"), ("anonymous", "/dataset/?q=%22"),  # a query Solr refuses
               ("anonymous", "/dataset/?tdpf_theme=daily_life&tdpf_distribution=open"),
               ("anonymous", "/harvest/"), ("editor", "/harvest/"),
               # the filter pills above a filtered list: titles and labels, not codes
               ("anonymous", "/harvest/?frequency={}&source_type={}".format(
                   world.source.get("frequency") or "MANUAL", world.source["source_type"])),
               ("anonymous", f"/harvest/{world.source['name']}"),
               ("user", f"/dataset/{shared}/access"), ("user", "/ckan-admin/"),
               ("user", f"/dataset/edit/{open_name}"), ("user", "/harvest/new"),
               ("user", "/user/edit/requester"), ("user", "/user/requester/api-tokens"),
               ("user", "/organization-applications"),
               ("editor", "/dataset/new"), ("editor", f"/dataset/edit/{open_name}"),
               ("editor", f"/dataset/edit/{shared}"), ("editor", f"/dataset/resources/{open_name}"),
               ("editor", f"/dataset/{open_name}/resource/new"),
               ("editor", f"/dataset/{world.draft['name']}/resource/new"),
               ("editor", f"/dataset/{open_name}/resource/{resource}/edit"),
               ("editor", f"/dataset/groups/{open_name}"), ("editor", f"/organization/{org}/access"),
               ("editor", f"/organization/activity/{org}"), ("editor", f"/organization/members/{org}"),
               ("sysadmin", f"/organization/{org}/access"), ("sysadmin", f"/organization/edit/{org}"),
               ("sysadmin", f"/organization/members/{org}"), ("sysadmin", "/organization/new"),
               ("sysadmin", f"/organization/bulk_process/{org}"),
               ("sysadmin", "/ckan-admin/activities")]
    source, job = world.source["name"], world.job["id"]
    harvested = world.harvested
    result += [(role, path) for role in ("anonymous", "sysadmin") for path in (
        f"/dataset/{harvested['name']}",
        f"/dataset/{harvested['name']}/resource/{harvested['resources'][0]['id']}")]
    result += [("sysadmin", path) for path in (
        "/harvest/", f"/harvest/{source}", f"/harvest/about/{source}",
        f"/harvest/admin/{source}", f"/harvest/{source}/job", f"/harvest/{source}/job/{job}",
        f"/harvest/{source}/job/last", "/harvest/new", f"/harvest/edit/{source}",
        "/ckan-admin/", "/ckan-admin/config", "/ckan-admin/trash")]
    return result


def visible_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ") if soup.title else ""  # the browser tab's title
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup(["script", "style", "noscript", "code", "pre", "template", "textarea",
                     "head"]):
        tag.decompose()
    for tag in soup.select("[hidden], [style*='display: none'], [style*='display:none']"):
        tag.decompose()
    parts = [title, soup.get_text(" ")]
    # what screen readers and tooltips say, and images' alternatives
    for attribute in ("aria-label", "title", "alt"):
        for tag in soup.select(f"[{attribute}]"):
            parts.append(tag[attribute])
    for tag in soup.select("input[placeholder], textarea[placeholder]"):
        parts.append(tag["placeholder"])
    for tag in soup.select("input[type=submit][value], input[type=button][value]"):
        parts.append(tag["value"])
    return " ".join(parts)


def english_in(text: str, data: list[str]) -> set[str]:
    for value in data:
        # a whole value, not a part of a word ("tokyo" in "tokyo-catalog")
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", " ", text)
    # an id cut short ("e4687ea2-fcef-4389-bd17-82f…") is a raw code whatever its letters
    found = {m for m in CUT_ID.findall(text) if len(m) < 36}
    text = URLISH.sub(" ", text)
    for word in WORD.findall(text):
        pieces = re.split(r"[-'’._]", word)
        if word in ALLOWED:
            continue
        if word in RAW_CODES or ("_" in word and len(word) > 2):
            found.add(word)
        elif any(len(p) >= 3 and p.isalpha() and p not in ALLOWED for p in pieces) \
                and word not in ALLOWED:
            found.add(word)
    return found


def test_every_page_is_in_japanese(app, world):
    data = world.data_values()
    problems: dict[str, set[str]] = {}
    for role, path in pages(world):
        response = app.get(path, headers=world.headers[role])
        assert response.status_code < 500, f"{role} {path}: {response.status_code}"
        assert response.status_code in (200, 403, 404), f"{role} {path}"
        found = english_in(visible_text(response.get_data(as_text=True)), data)
        if found:
            problems[f"{role} {path} ({response.status_code})"] = found
    report = "\n".join(f"{page}: {' | '.join(sorted(words))}"
                       for page, words in problems.items())
    assert not problems, f"English or raw codes on Japanese pages:\n{report}"


def test_the_checker_finds_english_and_raw_codes():
    html = ("<html><body><p>Next: 次へ</p><p>research</p><p>CSV 形式, CKAN API</p>"
            "<script>var x = 'Hidden';</script><input type='hidden' value='Secret'>"
            "<p>江東区 Koto Ward</p></body></html>")
    assert english_in(visible_text(html), ["Koto Ward"]) == {"Next", "research"}
    assert english_in("変更 12345678-1234-4321-1234-123...", []) == {"12345678-1234-4321-1234-123"}


def test_translated_pages_keep_their_facts(app, world):
    """The overrides that replaced raw values still show the facts, in words."""
    headers = world.headers["sysadmin"]
    about = visible_text(app.get(f"/harvest/about/{world.source['name']}", headers=headers)
                         .get_data(as_text=True))
    assert "TDPF: CKAN API（CKANカタログ）" in about and "手動" in about
    config = BeautifulSoup(app.get(f"/harvest/about/{world.source['name']}", headers=headers)
                           .get_data(as_text=True), "html.parser").select("code")
    assert any('"retries": 1' in code.get_text() for code in config)
    org = visible_text(app.get(f"/organization/about/{world.org['name']}",
                               headers=headers).get_data(as_text=True))
    assert "区市町村" in org and "131083" in org
    activity = visible_text(app.get(f"/dataset/activity/{world.open['name']}",
                                    headers=headers).get_data(as_text=True))
    assert "データセットの作成" in activity
    # when, in the one form of every other time on the site (not "16 分前")
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", activity) and not re.search(r"\d+ ?(秒|分|時間|日)前", activity)
    changes = visible_text(app.get(f"/dataset/changes/{world.activities[0]['id']}",
                                   headers=world.headers["editor"]).get_data(as_text=True))
    assert "生活、観光" in changes
    resource = world.shared["resources"][0]["id"]
    page = visible_text(app.get(f"/dataset/{world.shared['name']}/resource/{resource}",
                                headers=headers).get_data(as_text=True))
    assert "1.2 KiB" in page and resource in page
