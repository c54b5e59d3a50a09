"""The leak matrix: every read path × every kind of caller without access. Neither the
secret URL nor the uploaded bytes of the shared dataset may appear in any response; callers
with access get them."""
from __future__ import annotations

import dataclasses
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
    # activity details (the snapshots) for everyone: the redaction must hold them
    pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", True),
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


OK, REFUSED = "ok", "refused"


@dataclasses.dataclass
class Response:
    status: int
    location: str
    body: str

    def __str__(self) -> str:
        return self.body


def headers_for(caller: dict | None) -> dict[str, str]:
    if not caller:
        return {}
    token = helpers.call_action("api_token_create", context={"user": caller["name"]},
                                user=caller["name"], name="leak-test")["token"]
    return {"Authorization": token}


def api(world, caller: dict | None, app, action: str, **data: Any) -> Response:
    """An action over HTTP, as API developers call it."""
    model.Session.remove()
    response = app.post(f"/api/3/action/{action}", json=data, headers=headers_for(caller),
                        status=None)
    return Response(response.status_code, "", response.get_data(as_text=True))


def page(app, caller: dict | None, path: str) -> Response:
    response = app.get(path, headers=headers_for(caller), status=None,
                       follow_redirects=False)
    return Response(response.status_code, response.headers.get("Location", ""),
                    response.get_data(as_text=True))


def activity_id(world) -> str:
    activities = helpers.call_action("package_activity_list", id=world.dataset["id"])
    return activities[0]["id"]


def a(action: str, expected: str = OK, oracle: bool = False, **data: Any):
    """A read path through an action: (reader, expected for callers without access,
    whether its count is an oracle that must find nothing)."""
    def read(w, c, app):
        values = {key: value(w) if callable(value) else value for key, value in data.items()}
        return api(w, c, app, action, **values)
    return read, expected, oracle


def p(path, expected: str = OK):
    def read(w, c, app):
        return page(app, c, path(w) if callable(path) else path)
    return read, expected, False


def res(w) -> str:
    return w.linked["id"]


SECRET_FQ = 'res_url:"' + SECRET_URL + '"'
# Each read path: name → (reader, expected for callers without access, count oracle).
PATHS: dict[str, tuple[Callable[..., Response], str, bool]] = {
    "package_show": a("package_show", id=lambda w: w.dataset["id"]),
    "package_show by name": a("package_show", id="koto-care"),
    "package_show default schema": a("package_show", id="koto-care", use_default_schema=True),
    "package_search": a("package_search", q="江東区"),
    "package_search fl=res_url": a("package_search", fl="id,res_url,urls"),
    "package_search fl as a list": a("package_search", fl=["id", "res_url", "data_dict"]),
    "package_search fl=validated_data_dict": a("package_search",
                                               fl="validated_data_dict,data_dict"),
    "package_search facet.field=res_url": a("package_search",
                                            **{"facet.field": ["res_url"], "rows": 0}),
    "package_search fq=res_url oracle": a("package_search", oracle=True, fq=SECRET_FQ,
                                          rows=0),
    "package_search q=res_url oracle": a("package_search", oracle=True,
                                         q="res_url:*koto-care-records*", rows=0),
    "package_search q=secret oracle": a("package_search", oracle=True,
                                        q="secret-bytes OR koto-care-records"),
    "package_search include_private": a("package_search", q="*:*", include_private=True),
    "current_package_list_with_resources": a("current_package_list_with_resources"),
    "resource_show linked": a("resource_show", id=res),
    "resource_show upload": a("resource_show", id=lambda w: w.upload["id"]),
    "resource_search url oracle": a("resource_search", oracle=True,
                                    query="url:koto-care-records"),
    "resource_view_list": a("resource_view_list", id=res),
    "resource_view_show": a("resource_view_show", REFUSED, id=lambda w: w.view["id"]),
    "user_show include_datasets": a("user_show", id="provider_admin", include_datasets=True),
    "user_activity_list": a("user_activity_list", id="provider_admin"),
    "package_activity_list": a("package_activity_list", id=lambda w: w.dataset["id"]),
    "organization_activity_list": a("organization_activity_list", id="t131083"),
    "recently_changed_packages_activity_list": a("recently_changed_packages_activity_list"),
    "activity_show include_data": a("activity_show", id=activity_id, include_data=True),
    "activity_show": a("activity_show", id=activity_id),
    "activity_data_show": a("activity_data_show", id=activity_id),
    "activity_diff": a("activity_diff", id=activity_id, object_type="package",
                       diff_type="unified"),
    "activity_diff html": a("activity_diff", id=activity_id, object_type="package",
                            diff_type="html"),
    "organization_show include_datasets": a("organization_show", id="t131083",
                                            include_datasets=True),
    "datastore_info": a("datastore_info", REFUSED, id=res),
    "datastore_search": a("datastore_search", REFUSED, resource_id=res),
    "datastore_search q": a("datastore_search", REFUSED, resource_id=res, q="secret"),
    "datastore_search_sql": a("datastore_search_sql", REFUSED,
                              sql=lambda w: f'SELECT * FROM "{w.linked["id"]}"'),
    "dataset page": p("/dataset/koto-care"),
    "resource page": p(lambda w: f"/dataset/koto-care/resource/{res(w)}"),
    "resource view page": p(lambda w: f"/dataset/koto-care/resource/{res(w)}/view/"
                                      f"{w.view['id']}", REFUSED),
    "resource proxy": p(lambda w: f"/dataset/koto-care/resource/{res(w)}/proxy", REFUSED),
    "resource findings page": p(lambda w: f"/dataset/koto-care/resource/{res(w)}/data-rate"),
    "resource history page": p(lambda w: f"/dataset/koto-care/resources/{res(w)}/history/"
                                         f"{activity_id(w)}", REFUSED),
    "download linked": p(lambda w: f"/dataset/koto-care/resource/{res(w)}/download",
                         REFUSED),
    "download upload": p(lambda w: f"/dataset/koto-care/resource/{w.upload['id']}/download/"
                                   "secret.csv", REFUSED),
    "datastore dump": p(lambda w: f"/datastore/dump/{res(w)}", REFUSED),
    "dataset activity page": p("/dataset/activity/koto-care"),
    "dataset changes page": p(lambda w: f"/dataset/changes/{activity_id(w)}"),
    "dataset history page": p(lambda w: f"/dataset/koto-care/history/{activity_id(w)}"),
    "organization activity page": p("/organization/activity/t131083"),
    "feed": p("/feeds/dataset.atom"),
    "feed custom q oracle": p("/feeds/custom.atom?q=res_url:*9f3a*"),
    "feed organization": p("/feeds/organization/t131083.atom"),
    "DCAT dataset ttl": p("/dataset/koto-care.ttl"),
    "DCAT dataset jsonld": p("/dataset/koto-care.jsonld"),
    "DCAT catalog": p("/catalog.ttl"),
    "DCAT catalog page 1": p("/catalog.jsonld?page=1"),
    "DCAT catalog q": p("/catalog.ttl?q=res_url:*secret*"),
}


