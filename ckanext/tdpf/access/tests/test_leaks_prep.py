"""The read paths tdpf_prep added (データ整備, merged standard datasets, the coverage and
organization pages, conformance on ratings), attacked by callers without access to a shared
dataset and by callers who have it but must not republish it: no shared file's address,
bytes or cell values may leave through them, and no merge may carry shared rows into an
open dataset, not even one merged before the source became shared."""
from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.lib import uploader
from ckan.tests import factories, helpers

from ckanext.tdpf.access.tests.conftest import SECRET_BYTES, SECRET_URL, expire, \
    shared_dataset, token_for
from ckanext.tdpf.tests.live import PLUGINS as DEPLOYED
from ckanext.tdpf.tests.live import ROOT

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", DEPLOYED),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", "euro_dcat_ap_3 tdpf"),
    pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", True),
    pytest.mark.ckan_config("scheming.dataset_fallback", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_queues"),
]
KOTO = (ROOT / "ckanext/tdpf/tests/data/datafiles"
        / "tokyo-koto_131083_public_toilet.TRANSCODED.csv")
# A cell only the shared toilet list holds, and one the open list holds (until it is shared)
SHARED_CELL = "機密トイレ7c1d"
OPEN_CELL = "公開トイレ5b2e"
QUOTED = "機密値9e1f"  # a cell value a conformance error quotes
SHARING = {key: value for key, value in shared_dataset().items()
           if key not in ("name", "title", "owner_org", "resources")}


@pytest.fixture
def clean_db(clean_db, migrate_db_for):
    for plugin in ("harvest", "tdpf_harvest", "tdpf_prep"):
        migrate_db_for(plugin)


def toilets(marker: str) -> bytes:
    """Koto's toilet list with the first row's name replaced by ``marker``."""
    rows = list(csv.reader(io.StringIO(KOTO.read_bytes().decode("utf-8-sig"))))
    rows[1][rows[0].index("名称")] = marker
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(world, user: dict, package_id: str, content: bytes, filename: str) -> dict:
    with io.BytesIO(content) as stream:
        return world.call("resource_create", user, package_id=package_id, name=filename,
                          url="", upload=FileStorage(stream, filename=filename))


def stored(resource_id: str) -> str:
    resource = model.Resource.get(resource_id)
    path = uploader.get_resource_uploader({"id": resource.id, "url_type": "upload",
                                           "url": resource.url}).get_path(resource.id)
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def merged_text(name: str) -> str:
    """The merged file and the source table of a merged dataset, as stored."""
    from ckanext.tdpf.prep.model import Merge

    merge = Merge.for_package(model.Package.get(name).id)
    return stored(merge.merged_resource_id) + stored(merge.trace_resource_id)


@pytest.fixture
def town(tdpf_world):
    """The access world (江東区's shared koto-care) with a toilet list in the shared dataset,
    an open toilet list of 江東区, and 千代田区's admin holding a grant on koto-care."""
    world = tdpf_world
    world.shared_toilets = upload(world, world.provider_admin, world.dataset["id"],
                                  toilets(SHARED_CELL), "131083_public_toilet.csv")
    world.open_dataset = world.call("package_create", world.provider_admin, **shared_dataset(
        name="koto-toilets", title="江東区 公衆トイレ一覧", tdpf_distribution="open",
        license_id="CC-BY-4.0", resources=[]))
    world.open_toilets = upload(world, world.provider_admin, world.open_dataset["id"],
                                toilets(OPEN_CELL), "131083_public_toilet.csv")
    world.grant(world.other_admin)  # 千代田区's admin: an approved grantee
    return world


def merge(world, user: dict, **data: Any) -> dict:
    fields = {"standard": "public_toilet", "owner_org": "t131016", "name": "merged-toilets"}
    fields.update(data)
    return world.call("tdpf_prep_merge", user, **fields)


def field_error(call, field: str) -> str:
    with pytest.raises(helpers.logic.ValidationError) as excinfo:
        call()
    return json.dumps(excinfo.value.error_dict[field], ensure_ascii=False)


