"""tdpf_prep_preview and tdpf_prep_publish with ``standard`` (標準形式に変換), on CKAN's own
dataset schema: the conformance before and after, the mapping, the suggested standard, the
publisher's code and name from the organization, the converted file published under the
standard's file name, and a field error for an unknown standard."""
from __future__ import annotations

import csv
import io

import pytest
from werkzeug.datastructures import FileStorage

from ckan.tests import factories, helpers

from ckanext.tdpf.lib import standards
from ckanext.tdpf.tests.db import migrate_mapped_harvest

from .conftest import DATAFILES

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "tdpf_prep"),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]
SHIBUYA = "tokyo-shibuya_131130_public_toilet.csv"


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_db()
    migrate_db_for("tdpf_prep")  # (the merge's tables, which the plugin's hooks read)
    migrate_mapped_harvest()


def call(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False},
                               **data)


@pytest.fixture
def world():
    class World:
        editor = factories.User()
        org = factories.Organization(
            users=[{"name": editor["name"], "capacity": "editor"}],
            extras=[{"key": "municipality_code", "value": "131130"}])
        dataset = factories.Dataset(owner_org=org["id"])
    world = World()
    with io.BytesIO((DATAFILES / SHIBUYA).read_bytes()) as stream:
        world.toilets = call("resource_create", world.editor, package_id=world.dataset["id"],
                             name="公衆トイレ", url="",
                             upload=FileStorage(stream, filename="131130_public_toilet.csv"))
    return world


def test_without_a_standard_the_one_the_table_claims_is_suggested(world):
    (table,) = call("tdpf_prep_preview", world.editor,
                    resource_id=world.toilets["id"])["tables"]
    assert table["suggested_standard"] == "public_toilet"
    assert "conformance_after" not in table


def test_with_a_standard_the_conversion_and_its_conformance(world):
    (table,) = call("tdpf_prep_preview", world.editor, resource_id=world.toilets["id"],
                    standard="public_toilet")["tables"]
    assert table["standard"] == "public_toilet"
    assert table["file_name"] == "131130_public_toilet.csv"
    before, after = table["conformance_before"], table["conformance_after"]
    assert after["score"] > before["score"] and after["order_ok"]
    assert {"missing_required", "column_errors", "messages"} <= set(after)
    converted = table["converted"]
    assert converted["header"] == [c.name for c in standards.get("public_toilet").columns]
    assert converted["row_count"] == 82 and len(converted["rows"]) == 20
    first = dict(zip(converted["header"], converted["rows"][0]))
    assert first["全国地方公共団体コード"] == "131130" and first["地方公共団体名"] == "東京都渋谷区"
    assert {"source": "多機能トイレ", "target": "バリアフリートイレ数", "how": "synonym",
            "kept_aside": 42} in table["mapping"]  # its 「有」 is no count: in 備考
    assert table["unmapped"] == ["通称", "通称_カナ", "URL"]
    assert {"rule", "where", "what"} <= set(converted["changes"][0])
    # the prepared table itself is still there, as without a standard
    assert table["header"][0] == "都道府県コード又は市区町村コード"


def test_a_long_table_is_judged_on_its_beginning_and_published_whole(world, monkeypatch):
    from ckanext.tdpf.prep.logic import action
    monkeypatch.setattr(action, "PREVIEW_CONVERT_ROWS", 30)
    (table,) = call("tdpf_prep_preview", world.editor, resource_id=world.toilets["id"],
                    standard="public_toilet")["tables"]
    assert table["converted"]["checked_rows"] == 30 and table["converted"]["row_count"] == 82
    assert table["conformance_after"]["rows"] == 30
    created = call("tdpf_prep_publish", world.editor, resource_id=world.toilets["id"],
                   standard="public_toilet")
    from ckan.lib import uploader
    path = uploader.get_resource_uploader(created).get_path(created["id"])
    with open(path, encoding="utf-8") as stream:
        assert len(list(csv.reader(stream))) == 83


