"""Enforcement where the bytes leave: every route of the deployed site, walked from Flask's
url_map, refuses a shared dataset's files to callers without access, unless it is a page
reviewed to show only what the redacting actions return. A route a new plugin adds is
refused until someone reviews it."""
from __future__ import annotations

import io
import re

import pytest
from flask import Blueprint
from werkzeug.routing import Rule

import ckan.model as model
import ckan.plugins as p
from ckan.lib import api_token
from ckan.tests import factories, helpers

from ckanext.tdpf.access import gate
from ckanext.tdpf.access.tests.conftest import SECRET_BYTES, SECRET_URL, shared_dataset, token_for
from ckanext.tdpf.tests.live import PLUGINS as DEPLOYED

# the deployed list, the resource proxy, and a throwaway plugin with routes of its own that
# hand out a resource (the route walk meets them too)
PLUGINS = DEPLOYED + " resource_proxy throwaway_leak"
pytestmark = [
    pytest.mark.provide_plugin("throwaway_leak", lambda: ThrowawayLeakPlugin()),
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.ckan_config("ckan.files.storage.tdpf_test.type", "ckan:memory"),
    pytest.mark.ckan_config("scheming.dataset_fallback", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
SECRETS = (SECRET_URL, "koto-care-records", SECRET_BYTES.decode().strip())
REFUSED = {401, 403, 404}


@pytest.fixture
def clean_db(clean_db, migrate_db_for):
    """The deployed plugin list: the harvest tables too."""
    for plugin in ("harvest", "tdpf_harvest"):
        migrate_db_for(plugin)


def refused(response) -> bool:
    return response.status_code in REFUSED or (
        response.status_code == 302 and "/user/login" in response.headers.get("Location", ""))



def stored_file(world) -> dict:
    """A file in CKAN 2.12's file storage, owned by the shared dataset's resource."""
    with io.BytesIO(SECRET_BYTES) as stream:
        from werkzeug.datastructures import FileStorage
        created = helpers.call_action("file_create", context={"user": world.sysadmin["name"]},
                                      name="secret-stored.csv", storage="tdpf_test",
                                      upload=FileStorage(stream, filename="secret.csv"))
    helpers.call_action("file_ownership_transfer", context={"user": world.sysadmin["name"]},
                        id=created["id"], owner_type="resource", owner_id=world.linked["id"])
    return created


def url_for_rule(rule: Rule, world, file_id: str) -> str | None:
    """The rule's URL with every argument naming the shared dataset's things."""
    values = {"id": "koto-care", "resource_id": world.linked["id"],
              "view_id": world.view["id"], "resource_view_id": world.view["id"],
              "filename": "secret.csv", "_id": "koto-care", "_format": "ttl",
              "token": api_token.encode_token({"sub": file_id, "aud": "trusted_download"}),
              "activity_id": "x", "package_type": "dataset", "lang": "ja",
              "logic_function": "package_show", "ver": 3, "storage_name": "tdpf_test",
              "location": "x", "path": "x", "source": "x"}
    if "<id>" in rule.rule and "resource" not in rule.rule and rule.endpoint.startswith(
            ("file.", "datatablesview.")):
        values["id"] = file_id
    arguments = {name: values.get(name, world.linked["id"]) for name in rule.arguments}
    try:
        return rule.build(arguments, append_unknown=False)[1]
    except Exception:  # noqa: BLE001 - converters that take none of these values
        return None


@pytest.mark.parametrize("caller", ["anonymous", "stranger"])
def test_every_route_refuses_shared_files_or_shows_only_metadata(tdpf_world, app, caller):
    world = tdpf_world
    file_id = stored_file(world)["id"]
    headers = token_for(factories.User()) if caller == "stranger" else {}
    flask_app = app.flask_app
    walked, problems, endpoints = 0, {}, set()
    with flask_app.test_request_context():
        kinds = {rule.endpoint: gate.kind(rule.endpoint)
                 for rule in flask_app.url_map.iter_rules()}
    for rule in flask_app.url_map.iter_rules():
        path = url_for_rule(rule, world, file_id)
        if path is None or rule.endpoint in ("static", "user._logout", "user.logout"):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        response = getattr(app, method.lower())(path, headers=headers, status=None,
                                                follow_redirects=False)
        walked += 1
        endpoints.add(rule.endpoint)
        body = response.get_data(as_text=True)
        leaked = [secret for secret in SECRETS if secret in body]
        if response.status_code >= 500:
            problems[f"{method} {path}"] = f"status {response.status_code}"
        elif leaked:
            problems[f"{method} {path}"] = f"leaks {leaked} ({response.status_code})"
        elif (rule.arguments and kinds[rule.endpoint] != "metadata"
              and not refused(response)):
            problems[f"{method} {path}"] = (f"{kinds[rule.endpoint]} route answered "
                                            f"{response.status_code}")
    assert problems == {}
    assert walked > 150
    # the routes data preparation and the harvest added are among them
    assert {"tdpf_prep.prepare", "tdpf_prep_standard.index", "tdpf_prep_standard.read",
            "harvest.read"} <= endpoints, sorted(endpoints)


def test_the_file_routes_serve_a_grantee(tdpf_world, app):
    world = tdpf_world
    file_id = stored_file(world)["id"]
    grantee = factories.User()
    world.grant(grantee)
    headers = token_for(grantee)
    download = app.get(f"/file/download/{file_id}", headers=headers, status=None)
    assert download.status_code == 200 and download.data == SECRET_BYTES
    token = api_token.encode_token({"sub": file_id, "aud": "trusted_download"})
    trusted = app.get(f"/file/trusted-download/{token}", headers=headers, status=None)
    assert trusted.status_code == 200 and trusted.data == SECRET_BYTES
    stranger = app.get(f"/file/download/{file_id}", headers=token_for(factories.User()),
                       status=None)
    assert stranger.status_code == 403
    assert app.get(f"/file/trusted-download/{token}", status=None).status_code == 401
    usage = helpers.call_action("tdpf_access_usage_list", package_id=world.dataset["id"])
    assert [u["channel"] for u in usage] == ["api", "api"]
    assert {u["resource_id"] for u in usage} == {world.linked["id"]}


def test_file_show_refuses_a_shared_resource_file(tdpf_world):
    world = tdpf_world
    file_id = stored_file(world)["id"]
    stranger = factories.User()
    with pytest.raises(helpers.logic.NotAuthorized):
        helpers.call_action("file_show", context={"user": stranger["name"],
                                                  "ignore_auth": False}, id=file_id)
    grantee = factories.User()
    world.grant(grantee)
    shown = helpers.call_action("file_show", context={"user": grantee["name"],
                                                      "ignore_auth": False}, id=file_id)
    assert shown["id"] == file_id


class ThrowawayLeakPlugin(p.SingletonPlugin):
    """What a careless plugin might add: its own routes that hand out a resource."""
    p.implements(p.IBlueprint)

    def get_blueprint(self) -> Blueprint:
        leak = Blueprint("throwaway_leak", __name__)

        @leak.route("/throwaway/<rid>")
        def by_path(rid: str):
            return model.Resource.get(rid).url

        @leak.route("/throwaway")
        def by_query():
            from flask import request
            return model.Resource.get(request.args["r"]).url

        @leak.route("/throwaway/view/<vid>")
        def by_view(vid: str):
            view = model.ResourceView.get(vid)
            return model.Resource.get(view.resource_id).url
        return leak


def test_a_route_added_by_another_plugin_is_refused_until_reviewed(tdpf_world, app):
    world = tdpf_world
    stranger, grantee = token_for(factories.User()), factories.User()
    world.grant(grantee)
    paths = [f"/throwaway/{world.linked['id']}", f"/throwaway?r={world.linked['id']}",
             f"/throwaway/view/{world.view['id']}"]
    for path in paths:
        assert app.get(path, status=None).status_code == 401, path
        assert app.get(path, headers=stranger, status=None).status_code == 403, path
        entitled = app.get(path, headers=token_for(grantee), status=None)
        assert entitled.status_code == 200 and SECRET_URL in entitled.get_data(as_text=True)
    open_dataset = world.call("package_create", world.provider_admin, **shared_dataset(
        name="koto-open", tdpf_distribution="open", license_id="CC-BY-4.0",
        resources=[{"url": "https://example.org/open.csv"}]))
    opened = app.get(f"/throwaway/{open_dataset['resources'][0]['id']}", status=None)
    assert opened.status_code == 200


def test_refusals_speak_japanese_and_english(tdpf_world, app):
    world = tdpf_world
    response = app.get(f"/dataset/koto-care/resource/{world.linked['id']}/download",
                       headers=token_for(factories.User()), status=None)
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "承認" in body and "approved access request" in body
    assert not re.search(re.escape(SECRET_URL), body)


def test_a_stored_file_of_a_resource_removed_while_shared_stays_closed(tdpf_world, app):
    """The resource owning a stored file is taken out of the shared dataset by a save, and
    the dataset opened later: the file was the shared dataset's, and is served to no one
    without access."""
    world = tdpf_world
    file_id = stored_file(world)["id"]
    kept = [r for r in world.dataset["resources"] if r["id"] != world.linked["id"]]
    world.call("package_patch", world.provider_admin, id=world.dataset["id"],
               resources=kept)
    world.call("package_patch", world.provider_admin, id=world.dataset["id"],
               tdpf_distribution="open", license_id="CC-BY-4.0", tdpf_price_jpy=None,
               tdpf_price_unit=None, tdpf_permitted_purposes=None,
               tdpf_storage_location=None, tdpf_personal_data=None, tdpf_warranty=None)
    token = api_token.encode_token({"sub": file_id, "aud": "trusted_download"})
    for headers in ({}, token_for(factories.User())):
        for path in (f"/file/download/{file_id}", f"/file/trusted-download/{token}"):
            response = app.get(path, headers=headers, status=None)
            assert SECRET_BYTES not in response.data, path
            assert refused(response), (path, response.status_code)
        shown = app.post("/api/3/action/file_show", json={"id": file_id}, headers=headers,
                         status=None)
        assert shown.status_code in REFUSED, shown.status_code