@pytest.mark.parametrize("who", ["grantee", "provider_editor", "sysadmin"])
def test_shared_rows_are_never_merged_into_an_open_dataset(town, who):
    """A grantee merging into their own organization, the provider's own editor and a
    sysadmin: a listed shared file is refused (nothing written); with organizations the
    shared file is left out and only the open list is merged."""
    user, owner = {"grantee": (town.other_admin, "t131016"),
                   "provider_editor": (town.provider_editor, "t131083"),
                   "sysadmin": (town.sysadmin, "t131016")}[who]
    message = field_error(lambda: merge(town, user, owner_org=owner, resource_ids=[
        town.open_toilets["id"], town.shared_toilets["id"]]), "resource_ids")
    assert town.shared_toilets["id"] in message and SHARED_CELL not in message
    assert model.Package.get("merged-toilets") is None
    result = merge(town, user, owner_org=owner, organizations=["t131083"])
    text = merged_text("merged-toilets")
    assert OPEN_CELL in text  # the open list is merged: the check below can fail
    assert SHARED_CELL not in text and town.shared_toilets["id"] not in text
    assert "koto-care" not in text and SECRET_BYTES.decode().strip() not in text
    assert result["dataset"].get("tdpf_distribution") != "shared"
    shown = json.dumps(result, ensure_ascii=False)
    assert SHARED_CELL not in shown and town.shared_toilets["id"] not in shown


def test_a_source_made_shared_leaves_every_merged_file(town):
    """Merged while open, then made shared: the re-merge takes its rows out, whether the
    merge lists the file or its organization, and whoever set it up."""
    from ckanext.tdpf.prep import merge as merging

    listed = merge(town, town.other_admin, name="listed",
                   resource_ids=[town.open_toilets["id"]])
    by_org = merge(town, town.sysadmin, name="by-org", organizations=["t131083"])
    assert OPEN_CELL in merged_text("listed") and OPEN_CELL in merged_text("by-org")
    town.call("package_patch", town.provider_admin, id="koto-toilets", **SHARING)
    queued = [job["title"] for job in helpers.call_action("job_list")]
    assert "tdpf merge listed" in queued and "tdpf merge by-org" in queued
    for result in (listed, by_org):
        merging.remerge_job(result["merge"]["id"])
        name = result["dataset"]["name"]
        assert OPEN_CELL not in merged_text(name), name
        assert town.open_toilets["id"] not in merged_text(name), name
    assert helpers.call_action("tdpf_prep_merge_show", id="listed")["errors"]


def test_a_refused_re_merge_still_takes_out_a_source_made_shared(town):
    """The user who set the merge up left their organization (the re-merge is refused and
    the files otherwise stay as they were), or was deleted: a source made shared since must
    leave the open merged file all the same."""
    from ckanext.tdpf.prep import merge as merging

    leaver = factories.User()
    helpers.call_action("organization_member_create",
                        context={"user": town.sysadmin["name"]}, id="t131016",
                        username=leaver["name"], role="editor")
    gone = factories.User()
    helpers.call_action("organization_member_create",
                        context={"user": town.sysadmin["name"]}, id="t131016",
                        username=gone["name"], role="editor")
    left = merge(town, leaver, name="left", resource_ids=[town.open_toilets["id"]])
    deleted = merge(town, gone, name="deleted", organizations=["t131083"])
    helpers.call_action("organization_member_delete",
                        context={"user": town.sysadmin["name"]}, id="t131016",
                        username=leaver["name"])
    helpers.call_action("user_delete", context={"user": town.sysadmin["name"]},
                        id=gone["name"])
    town.call("package_patch", town.provider_admin, id="koto-toilets", **SHARING)
    for result in (left, deleted):
        status = merging.remerge_job(result["merge"]["id"])
        name = result["dataset"]["name"]
        assert status["state"] == "error", name
        assert OPEN_CELL not in merged_text(name), name


CALLERS = ["anonymous", "stranger", "rejected", "expired", "grantee", "other_org_editor"]