def test_an_unknown_standard_is_a_field_error_naming_the_known_ones(world):
    messages = []
    for value in ("public_toilets", ["public_toilet"], "x" * 101):
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_preview", world.editor, resource_id=world.toilets["id"],
                 standard=value)
        errors = excinfo.value.error_dict
        assert list(errors) == ["standard"], errors
        messages.append(errors["standard"][0])
    assert "public_toilet" in messages[0] and "aed" in messages[0]
    assert "text" in messages[1] and "100" in messages[2]
    with pytest.raises(helpers.logic.ValidationError) as excinfo:
        call("tdpf_prep_publish", world.editor, resource_id=world.toilets["id"],
             standard="toilet")
    (message,) = excinfo.value.error_dict["standard"]
    assert "public_toilet" in message and "aed" in message and "evacuation_space" in message


def test_publishing_the_converted_table_under_the_standards_file_name(world):
    created = call("tdpf_prep_publish", world.editor, resource_id=world.toilets["id"],
                   standard="public_toilet")
    assert created["url"].endswith("/131130_public_toilet.csv")
    assert created["tdpf_prep_standard"] == "public_toilet"
    assert created["tdpf_prep_source_resource_id"] == world.toilets["id"]
    assert "公衆トイレ一覧" in created["name"] or "Public toilets" in created["name"]
    assert "A-13" in created["description"] and "通称_カナ" in created["description"]
    from ckan.lib import uploader
    path = uploader.get_resource_uploader(created).get_path(created["id"])
    with open(path, encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [c.name for c in standards.get("public_toilet").columns]
    assert len(rows) == 83 and rows[1][0] == "131130"


def _page(app, world, query: str = "", resource: dict | None = None) -> str:
    token = helpers.call_action("api_token_create", context={"user": world.editor["name"]},
                                user=world.editor["name"], name="tests")["token"]
    resource = resource or world.toilets
    response = app.get(f"/dataset/{world.dataset['name']}/resource/{resource['id']}"
                       f"/prep{query}", headers={"Authorization": token})
    assert response.status_code == 200
    return response.body


def test_the_page_suggests_converts_and_survives_an_unknown_standard(app, world):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(_page(app, world), "html.parser")
    selected = page.select_one(".tdpf-prep-standard select[name=standard] option[selected]")
    assert selected["value"] == "public_toilet"
    assert page.select_one(".tdpf-prep-standard-notice a")["href"] == "#tdpf-standard-box-1"
    assert page.select_one(".tdpf-prep-conformance") is None
    assert page.select_one(".tdpf-prep-not-recognised") is None  # it was recognised

    page = BeautifulSoup(_page(app, world, "?standard=public_toilet"), "html.parser")
    scores = [td.get_text() for td in page.select(".tdpf-prep-conformance "
                                                   "tr[data-item=score] td")]
    assert int(scores[1]) > int(scores[0])
    assert page.select_one(".tdpf-prep-file-name").get_text() == "131130_public_toilet.csv"
    assert page.select_one("form.tdpf-prep-publish-standard input[name=standard]")[
        "value"] == "public_toilet"
    assert [li.get_text() for li in page.select(".tdpf-prep-unmapped li")] == [
        "通称", "通称_カナ", "URL"]

    page = BeautifulSoup(_page(app, world, "?standard=nope"), "html.parser")
    assert "public_toilet" in page.select_one(".tdpf-prep-standard-error").get_text()
    assert page.select_one(".alert-danger") is None  # the file itself is fine
    assert page.select("section.tdpf-prep-table")  # the prepared table still shown


def test_the_page_asks_to_choose_for_a_table_it_does_not_recognise(app, world):
    from bs4 import BeautifulSoup

    path = DATAFILES / "hyogo-kobe_201706okunaihinanjo.csv"
    with io.BytesIO(path.read_bytes()) as stream:
        shelters = call("resource_create", world.editor, package_id=world.dataset["id"],
                        name="避難所", url="",
                        upload=FileStorage(stream, filename="201706okunaihinanjo.csv"))
    page = BeautifulSoup(_page(app, world, resource=shelters), "html.parser")
    assert page.select_one(".tdpf-prep-standard-notice") is None
    assert page.select_one(".tdpf-prep-not-recognised") is not None
    assert page.select_one(".tdpf-prep-standard select[name=standard] option[selected]") is None
