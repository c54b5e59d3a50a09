"""The leak matrix: every read path × every kind of caller without access. Neither the
secret URL nor the uploaded bytes of the shared dataset may appear in any response; callers
with access get them."""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.tdpf.access.tests.conftest import PLUGINS, SECRET_BYTES, SECRET_URL, expire

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", "euro_dcat_ap_3 tdpf"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

CALLERS = ["anonymous", "stranger", "pending", "rejected", "expired", "revoked",
           "other_org_admin"]
ENTITLED = ["grantee", "provider_editor", "sysadmin"]


def make_caller(world, kind: str) -> dict | None:
    if kind == "anonymous":
        return None
    if kind == "other_org_admin":
        return world.other_admin
    if kind in ("provider_editor", "sysadmin"):
        return getattr(world, kind)
    user = factories.User()
    if kind == "pending":
        world.request(user)
    elif kind == "rejected":
        request = world.request(user)
        world.call("tdpf_access_request_decide", world.provider_admin, id=request["id"],
                   decision="reject")
    elif kind in ("expired", "revoked", "grantee"):
        grant = world.grant(user)["grant"]
        if kind == "expired":
            expire(grant["id"])
        if kind == "revoked":
            world.call("tdpf_access_grant_revoke", world.provider_admin, id=grant["id"],
                       reason="取消")
    return user


def api(world, caller: dict | None, action: str, **data: Any) -> str:
    """The response of an action as text, or its error."""
    model.Session.remove()
    try:
        result = helpers.call_action(action, context={
            "user": caller["name"] if caller else "", "ignore_auth": False}, **data)
    except Exception as error:  # noqa: BLE001 - a refusal is a valid, leak-free answer
        return f"ERROR {error!r}"
    return json.dumps(result, ensure_ascii=False, default=str)


def activity_id(world) -> str:
    activities = helpers.call_action("package_activity_list", id=world.dataset["id"])
    return activities[0]["id"]


# Each read path: name → function(world, caller, app) returning the response text.
PATHS: dict[str, Callable[..., str]] = {
    "package_show": lambda w, c, a: api(w, c, "package_show", id=w.dataset["id"]),
    "package_show by name": lambda w, c, a: api(w, c, "package_show", id="koto-care"),
    "package_search": lambda w, c, a: api(w, c, "package_search", q="江東区"),
    "package_search fl=res_url": lambda w, c, a: api(w, c, "package_search",
                                                     fl="id,res_url,urls"),
    "package_search fl=validated_data_dict": lambda w, c, a: api(
        w, c, "package_search", fl="validated_data_dict,data_dict"),
    "package_search facet.field=res_url": lambda w, c, a: api(
        w, c, "package_search", **{"facet.field": ["res_url"], "rows": 0}),
    "package_search fq=res_url oracle": lambda w, c, a: api(
        w, c, "package_search", fq='res_url:"' + SECRET_URL + '"', rows=0),
    "package_search q=secret": lambda w, c, a: api(w, c, "package_search",
                                                   q="secret-bytes OR koto-care-records"),
    "current_package_list_with_resources": lambda w, c, a: api(
        w, c, "current_package_list_with_resources"),
    "resource_show linked": lambda w, c, a: api(w, c, "resource_show", id=w.linked["id"]),
    "resource_show upload": lambda w, c, a: api(w, c, "resource_show", id=w.upload["id"]),
    "resource_search url": lambda w, c, a: api(w, c, "resource_search",
                                               query="url:koto-care-records"),
    "resource_view_list": lambda w, c, a: api(w, c, "resource_view_list", id=w.linked["id"]),
    "resource_view_show": lambda w, c, a: api(w, c, "resource_view_show", id=w.view["id"]),
    "resource view page": lambda w, c, a: page(a, c, f"/dataset/koto-care/resource/"
                                                     f"{w.linked['id']}/view/{w.view['id']}"),
    "resource proxy": lambda w, c, a: page(a, c, f"/dataset/koto-care/resource/"
                                                 f"{w.linked['id']}/proxy"),
    "user_show include_datasets": lambda w, c, a: api(w, c, "user_show", id="provider_admin",
                                                      include_datasets=True),
    "user_activity_list": lambda w, c, a: api(w, c, "user_activity_list",
                                              id="provider_admin"),
    "package_activity_list": lambda w, c, a: api(w, c, "package_activity_list",
                                                 id=w.dataset["id"]),
    "organization_activity_list": lambda w, c, a: api(w, c, "organization_activity_list",
                                                      id="t131083"),
    "recently_changed_packages_activity_list": lambda w, c, a: api(
        w, c, "recently_changed_packages_activity_list"),
    "activity_show": lambda w, c, a: api(w, c, "activity_show", id=activity_id(w),
                                         include_data=True),
    "activity_data_show": lambda w, c, a: api(w, c, "activity_data_show",
                                              id=activity_id(w)),
    "activity_diff": lambda w, c, a: api(w, c, "activity_diff", id=activity_id(w),
                                         object_type="package", diff_type="unified"),
    "organization_show include_datasets": lambda w, c, a: api(
        w, c, "organization_show", id="t131083", include_datasets=True),
    "dataset page": lambda w, c, a: page(a, c, "/dataset/koto-care"),
    "resource page": lambda w, c, a: page(a, c, f"/dataset/koto-care/resource/{w.linked['id']}"),
    "download linked": lambda w, c, a: page(a, c, f"/dataset/koto-care/resource/"
                                                  f"{w.linked['id']}/download"),
    "download upload": lambda w, c, a: page(a, c, f"/dataset/koto-care/resource/"
                                                  f"{w.upload['id']}/download/secret.csv"),
    "datastore_info": lambda w, c, a: api(w, c, "datastore_info", id=w.linked["id"]),
    "datastore_search": lambda w, c, a: api(w, c, "datastore_search",
                                            resource_id=w.linked["id"]),
    "datastore_search q": lambda w, c, a: api(w, c, "datastore_search",
                                              resource_id=w.linked["id"], q="secret"),
    "datastore_search_sql": lambda w, c, a: api(
        w, c, "datastore_search_sql", sql=f'SELECT * FROM "{w.linked["id"]}"'),
    "datastore dump": lambda w, c, a: page(a, c, f"/datastore/dump/{w.linked['id']}"),
    "DCAT dataset ttl": lambda w, c, a: page(a, c, "/dataset/koto-care.ttl"),
    "DCAT dataset jsonld": lambda w, c, a: page(a, c, "/dataset/koto-care.jsonld"),
    "DCAT catalog": lambda w, c, a: page(a, c, "/catalog.ttl"),
    "DCAT catalog q": lambda w, c, a: page(a, c, "/catalog.ttl?q=res_url:*secret*"),
}