def leaks(response: Response, path: str) -> list[str]:
    found = [secret for secret in (SECRET_URL, "koto-care-records",
                                   SECRET_BYTES.decode().strip())  # (JSON escapes \r\n)
             if secret in response.body]
    if "secret.csv" in response.body and not path.startswith("download"):
        found.append("secret.csv")
    return found


def problems_of(response: Response, path: str, expected: str, oracle: bool) -> list[str]:
    """What is wrong with one answer to a caller without access."""
    found = [f"leaks {secret}" for secret in leaks(response, path)]
    if response.status >= 500:
        found.append(f"status {response.status}")
    elif expected == OK and response.status != 200:
        found.append(f"status {response.status}, expected 200")
    elif expected == REFUSED and not (response.status in (400, 401, 403, 404) or (
            response.status == 302 and "/user/login" in response.location)):
        found.append(f"status {response.status}, expected a refusal")
    if oracle and response.status == 200:
        result = json.loads(response.body)["result"]
        if result["count"] != 0:
            found.append(f"the count {result['count']} tells that it matched")
    return found


@pytest.mark.parametrize("kind", CALLERS)
def test_no_read_path_leaks_to_callers_without_access(tdpf_world, app, kind):
    """All read paths for one kind of caller; the failure lists every leaking path."""
    caller = make_caller(tdpf_world, kind)
    # a second activity by someone else, so that diffs and changes pages have two versions
    helpers.call_action("package_patch", context={"user": tdpf_world.sysadmin["name"]},
                        id=tdpf_world.dataset["id"], notes="介護サービスの利用状況（更新）")
    problems = {}
    for path, (read, expected, oracle) in PATHS.items():
        found = problems_of(read(tdpf_world, caller, app), path, expected, oracle)
        if found:
            problems[path] = found
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
    assert len(PATHS) >= 54


@pytest.mark.parametrize("kind", ENTITLED)
def test_callers_with_access_get_the_url_and_the_bytes(tdpf_world, app, kind):
    caller = make_caller(tdpf_world, kind)
    shown = api(tdpf_world, caller, app, "package_show", id=tdpf_world.dataset["id"])
    assert shown.status == 200 and SECRET_URL in shown.body
    upload = [r for r in json.loads(shown.body)["result"]["resources"]
              if r["id"] == tdpf_world.upload["id"]][0]
    assert upload["url"].startswith("http") and upload["url"].endswith(
        f"/resource/{tdpf_world.upload['id']}/download/secret.csv")
    download = page(app, caller, f"/dataset/koto-care/resource/{tdpf_world.upload['id']}"
                                 "/download/secret.csv")
    assert download.status == 200 and SECRET_BYTES.decode() in download.body
    rows = api(tdpf_world, caller, app, "datastore_search",
               resource_id=tdpf_world.linked["id"])
    records = json.loads(rows.body)["result"]["records"]
    assert SECRET_BYTES.decode().strip() in records[0]["code"]
    for path in ("resource view page", "resource findings page", "dataset activity page"):
        assert PATHS[path][0](tdpf_world, caller, app).status == 200, path