def caller_of(town, kind: str) -> dict | None:
    if kind == "anonymous":
        return None
    if kind == "grantee":
        return town.other_admin
    user = factories.User()
    if kind == "rejected":
        request = town.request(user)
        town.call("tdpf_access_request_decide", town.provider_admin, id=request["id"],
                  decision="reject")
    elif kind == "expired":
        expire(town.grant(user)["grant"]["id"])
    elif kind == "other_org_editor":
        helpers.call_action("organization_member_create",
                            context={"user": town.sysadmin["name"]}, id="t131016",
                            username=user["name"], role="editor")
    return user


@pytest.mark.parametrize("kind", CALLERS)
def test_preparing_a_shared_file_is_refused_to_all_but_its_editors(town, app, kind):
    """データ整備 (preview and publish, with and without a standard) reads the file: only
    the dataset's editors may, a grantee included; the answer is that of a missing file."""
    caller = caller_of(town, kind)
    headers = token_for(caller) if caller else {}
    rid = town.shared_toilets["id"]
    for action, data in (("tdpf_prep_preview", {"resource_id": rid}),
                         ("tdpf_prep_preview", {"resource_id": rid,
                                                "standard": "public_toilet"}),
                         ("tdpf_prep_publish", {"resource_id": rid}),
                         ("tdpf_prep_publish", {"resource_id": rid,
                                                "standard": "public_toilet"})):
        response = app.post(f"/api/3/action/{action}", json=data, headers=headers,
                            status=None)
        body = response.get_data(as_text=True)
        assert response.status_code in (403, 409), (action, response.status_code)
        assert SHARED_CELL not in body and "公衆トイレ" not in body, (action,
                                                                      body[:300])
    page = app.get(f"/dataset/koto-care/resource/{rid}/prep", headers=headers, status=None,
                   follow_redirects=False)
    assert page.status_code in (302, 401, 403, 404), page.status_code
    assert SHARED_CELL not in page.get_data(as_text=True)
    assert len(helpers.call_action("package_show", id="koto-care")["resources"]) == 3
    # its editor prepares it (the refusals above are not a broken action)
    shown = town.call("tdpf_prep_preview", town.provider_editor, resource_id=rid)
    assert SHARED_CELL in json.dumps(shown, ensure_ascii=False)


def rate_as_standard(town) -> None:
    """A rating of the shared toilet list as 公衆トイレ一覧 whose conformance quotes a
    cell, then a save (an activity holding it; the index)."""
    from ckanext.tdpf.schema.model import ResourceRating

    model.Session.add(ResourceRating(
        resource_id=town.shared_toilets["id"], package_id=town.dataset["id"], stage=3,
        l1=100, l2=100, l3=90, checked_at=datetime.datetime.now(datetime.timezone.utc),
        findings=[], standard="public_toilet", conformance={
            "standard_id": "public_toilet", "layout": "new", "score": 71,
            "missing_required": [], "missing_recommended": [], "unknown_columns": [],
            "order_ok": True, "renamed": [], "conforms": False, "rows": 190,
            "identified_by": "file_name", "similarity": 1.0,
            "column_errors": [{"column": "電話番号", "header": "電話番号", "format": "phone",
                               "count": 1, "rows": [3], "examples": [QUOTED]}]}))
    model.Session.commit()
    helpers.call_action("package_patch", context={"user": town.sysadmin["name"]},
                        id=town.dataset["id"], notes="江東区の介護サービス（更新）")