def page(app, caller: dict | None, path: str) -> str:
    headers = {}
    if caller:
        token = helpers.call_action("api_token_create", context={"user": caller["name"]},
                                    user=caller["name"], name="leak-test")["token"]
        headers["Authorization"] = token
    response = app.get(path, headers=headers, status=None, follow_redirects=False)
    return f"{response.status_code} {response.headers.get('Location', '')} " + \
        response.get_data(as_text=True)


def leaks(response: str, path: str) -> list[str]:
    found = [secret for secret in (SECRET_URL, "koto-care-records", SECRET_BYTES.decode())
             if secret in response]
    if "secret.csv" in response and not path.startswith("download"):
        found.append("secret.csv")
    return found


@pytest.mark.parametrize("kind", CALLERS)
def test_no_read_path_leaks_to_callers_without_access(tdpf_world, app, kind):
    """All read paths for one kind of caller; the failure lists every leaking path."""
    caller = make_caller(tdpf_world, kind)
    leaking = {}
    for path, read in PATHS.items():
        found = leaks(read(tdpf_world, caller, app), path)
        if found:
            leaking[path] = found
    assert leaking == {}
    assert len(PATHS) >= 38


@pytest.mark.parametrize("kind", ENTITLED)
def test_callers_with_access_get_the_url_and_the_bytes(tdpf_world, app, kind):
    caller = make_caller(tdpf_world, kind)
    shown = api(tdpf_world, caller, "package_show", id=tdpf_world.dataset["id"])
    assert SECRET_URL in shown
    download = page(app, caller, f"/dataset/koto-care/resource/{tdpf_world.upload['id']}"
                                 "/download/secret.csv")
    assert download.startswith("200") and SECRET_BYTES.decode() in download
    rows = api(tdpf_world, caller, "datastore_search", resource_id=tdpf_world.linked["id"])
    assert SECRET_BYTES.decode().strip() in json.loads(rows)["records"][0]["code"]


def test_metadata_stays_visible_with_a_request_link(tdpf_world):
    shown = json.loads(api(tdpf_world, None, "package_show", id=tdpf_world.dataset["id"]))
    resource = shown["resources"][0]
    assert (resource["name"], resource["format"], resource["size"]) == ("利用状況", "CSV", 1234)
    assert resource["url"].endswith("/dataset/koto-care/access")
    assert resource["tdpf_access"] == "restricted"
    found = json.loads(api(tdpf_world, None, "package_search", q="江東区"))
    assert found["count"] == 1