def test_metadata_stays_visible_with_a_request_link(tdpf_world, app):
    shown = json.loads(api(tdpf_world, None, app, "package_show",
                           id=tdpf_world.dataset["id"]).body)["result"]
    resource = shown["resources"][0]
    assert (resource["name"], resource["format"], resource["size"]) == ("利用状況", "CSV", 1234)
    assert resource["url"].endswith("/dataset/koto-care/access")
    assert resource["tdpf_access"] == "restricted"
    found = json.loads(api(tdpf_world, None, app, "package_search", q="江東区").body)
    assert found["result"]["count"] == 1


def test_a_shared_files_findings_show_rules_and_counts_but_not_its_content(tdpf_world, app):
    """Findings quote the file (column names, cells): without access the page keeps each
    rule, its severity and how many places, never a message or a place."""
    import datetime

    from ckanext.tdpf.schema.model import ResourceRating

    quoted = "secret-bytes-7c1d"
    model.Session.add(ResourceRating(
        resource_id=tdpf_world.upload["id"], package_id=tdpf_world.dataset["id"], stage=2,
        l1=0, l2=100, l3=100, checked_at=datetime.datetime.now(datetime.timezone.utc),
        findings=[{"rule": "L1-07", "level": 1, "severity": "MAJOR", "count": 2,
                   "title": {"ja": "1セル1データ", "en": "One value per cell"},
                   "message": {"ja": f"値「{quoted}」", "en": f"value {quoted}"},
                   "locations": ["A2", "A3"], "sheet": None}]))
    model.Session.commit()
    path = f"/dataset/koto-care/resource/{tdpf_world.upload['id']}/data-rate"
    stranger = page(app, make_caller(tdpf_world, "stranger"), path)
    assert stranger.status == 200 and "L1-07" in stranger.body and "1セル1データ" in stranger.body
    at = stranger.body.find(quoted)
    assert at < 0, stranger.body[max(0, at - 600):at + 200]
    assert "A2, A3" not in stranger.body
    grantee = page(app, make_caller(tdpf_world, "grantee"), path)
    assert quoted in grantee.body and "A2, A3" in grantee.body


def test_a_file_removed_while_shared_keeps_its_rows_when_the_dataset_opens(tdpf_world, app):
    """A resource taken out of a shared dataset by a save (not ``resource_delete``: the
    DataStore drops a table only then), and the dataset made open later (by its provider,
    or by a harvest whose source's record is open): the removed file's DataStore rows and
    its views (whose settings may hold its address) are for no one without access."""
    world = tdpf_world
    sharing = ("tdpf_distribution", "license_id", "tdpf_price_jpy", "tdpf_price_unit",
               "tdpf_permitted_purposes", "tdpf_storage_location", "tdpf_personal_data",
               "tdpf_warranty")
    callers = {kind: make_caller(world, kind) for kind in ("anonymous", "stranger",
                                                          "expired")}
    view = world.call("resource_view_create", world.provider_admin,
                      resource_id=world.linked["id"], view_type="image_view",
                      title="画像", image_url=SECRET_URL)
    kept = [r for r in world.dataset["resources"] if r["id"] != world.linked["id"]]
    world.call("package_patch", world.provider_admin, id=world.dataset["id"],
               resources=kept)
    assert model.Resource.get(world.linked["id"]).state == "deleted"
    world.call("package_patch", world.provider_admin, id=world.dataset["id"],
               tdpf_distribution="open", license_id="CC-BY-4.0",
               **{key: None for key in sharing[2:]})
    assert helpers.call_action("package_show", id="koto-care")["tdpf_distribution"] == "open"
    for kind, caller in callers.items():
        for action, data in (("datastore_search", {"resource_id": world.linked["id"]}),
                             ("datastore_search", {"resource_id": world.linked["id"],
                                                   "q": "secret"}),
                             ("datastore_info", {"id": world.linked["id"]}),
                             ("resource_view_show", {"id": view["id"]}),
                             ("resource_view_list", {"id": world.linked["id"]})):
            response = api(world, caller, app, action, **data)
            assert not leaks(response, action), (kind, action)
            if action != "resource_view_list":  # (an empty list)
                assert response.status in (403, 404), (kind, action, response.status)
