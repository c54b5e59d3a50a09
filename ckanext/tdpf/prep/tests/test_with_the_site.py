"""tdpf_prep on the deployed stack: shared data stays with the dataset's editors (the
entitlement rules hold: preparing never leaks a file), a published file is rated by
tdpf_schema like any file, and the 「データ整備」 page works for editors only."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.tdpf.access.tests.conftest import PLUGINS, SECRET_BYTES, World, token_for
from ckanext.tdpf.access.tests.conftest import clean_db  # noqa: F401  (the stack's tables)

from .conftest import DATAFILES

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS + " tdpf_prep"),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]
JA = {"Accept-Language": "ja"}


@pytest.fixture
def world() -> World:
    world = World()
    path = DATAFILES / "hyogo-kobe_jinkou2708_estimated_population.xls"
    with open(path, "rb") as stream:
        world.xls = world.call("resource_create", world.provider_admin,
                               package_id=world.dataset["id"], name="推計人口", url="",
                               upload=FileStorage(stream, filename="jinkou2708.xls"))
    return world


def refused_as_missing(world: World, user: dict, resource_id: str) -> str:
    with pytest.raises(helpers.logic.ValidationError) as excinfo:
        world.call("tdpf_prep_preview", user, resource_id=resource_id)
    (message,) = excinfo.value.error_dict["resource_id"]
    return message


def test_shared_files_are_prepared_for_their_editors_only(world):
    missing = refused_as_missing(world, world.user, "no-such-resource")
    grantee = factories.User()
    world.grant(grantee)
    for caller in (world.user, world.other_admin, grantee):
        for resource in (world.upload, world.xls):
            message = refused_as_missing(world, caller, resource["id"])
            assert message == missing and SECRET_BYTES.decode().strip() not in message
        with pytest.raises(helpers.logic.ValidationError):
            world.call("tdpf_prep_publish", caller, resource_id=world.xls["id"])
    shown = world.call("tdpf_prep_preview", world.provider_editor, resource_id=world.xls["id"])
    assert [t["name"] for t in shown["tables"]] == ["毎月人口ＨＰ", "毎月人口ＨＰ (2)"]


def test_a_published_file_is_rated_like_any_file_and_stays_shared(app, world):
    from ckanext.tdpf.schema import jobs

    created = world.call("tdpf_prep_publish", world.provider_editor,
                         resource_id=world.xls["id"], table="毎月人口ＨＰ")
    jobs.rate_dataset(world.dataset["id"])
    shown = world.call("resource_show", world.provider_editor, id=created["id"])
    source = world.call("resource_show", world.provider_editor, id=world.xls["id"])
    assert source["tdpf_mr_stage"] == 2
    assert shown["tdpf_mr_format"] == "CSV" and shown["tdpf_mr_stage"] >= 3
    assert shown["tdpf_mr_l1"] == 100
    # where it came from is metadata (tdpf_metadata in the schema): shown to the editor and
    # to a stranger alike, though the shared dataset's resources are redacted for strangers
    assert shown["tdpf_prep_source_resource_id"] == world.xls["id"] and shown["tdpf_prep_at"]
    stranger = world.call("resource_show", world.user, id=created["id"])
    assert stranger["tdpf_prep_source_resource_id"] == world.xls["id"]
    assert stranger["url"] != created["url"]  # the file's address stays hidden
    download = (f"/dataset/{world.dataset['name']}/resource/{created['id']}/download/"
                f"{created['url'].rsplit('/', 1)[-1]}")
    assert app.get(download, headers=token_for(world.user), status=None).status_code == 403
    grantee = factories.User()
    world.grant(grantee)
    granted = app.get(download, headers=token_for(grantee), status=None)
    assert granted.status_code == 200 and granted.data.startswith('"年月 Year'.encode())


def _page(app, world: World, user: dict | None):
    headers = dict(JA, **(token_for(user) if user else {}))
    return app.get(f"/dataset/{world.dataset['name']}/resource/{world.xls['id']}/prep",
                   headers=headers, status=None, follow_redirects=False)


def test_the_page_shows_editors_the_tables_and_publishes_and_refuses_others(app, world):
    response = _page(app, world, world.provider_editor)
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    tables = page.select("section.tdpf-prep-table")
    assert [t["data-table"] for t in tables] == ["毎月人口ＨＰ", "毎月人口ＨＰ (2)"]
    rating = tables[0].select_one("table.tdpf-prep-rating").get_text(" ", strip=True)
    assert "2 3" in rating  # stage before and after
    rules = [s.get_text(" ", strip=True) for s in tables[0].select("details summary")]
    assert any(rule.startswith("L3-05") for rule in rules)
    assert tables[0].select_one("table.tdpf-prep-preview td").get_text() == "2011"
    resource_page = app.get(f"/dataset/{world.dataset['name']}/resource/{world.xls['id']}",
                            headers=dict(JA, **token_for(world.provider_editor)))
    assert f"/resource/{world.xls['id']}/prep" in resource_page.get_data(as_text=True)

    # others: refused, and no link on the resource page
    assert _page(app, world, world.user).status_code in (403, 404)
    assert _page(app, world, None).status_code in (302, 401, 403)
    resource_page = app.get(f"/dataset/{world.dataset['name']}/resource/{world.xls['id']}",
                            headers=dict(JA, **token_for(world.user)), status=None)
    assert f"/resource/{world.xls['id']}/prep" not in resource_page.get_data(as_text=True)

    # the button adds the table and shows the new file
    response = app.post(f"/dataset/{world.dataset['name']}/resource/{world.xls['id']}/prep",
                        data={"table": "毎月人口ＨＰ (2)"},
                        headers=dict(JA, **token_for(world.provider_editor)),
                        follow_redirects=False)
    assert response.status_code == 302
    (created,) = [r for r in model.Package.get(world.dataset["id"]).resources
                  if r.extras.get("tdpf_prep_source_resource_id") == world.xls["id"]]
    assert response.headers["Location"].endswith(f"/resource/{created.id}")


def test_a_file_that_cannot_be_prepared_says_why_on_the_page(app, world):
    with io.BytesIO(b"{\\rtf1 memo}") as stream:
        memo = world.call("resource_create", world.provider_admin,
                          package_id=world.dataset["id"], name="メモ", url="",
                          upload=FileStorage(stream, filename="memo.rtf"))
    response = app.get(f"/dataset/{world.dataset['name']}/resource/{memo['id']}/prep",
                       headers=dict(JA, **token_for(world.provider_editor)))
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "This file format cannot be prepared" in page.select_one(".alert-danger").get_text()


def test_the_api_keeps_shared_files_to_their_editors(app, world):
    path = f"/api/3/action/tdpf_prep_preview?resource_id={world.upload['id']}"
    for caller in (world.user, factories.User()):
        response = app.get(path, headers=token_for(caller), status=None)
        assert response.status_code == 409
        body = response.get_data(as_text=True)
        assert "resource_id" in body and SECRET_BYTES.decode().strip()[:20] not in body
    assert app.get(path, status=None).status_code == 403
    editor = app.get(f"/api/3/action/tdpf_prep_preview?resource_id={world.xls['id']}",
                     headers=token_for(world.provider_editor))
    assert editor.json["result"]["tables"][0]["rows"][0][0] == "2011"