def conformance_paths(town) -> dict[str, tuple[str, str, dict]]:
    rid = town.shared_toilets["id"]
    activity = helpers.call_action("package_activity_list", id=town.dataset["id"])[0]["id"]
    return {
        "package_show": ("api", "package_show", {"id": "koto-care"}),
        "package_search": ("api", "package_search", {"q": "*:*"}),
        "package_search fl": ("api", "package_search", {"fl": "id,validated_data_dict"}),
        "standard oracle": ("api", "package_search", {
            "fq": "vocab_tdpf_prep_standards:* AND name:koto-care", "rows": 0}),
        "resource_show": ("api", "resource_show", {"id": rid}),
        "activity_show": ("api", "activity_show", {"id": activity, "include_data": True}),
        "activity_data_show": ("api", "activity_data_show", {"id": activity}),
        "package_activity_list": ("api", "package_activity_list", {"id": "koto-care"}),
        "tdpf_prep_coverage": ("api", "tdpf_prep_coverage", {"standard": "public_toilet"}),
        "tdpf_prep_coverage all": ("api", "tdpf_prep_coverage", {}),
        "dataset page": ("page", "/dataset/koto-care", {}),
        "resource page": ("page", f"/dataset/koto-care/resource/{rid}", {}),
        "findings page": ("page", f"/dataset/koto-care/resource/{rid}/data-rate", {}),
        "standards page": ("page", "/standard", {}),
        "coverage page": ("page", "/standard/public_toilet", {}),
        "organization page": ("page", "/organization/t131083", {}),
        "DCAT dataset": ("page", "/dataset/koto-care.ttl", {}),
        "DCAT catalog": ("page", "/catalog.jsonld", {}),
        "feed": ("page", "/feeds/dataset.atom", {}),
    }


@pytest.mark.parametrize("kind", ["anonymous", "stranger", "rejected", "expired",
                                  "other_org_editor"])
def test_a_shared_files_conformance_and_standard_stay_with_those_entitled(town, app, kind):
    """The conformance quotes cells (「電話番号」 should be …: e.g. 「…」) and the standard
    is a fact read from the file's header: neither reaches a caller without access, on
    any path that shows ratings, nor does the coverage or organization page list it."""
    rate_as_standard(town)
    caller = caller_of(town, kind)
    headers = token_for(caller) if caller else {}
    problems = {}
    for name, (how, what, data) in conformance_paths(town).items():
        model.Session.remove()
        if how == "api":
            response = app.post(f"/api/3/action/{what}", json=data, headers=headers,
                                status=None)
        else:
            response = app.get(what, headers=headers, status=None)
        body = response.get_data(as_text=True)
        found = [secret for secret in (QUOTED, SHARED_CELL, SECRET_URL, "適合度 71",
                                       '"score": 71') if secret in body]
        if response.status_code != 200:
            found.append(f"status {response.status_code}")
        if name == "standard oracle" and response.status_code == 200 and \
                response.json["result"]["count"]:
            found.append("the count tells the shared file follows a standard")
        if name == "tdpf_prep_coverage" and "koto-care" in body:
            found.append("lists the shared dataset")
        if found:
            problems[name] = found
    assert problems == {}
    # those entitled see it (the checks above can fail)
    shown = town.call("package_show", town.other_admin, id="koto-care")
    rated = [r for r in shown["resources"] if r["id"] == town.shared_toilets["id"]][0]
    assert rated["tdpf_mr_standard"] == "public_toilet"
    assert QUOTED in json.dumps(rated["tdpf_mr_conformance"], ensure_ascii=False)


HOSTILE = [
    {"resource_ids": ["x"] * 10_000},
    {"resource_ids": "x " * 5_000},
    {"resource_ids": [{"id": "x"}]},
    {"resource_ids": 5},
    {"resource_ids": True},
    {"organizations": {"t131083": 1}},
    {"organizations": [["t131083"]]},
    {"standard": ["public_toilet"]},
    {"standard": {"id": "public_toilet"}},
    {"owner_org": ["t131016"]},
    {"owner_org": 131016},
    {"name": ["merged-toilets"]},
    {"name": "koto-care"},          # the shared dataset's name
    {"name": "koto-toilets"},       # an open dataset of another organization
    {"title": {"ja": "x"}},
    {"title": "x" * 100_000},
]


def test_hostile_merge_input_gets_field_errors_and_touches_nothing(town, app):
    headers = token_for(town.other_admin)
    before = helpers.call_action("package_show", id="koto-care")
    for data in HOSTILE:
        fields = {"standard": "public_toilet", "owner_org": "t131016",
                  "name": "merged-toilets", "resource_ids": [town.open_toilets["id"]]}
        fields.update(data)
        response = app.post("/api/3/action/tdpf_prep_merge", json=fields, headers=headers,
                            status=None)
        assert response.status_code == 409, (data, response.status_code,
                                             response.data[:300])
        error = response.json["error"]
        assert error["__type"] == "Validation Error" and set(error) - {"__type"}, data
        assert SECRET_URL not in response.get_data(as_text=True)
    # another organization as owner: refused, not a 5xx
    response = app.post("/api/3/action/tdpf_prep_merge", json={
        "standard": "public_toilet", "owner_org": "t131083", "name": "merged-toilets",
        "resource_ids": [town.open_toilets["id"]]}, headers=headers, status=None)
    assert response.status_code == 403
    assert model.Package.get("merged-toilets") is None
    after = helpers.call_action("package_show", id="koto-care")
    assert after["metadata_modified"] == before["metadata_modified"]
    assert helpers.call_action("package_show", id="koto-toilets")["num_resources"] == 1


def test_a_prepared_shared_files_titles_and_columns_stay_out_of_its_description(town, app):
    """Publishing a prepared (or converted) table of a shared dataset makes a resource whose
    name and description everyone sees: the file's titles, notes and column names, which
    データ整備 moves out of the table, must not be put there."""
    title, column = "機密タイトル行9a7b", "機密列3f6e"
    content = f"{title}\n\n名称,{column}\n万年橋公衆便所,2\n".encode()
    source = upload(town, town.provider_editor, town.dataset["id"], content, "notes.csv")
    converted = upload(town, town.provider_editor, town.dataset["id"],
                       toilets(SHARED_CELL).replace(b"\xe5\x82\x99\xe8\x80\x83",  # 備考
                                                    column.encode()), "toilets.csv")
    town.call("tdpf_prep_publish", town.provider_editor, resource_id=source["id"])
    town.call("tdpf_prep_publish", town.provider_editor, resource_id=converted["id"],
              standard="public_toilet")
    shown = json.dumps(helpers.call_action("package_show", context={"user": ""},
                                           id="koto-care"), ensure_ascii=False)
    assert shown.count("tdpf_access") >= 6  # the new resources are shown, redacted
    assert title not in shown and column not in shown
    page = app.get("/dataset/koto-care", status=None).get_data(as_text=True)
    assert title not in page and column not in page


PREP_HOSTILE = [{"resource_id": value} for value in
                (["x"], {"id": "x"}, 5, True, None, "", "x" * 100_000, "koto-care")] + [
    {"resource_id": "RID", "sheet": ["a"]}, {"resource_id": "RID", "sheet": {"a": 1}},
    {"resource_id": "RID", "standard": ["public_toilet"]},
    {"resource_id": "RID", "standard": "../../etc/passwd"},
    {"resource_id": "RID", "table": {"x": 1}}, {"resource_id": "RID", "name": ["x"]},
    {"id": ["x"]}, {"id": {"x": 1}}, {"id": 5}, {"standard": ["aed"]}, {"standard": 5}]


def test_hostile_prep_input_gets_field_errors_never_a_5xx(town, app):
    """The prep actions with wrong types and odd values, by the shared dataset's own
    editor (who passes every check but the input's): 409 naming a field, or 403, never a
    5xx; nothing published."""
    headers = token_for(town.provider_editor)
    rid = town.shared_toilets["id"]
    for data in PREP_HOSTILE:
        data = {key: rid if value == "RID" else value for key, value in data.items()}
        for action in ("tdpf_prep_preview", "tdpf_prep_publish", "tdpf_prep_merge_show",
                       "tdpf_prep_merge_list", "tdpf_prep_coverage"):
            if action == "tdpf_prep_publish" and "sheet" in data:
                continue  # (publish has no sheet: a valid call)
            response = app.post(f"/api/3/action/{action}", json=data, headers=headers,
                                status=None)
            assert response.status_code in (200, 403, 409), (action, data,
                                                              response.status_code)
            if response.status_code == 409:
                error = response.json["error"]
                assert error["__type"] == "Validation Error" and set(error) - {"__type"}
    assert len(helpers.call_action("package_show", id="koto-care")["resources"]) == 3
