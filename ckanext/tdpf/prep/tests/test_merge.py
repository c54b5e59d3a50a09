"""One standard dataset across municipalities (tdpf_prep_merge) on the deployed stack:
Tokyo's public-toilet lists of Shibuya (old layout with local columns) and Koto (new
layout), uploaded by their own organizations, merged by the metropolitan government into
one file of the 39 columns of 公衆トイレ一覧; every row traceable; re-merged by a real job
when a source changes; field errors for what cannot be merged."""
from __future__ import annotations

import csv
import io
import os
import pathlib
import subprocess
import sys
import unicodedata

import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.lib import uploader
from ckan.tests import factories, helpers

from ckanext.tdpf.access.tests.conftest import PLUGINS, SECRET_URL, shared_dataset
from ckanext.tdpf.lib import standards, vocabularies
from ckanext.tdpf.prep import engine
from ckanext.tdpf.prep import merge as merging
from ckanext.tdpf.prep.model import Merge
from ckanext.tdpf.tests.db import migrate_mapped_harvest

from .conftest import DATAFILES

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS + " tdpf_prep"),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_queues"),
]
SHIBUYA = DATAFILES / "tokyo-shibuya_131130_public_toilet.csv"
KOTO = DATAFILES / "tokyo-koto_131083_public_toilet.TRANSCODED.csv"
AED = DATAFILES / "shizuoka-yaizu_222127_aed.csv"
TOILET = standards.get("public_toilet")


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_db()
    for plugin in ("activity", "tdpf_schema", "tdpf_access", "tdpf_prep"):
        migrate_db_for(plugin)
    migrate_mapped_harvest()


def call(action: str, user: dict | None, **data):
    return helpers.call_action(action, context={"user": user["name"] if user else "",
                                                "ignore_auth": False}, **data)


def upload(user: dict, package_id: str, content: bytes, filename: str, **fields) -> dict:
    with io.BytesIO(content) as stream:
        return call("resource_create", user, package_id=package_id, name=filename, url="",
                    upload=FileStorage(stream, filename=filename), **fields)


class Tokyo:
    """東京都 (holds the merged dataset) and two wards publishing their toilet lists."""

    def __init__(self) -> None:
        self.sysadmin = factories.Sysadmin()
        self.metro = factories.User(name="metro_editor")
        self.shibuya_staff = factories.User(name="shibuya_staff")
        self.koto_staff = factories.User(name="koto_staff")
        self.outsider = factories.User(name="outsider")
        for name, title, code, staff, kind in (
                ("t130001", "東京都", "130001", "metro_editor", "metropolitan_government"),
                ("t131130", "渋谷区", "131130", "shibuya_staff", "municipality"),
                ("t131083", "江東区", "131083", "koto_staff", "municipality")):
            helpers.call_action(
                "organization_create", context={"user": self.sysadmin["name"]}, name=name,
                title=title, tdpf_provider_type=kind, municipality_code=code,
                tdpf_verified=True, users=[{"name": staff, "capacity": "editor"}])
        self.shibuya_dataset = call("package_create", self.shibuya_staff,
                                    name="shibuya-toilets", title="渋谷区 公衆トイレ一覧",
                                    owner_org="t131130", tdpf_theme=["daily_life"])
        self.koto_dataset = call("package_create", self.koto_staff, name="koto-toilets",
                                 title="江東区 公衆トイレ一覧", owner_org="t131083",
                                 tdpf_theme=["daily_life"])
        self.shibuya = upload(self.shibuya_staff, self.shibuya_dataset["id"],
                              SHIBUYA.read_bytes(), "131130_public_toilet.csv")
        self.koto = upload(self.koto_staff, self.koto_dataset["id"], KOTO.read_bytes(),
                           "131083_public_toilet.csv")

    def merge(self, user: dict | None | str = "metro", **data) -> dict:
        fields = {"standard": "public_toilet", "owner_org": "t130001",
                  "name": "tokyo-public-toilets"}
        fields.update(data)
        return call("tdpf_prep_merge", self.metro if user == "metro" else user, **fields)


@pytest.fixture
def tokyo() -> Tokyo:
    return Tokyo()


def read_csv(resource_id: str) -> list[list[str]]:
    resource = model.Resource.get(resource_id)
    path = uploader.get_resource_uploader({"id": resource.id, "url_type": "upload",
                                           "url": resource.url}).get_path(resource.id)
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def merged_files(result_or_name) -> tuple[list[str], list[list[str]], list[dict[str, str]]]:
    name = result_or_name if isinstance(result_or_name, str) else \
        result_or_name["dataset"]["name"]
    merge = Merge.for_package(model.Package.get(name).id)
    header, *rows = read_csv(merge.merged_resource_id)
    trace_header, *trace = read_csv(merge.trace_resource_id)
    return header, rows, [dict(zip(trace_header, row)) for row in trace]


def source_table(path: pathlib.Path) -> engine.PreparedTable:
    (table,) = engine.prepare(path.read_bytes()).tables
    return table


def jobs_queued() -> list[str]:
    return [job["title"] for job in helpers.call_action("job_list")]


def test_two_wards_in_two_layouts_become_one_standard_file(tokyo):
    result = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]],
                         title="東京都 公衆トイレ一覧（区市町村統合）")
    assert result["written"]
    dataset = result["dataset"]
    assert dataset["owner_org"] == model.Group.get("t130001").id
    assert dataset["title"] == "東京都 公衆トイレ一覧（区市町村統合）"
    assert len(dataset["resources"]) == 2
    header, rows, trace = merged_files(result)

    # exactly the standard's 39 columns, in order
    assert header == [column.name for column in TOILET.columns] and len(header) == 39
    assert header[0] == "全国地方公共団体コード" and header[-1] == "備考"

    # every source row once: the row count is the sum of the sources' rows
    sources = {tokyo.shibuya["id"]: source_table(SHIBUYA), tokyo.koto["id"]: source_table(KOTO)}
    assert len(rows) == sum(t.row_count for t in sources.values()) == 82 + 191
    assert all(len(row) == 39 for row in rows)

    # traceability: every merged row names its source resource and row, each source row
    # once; the code is its municipality's
    assert [int(t["統合後の行"]) for t in trace] == list(range(1, len(rows) + 1))
    codes = {tokyo.shibuya["id"]: "131130", tokyo.koto["id"]: "131083"}
    seen = {resource_id: [] for resource_id in sources}
    for row, traced in zip(rows, trace):
        resource_id = traced["出典リソースID"]
        assert row[0] == traced["全国地方公共団体コード"] == codes[resource_id]
        assert traced["出典データセット"] == model.Resource.get(resource_id).package.name
        seen[resource_id].append(int(traced["出典行"]))
    for resource_id, table in sources.items():
        assert sorted(seen[resource_id]) == list(range(1, table.row_count + 1))

    # no source cell lost: each non-empty cell of a source row is in its merged row, as
    # it was or as the standard writes it (a mapped column filled), or in 備考
    converted = {rid: merging._convert(t.header, t.rows, TOILET, merging.publisher_of(
        codes[rid], {})) for rid, t in sources.items()}
    for row, traced in zip(rows, trace):
        resource_id = traced["出典リソースID"]
        table = sources[resource_id]
        targets = {m["source"]: m["target"] for m in converted[resource_id].mapping
                   if m["source"]}
        source_row = table.rows[int(traced["出典行"]) - 1]
        # the trace points at the very row: its name is the merged row's
        assert unicodedata.normalize("NFKC", source_row[table.header.index("名称")]).strip() \
            == unicodedata.normalize("NFKC", row[header.index("名称")])
        joined = "\n".join(row)
        for column, value in zip(table.header, source_row):
            value = value.strip()
            if not value:
                continue
            target = targets.get(column)
            assert value in joined or (target and row[header.index(target)]), \
                (column, value, resource_id, traced["出典行"])

    # the status: per source its rows, the merged file's conformance
    status = call("tdpf_prep_merge_show", None, id=dataset["name"])
    assert status["state"] == "done" and status["row_count"] == len(rows)
    assert {s["resource_id"]: s["rows"] for s in status["sources"]} == {
        rid: t.row_count for rid, t in sources.items()}
    assert {s["lgcode"] for s in status["sources"]} == {"131130", "131083"}
    assert status["conformance"]["score"] >= 0 and status["last_merged"]
    # sources ordered by municipality code: Koto's (131083) rows first
    assert rows[0][0] == "131083" and rows[-1][0] == "131130"


def test_merging_again_writes_nothing_new(tokyo):
    first = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
    before = merged_files(first)
    ids = [r["id"] for r in first["dataset"]["resources"]]
    again = tokyo.merge(resource_ids=[tokyo.koto["id"], tokyo.shibuya["id"]])
    assert not again["written"]
    assert [r["id"] for r in again["dataset"]["resources"]] == ids
    assert merged_files(again) == before
    result = merging.remerge_job(again["merge"]["id"])
    assert result["row_count"] == len(before[1])
    shown = helpers.call_action("package_show", id=first["dataset"]["id"])
    assert [r["id"] for r in shown["resources"]] == ids
    # merged again whenever a source changes: 随時 (its metadata complete for stage 4)
    assert shown["update_frequency"] == "continuous"


def run_worker(tmp_path: pathlib.Path) -> None:
    """A real CKAN job worker, in its own process, on this test's configuration."""
    from ckan.common import config
    ini = tmp_path / "worker.ini"
    ini.write_text("[app:main]\n"
                   f"use = config:{config['__file__']}\n"
                   f"ckan.plugins = {PLUGINS} tdpf_prep\n"
                   "ckanext.tdpf.schema.rating.enabled = false\n")
    worker = subprocess.run(
        [str(pathlib.Path(sys.executable).with_name("ckan")), "-c", str(ini), "jobs",
         "worker", "--burst"], env=os.environ.copy(), capture_output=True, text=True,
        timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]


def test_a_changed_source_is_merged_again_by_a_job_only_its_rows_change(tokyo, tmp_path):
    result = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
    header, rows, trace = merged_files(result)
    assert not [t for t in jobs_queued() if t.startswith("tdpf merge")]

    # Shibuya renames its first toilet and drops its last row
    lines = SHIBUYA.read_text(encoding="utf-8").splitlines()
    assert "表参道公衆便所" in lines[1]
    changed = [lines[0], lines[1].replace("表参道公衆便所", "表参道公衆トイレ")] + lines[2:-1]
    with io.BytesIO(("\r\n".join(changed) + "\r\n").encode("utf-8")) as stream:
        call("resource_update", tokyo.shibuya_staff, id=tokyo.shibuya["id"], url="",
             name="131130_public_toilet.csv",
             upload=FileStorage(stream, filename="131130_public_toilet.csv"))
    assert "tdpf merge tokyo-public-toilets" in jobs_queued()
    run_worker(tmp_path)
    model.Session.remove()

    header2, rows2, trace2 = merged_files("tokyo-public-toilets")
    koto_rows = [r for r in rows if r[0] == "131083"]
    assert [r for r in rows2 if r[0] == "131083"] == koto_rows  # untouched
    shibuya_before = [r for r in rows if r[0] == "131130"]
    shibuya_after = [r for r in rows2 if r[0] == "131130"]
    assert len(shibuya_after) == len(shibuya_before) - 1 and len(rows2) == len(rows) - 1
    name_at = header.index("名称")
    assert shibuya_after[0][name_at] == "表参道公衆トイレ"
    assert shibuya_before[0][name_at] == "表参道公衆便所"
    assert shibuya_after[1:] == shibuya_before[1:-1]
    assert len(trace2) == len(rows2)
    resources = helpers.call_action("package_show", id="tokyo-public-toilets")["resources"]
    assert len(resources) == 2


def test_a_deleted_source_loses_its_rows(tokyo):
    result = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
    call("resource_delete", tokyo.koto_staff, id=tokyo.koto["id"])
    assert "tdpf merge tokyo-public-toilets" in jobs_queued()
    assert call("tdpf_prep_merge_show", None, id="tokyo-public-toilets")["state"] == "queued"
    merging.remerge_job(result["merge"]["id"])
    header, rows, trace = merged_files("tokyo-public-toilets")
    assert len(rows) == 82 and {r[0] for r in rows} == {"131130"}
    assert {t["出典リソースID"] for t in trace} == {tokyo.shibuya["id"]}
    status = call("tdpf_prep_merge_show", None, id="tokyo-public-toilets")
    (removed,) = [s for s in status["sources"] if s["resource_id"] == tokyo.koto["id"]]
    assert removed["rows"] == 0 and removed["error"]["code"] == "removed"
    assert removed["lgcode"] == "131083" and removed["package_name"] == "koto-toilets"
    assert status["state"] == "done" and status["row_count"] == 82


def test_an_organizations_new_files_join_on_the_next_merge(tokyo):
    result = tokyo.merge(organizations="t131130,t131083")
    assert result["merge"]["row_count"] == 82 + 191
    # Koto publishes a second list (its first rows) in a new dataset: queued, merged
    more = call("package_create", tokyo.koto_staff, name="koto-park-toilets",
                title="江東区 公園トイレ", owner_org="t131083", tdpf_theme=["daily_life"])
    part = "\n".join(KOTO.read_text(encoding="utf-8").splitlines()[:6]) + "\n"
    extra = upload(tokyo.koto_staff, more["id"], part.encode("utf-8"),
                   "park-toilets.csv")  # not named by the rule, not rated: its header tells
    assert "tdpf merge tokyo-public-toilets" in jobs_queued()
    merging.remerge_job(result["merge"]["id"])
    status = call("tdpf_prep_merge_show", None, id="tokyo-public-toilets")
    assert status["row_count"] == 82 + 191 + 5
    assert extra["id"] in {s["resource_id"] for s in status["sources"]}
    # an AED list of the same organization is not a toilet list: left out
    upload(tokyo.koto_staff, more["id"], AED.read_bytes(), "131083_aed.csv")
    merging.remerge_job(result["merge"]["id"])
    assert call("tdpf_prep_merge_show", None, id="tokyo-public-toilets")["row_count"] == \
        82 + 191 + 5


def field_error(excinfo, field: str) -> str:
    errors = excinfo.value.error_dict
    assert list(errors) == [field], errors
    return " ".join(errors[field])


def test_bad_inputs_are_field_errors_and_nothing_is_written(tokyo):
    def refused(field: str, **data) -> str:
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            tokyo.merge(**data)
        return field_error(excinfo, field)

    assert "public_toilet" in refused("standard", standard="toilets",
                                      resource_ids=[tokyo.shibuya["id"]])
    message = refused("resource_ids")
    assert "resource_ids" in message and "organizations" in message
    refused("organizations", organizations=["no-such-org"])
    refused("owner_org", owner_org="no-such-org", resource_ids=[tokyo.shibuya["id"]])
    refused("name", name="Bad Name!", resource_ids=[tokyo.shibuya["id"]])
    # a file that is not a toilet list: named in the error
    aed = upload(tokyo.koto_staff, tokyo.koto_dataset["id"], AED.read_bytes(), "aed.csv")
    message = refused("resource_ids", resource_ids=[tokyo.shibuya["id"], aed["id"]])
    assert aed["id"] in message and "公衆トイレ一覧" in message and tokyo.shibuya["id"] \
        not in message
    # a missing file and a shared file the caller may not read: the same answer
    helpers.call_action("package_create", context={"user": tokyo.sysadmin["name"]},
                        **shared_dataset(owner_org="t131083"))
    shared = helpers.call_action("package_show", id="koto-care")["resources"][0]
    missing = refused("resource_ids", resource_ids=["no-such-resource"])
    secret = refused("resource_ids", resource_ids=[shared["id"]])
    assert missing.replace("no-such-resource", "ID") == secret.replace(shared["id"], "ID")
    assert SECRET_URL not in secret
    # shared data is not merged into an open dataset even by its own editors, nor a
    # private dataset's file
    with pytest.raises(helpers.logic.ValidationError) as excinfo:
        tokyo.merge(tokyo.koto_staff, owner_org="t131083", name="koto-merged",
                    resource_ids=[shared["id"]])
    assert "シェアードデータ" in field_error(excinfo, "resource_ids") or \
        "shared data" in field_error(excinfo, "resource_ids")
    private = call("package_create", tokyo.koto_staff, name="koto-draft", private=True,
                   title="江東区 公衆トイレ（作業中）", owner_org="t131083",
                   tdpf_theme=["daily_life"])
    draft = upload(tokyo.koto_staff, private["id"], KOTO.read_bytes(),
                   "131083_public_toilet.csv")
    with pytest.raises(helpers.logic.ValidationError) as excinfo:
        tokyo.merge(tokyo.koto_staff, owner_org="t131083", name="koto-merged",
                    resource_ids=[draft["id"]])
    assert "private" in field_error(excinfo, "resource_ids") or \
        "非公開" in field_error(excinfo, "resource_ids")
    # an existing dataset that is not a merged one is not overwritten
    refused("name", name="shibuya-toilets", resource_ids=[tokyo.koto["id"]])
    assert model.Package.get("tokyo-public-toilets") is None
    assert model.Session.query(Merge).count() == 0
    # with organizations, such files are left out
    assert tokyo.merge(tokyo.koto_staff, owner_org="t131083", name="koto-merged",
                       organizations=["t131083"])["merge"]["row_count"] == 191


def test_only_editors_of_the_owner_organization_merge(tokyo):
    for user in (tokyo.outsider, tokyo.shibuya_staff, None):
        with pytest.raises(helpers.logic.NotAuthorized):
            tokyo.merge(user, resource_ids=[tokyo.shibuya["id"]])
    assert model.Package.get("tokyo-public-toilets") is None
    result = tokyo.merge(tokyo.sysadmin, resource_ids=[tokyo.shibuya["id"]])
    assert result["merge"]["row_count"] == 82
    # the ward's editor may merge into their own organization
    own = tokyo.merge(tokyo.shibuya_staff, owner_org="t131130", name="shibuya-merged",
                      resource_ids=[tokyo.shibuya["id"]])
    assert own["merge"]["row_count"] == 82
    # and the metropolitan editor may not update another organization's merged dataset
    with pytest.raises((helpers.logic.NotAuthorized, helpers.logic.ValidationError)):
        tokyo.merge(owner_org="t130001", name="shibuya-merged",
                    resource_ids=[tokyo.koto["id"]])


def test_the_command_line_merges_and_merges_again(cli, tokyo):
    from ckanext.tdpf.prep.cli import tdpf_prep

    result = cli.invoke(tdpf_prep, [
        "merge", "public_toilet", "tokyo-toilets-cli", "--owner-org", "t130001",
        "--resource", tokyo.shibuya["id"], "--resource", tokyo.koto["id"],
        "--user", "metro_editor"])
    assert result.exit_code == 0, result.output
    assert "tokyo-toilets-cli (written)" in result.output
    assert f"131130 {tokyo.shibuya['id']} 渋谷区: 82 rows" in result.output
    again = cli.invoke(tdpf_prep, ["remerge", "tokyo-toilets-cli"])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("done: 273 rows")
    assert len(merged_files("tokyo-toilets-cli")[1]) == 273
    queued = cli.invoke(tdpf_prep, ["remerge", "tokyo-toilets-cli", "--queue"])
    assert queued.exit_code == 0 and "tdpf merge tokyo-toilets-cli" in jobs_queued()
    refused = cli.invoke(tdpf_prep, ["merge", "toilets", "x-merged", "--owner-org",
                                     "t130001", "--resource", tokyo.koto["id"]])
    assert refused.exit_code != 0 and "standard" in refused.output
    assert cli.invoke(tdpf_prep, ["remerge", "koto-toilets"]).exit_code != 0


def test_the_file_name_gives_the_code_when_the_organization_has_none(tokyo):
    """Files of several municipalities uploaded by one organization without a code (or by
    the prefecture): each file's name by the standard's rule says whose rows they are."""
    helpers.call_action("organization_create", context={"user": tokyo.sysadmin["name"]},
                        name="collector", title="収集担当", tdpf_provider_type="public_agency",
                        users=[{"name": "metro_editor", "capacity": "editor"}])
    dataset = call("package_create", tokyo.metro, name="collected-toilets",
                   title="集めた公衆トイレ一覧", owner_org="collector", tdpf_theme=["daily_life"])
    metro = call("package_create", tokyo.metro, name="metro-toilets",
                 title="都が集めた公衆トイレ一覧", owner_org="t130001", tdpf_theme=["daily_life"])
    # Shibuya's old layout has its code in every row; Koto's rows lose theirs
    koto_lines = KOTO.read_text(encoding="utf-8").splitlines()
    no_codes = "\n".join([koto_lines[0]] + [",".join(['""'] + line.split(",")[1:])
                                           for line in koto_lines[1:]]) + "\n"
    shibuya = upload(tokyo.metro, dataset["id"], SHIBUYA.read_bytes(),
                     "131130_public_toilet.csv")
    koto = upload(tokyo.metro, metro["id"], no_codes.encode("utf-8"),
                  "131083_public_toilet.csv")
    result = tokyo.merge(resource_ids=[shibuya["id"], koto["id"]], name="collected-merged")
    assert {s["resource_id"]: s["lgcode"] for s in result["merge"]["sources"]} == {
        shibuya["id"]: "131130", koto["id"]: "131083"}
    header, rows, trace = merged_files(result)
    assert len(rows) == 82 + 191
    assert {r[0] for r in rows} == {"131130", "131083"}
    name_at = header.index("地方公共団体名")
    assert {r[name_at] for r in rows if r[0] == "131083"} == {"東京都江東区"}


def test_aed_lists_of_three_layouts_merge_too():
    """AED lists in the new layout (Ichikawa), the old one (Yaizu) and a local workbook
    with English keys (Takamatsu)."""
    sysadmin = factories.Sysadmin()
    editor = factories.User()
    files = {"122033": ("市川市", "chiba-ichikawa_122033_108_aed.csv"),
             "222127": ("焼津市", "shizuoka-yaizu_222127_aed.csv"),
             "372013": ("高松市", "kagawa-takamatsu_aed_location.xlsx")}
    resources = {}
    for code, (title, file) in files.items():
        helpers.call_action("organization_create", context={"user": sysadmin["name"]},
                            name=f"t{code}", title=title, tdpf_provider_type="municipality",
                            municipality_code=code,
                            users=[{"name": editor["name"], "capacity": "editor"}])
        dataset = call("package_create", editor, name=f"aed-{code}", title=f"{title} AED",
                       owner_org=f"t{code}", tdpf_theme=["medical_welfare"])
        resources[code] = upload(editor, dataset["id"], (DATAFILES / file).read_bytes(),
                                 file)["id"]
    result = call("tdpf_prep_merge", editor, standard="aed", owner_org="t122033",
                  name="aed-merged", resource_ids=list(resources.values()))
    header, rows, trace = merged_files(result)
    assert header == [column.name for column in standards.get("aed").columns]
    counts = {code: source_table(DATAFILES / file).row_count
              for code, (_, file) in files.items()}
    assert len(rows) == sum(counts.values())
    by_code = {}
    for row, traced in zip(rows, trace):
        assert row[0] == traced["全国地方公共団体コード"]
        by_code.setdefault(row[0], 0)
        by_code[row[0]] += 1
    assert by_code == counts


HOSTILE = [
    {"standard": ["public_toilet"], "owner_org": "t130001", "name": "x-merged"},
    {"standard": "public_toilet", "owner_org": ["t130001"], "name": "x-merged",
     "resource_ids": "a"},
    {"standard": "public_toilet", "owner_org": "t130001", "name": 5, "resource_ids": ["a"]},
    {"standard": "public_toilet", "owner_org": "t130001", "name": "x-merged",
     "resource_ids": {"a": 1}},
    {"standard": "public_toilet", "owner_org": "t130001", "name": "x-merged",
     "organizations": [None, 3]},
    {"standard": "public_toilet", "owner_org": "t130001", "name": "x-merged",
     "resource_ids": ["x" * 5000]},
    {"standard": None, "owner_org": None, "name": None},
    {"id": ["x"], "standard": {"a": "b"}},
    {},
]


def test_hostile_input_over_the_api_is_a_field_error_never_a_5xx(app, tokyo):
    from ckanext.tdpf.access.tests.conftest import token_for

    headers = token_for(tokyo.metro)
    for data in HOSTILE:
        for action in ("tdpf_prep_merge", "tdpf_prep_merge_show", "tdpf_prep_coverage"):
            response = app.post(f"/api/3/action/{action}", json=data, headers=headers,
                                status=None)
            assert response.status_code in (200, 409), (action, data, response.data[:300])
            if response.status_code == 409:
                assert response.json["error"]["__type"] == "Validation Error"
    assert model.Package.get("x-merged") is None


def test_a_deleted_merged_dataset_is_not_merged_again(tokyo):
    result = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
    helpers.call_action("package_delete", context={"user": tokyo.sysadmin["name"]},
                        id=result["dataset"]["id"])
    call("package_patch", tokyo.koto_staff, id=tokyo.koto_dataset["id"], notes="更新")
    assert not [t for t in jobs_queued() if t.startswith("tdpf merge")]
    assert merging.remerge_job(result["merge"]["id"]) is None
    helpers.call_action("dataset_purge", context={"user": tokyo.sysadmin["name"]},
                        id=result["dataset"]["id"])
    call("package_patch", tokyo.koto_staff, id=tokyo.koto_dataset["id"], notes="再更新")
    assert not [t for t in jobs_queued() if t.startswith("tdpf merge")]
    # the name is free again for a new merge
    again = tokyo.merge(resource_ids=[tokyo.koto["id"]])
    assert again["merge"]["row_count"] == 191 and again["written"]


def test_the_job_merges_as_the_user_who_set_it_up(app, tokyo):
    """Their access still applies: once they left the organization, the re-merge is
    refused and says so; the merged files stay as they were."""
    result = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
    before = merged_files(result)
    helpers.call_action("organization_member_delete",
                        context={"user": tokyo.sysadmin["name"]}, id="t130001",
                        username="metro_editor")
    call("resource_delete", tokyo.koto_staff, id=tokyo.koto["id"])
    status = merging.remerge_job(result["merge"]["id"])
    assert status["state"] == "error" and status["errors"][0]["code"] == "refused"
    assert merged_files(result) == before
    page = app.get("/dataset/tokyo-public-toilets")
    assert "tdpf-merge-error" in page.get_data(as_text=True)


def test_every_table_of_the_standard_in_a_workbook_is_merged(tokyo):
    """A workbook with a sheet per area, each a toilet list: every sheet's rows, the trace
    naming the sheet."""
    import openpyxl

    table = source_table(KOTO)
    book = openpyxl.Workbook()
    for sheet_name, rows in (("北部", table.rows[:100]), ("南部", table.rows[100:])):
        sheet = book.create_sheet(sheet_name)
        sheet.append(table.header)
        for row in rows:
            sheet.append(row)
    notes = book.create_sheet("注記")  # named by the rule too, but not a toilet list
    notes.append(["項目", "内容"])
    notes.append(["更新日", "2026-04-01"])
    notes.append(["問合せ", "江東区 土木部"])
    book.remove(book["Sheet"])
    out = io.BytesIO()
    book.save(out)
    workbook = upload(tokyo.koto_staff, tokyo.koto_dataset["id"], out.getvalue(),
                      "131083_public_toilet.xlsx")
    result = tokyo.merge(resource_ids=[workbook["id"]])
    header, rows, trace = merged_files(result)
    assert len(rows) == table.row_count == 191
    assert [t["出典テーブル"] for t in trace] == ["北部"] * 100 + ["南部"] * 91
    assert [int(t["出典行"]) for t in trace] == list(range(1, 101)) + list(range(1, 92))
    (source,) = result["merge"]["sources"]
    assert source["table"] == "北部, 南部" and source["rows"] == 191


@pytest.mark.parametrize("licences, merged", [
    (["CC-BY-4.0", "CC-BY-4.0"], "CC-BY-4.0"),
    (["CC0-1.0", "CC0-1.0"], "CC0-1.0"),                    # one licence: kept as it is
    (["GSTOU-2.0", "PDL-1.0", "CC0-1.0"], "CC-BY-4.0"),     # attribution only
    (["CC-BY-4.0", "CC-BY-SA-4.0"], "CC-BY-SA-4.0"),        # share-alike carries over
    (["CC-BY-4.0", "CC-BY-NC-4.0"], "CC-BY-NC-4.0"),        # so does non-commercial
    (["CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"], "CC-BY-NC-SA-4.0"),
    (["CC-BY-4.0", "ODbL-1.0"], "ODbL-1.0"),
    (["CC-BY-SA-4.0", "ODbL-1.0"], None),                   # two share-alike licences
    (["CC-BY-SA-4.0", "CC-BY-NC-4.0"], None),
    (["CC-BY-4.0", "CC-BY-ND-4.0"], None),                  # no derivatives
    (["own-terms"], None), (["tdpf-shared"], None), ([], None),
])
def test_the_merged_licence_keeps_every_sources_terms(licences, merged):
    assert merging.merged_licence(licences) == merged


def test_sources_licences_decide_the_merged_licence_or_refuse_it(tokyo):
    """A no-derivatives file or one under its provider's own terms is refused, naming the
    licence; share-alike terms carry over to the merged dataset, and a source whose licence
    cannot join the others' is refused by the job, its rows left out."""
    for licence in ("CC-BY-ND-4.0", "own-terms"):
        call("package_patch", tokyo.koto_staff, id=tokyo.koto_dataset["id"],
             license_id=licence)
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
        message = field_error(excinfo, "resource_ids")
        assert tokyo.koto["id"] in message and "ライセンス" in message and "licence" in message
        assert vocabularies.LICENSE_TITLES[licence][0] in message
        assert model.Package.get("tokyo-public-toilets") is None

    call("package_patch", tokyo.koto_staff, id=tokyo.koto_dataset["id"],
         license_id="CC-BY-SA-4.0")
    result = tokyo.merge(resource_ids=[tokyo.shibuya["id"], tokyo.koto["id"]])
    assert result["dataset"]["license_id"] == "CC-BY-SA-4.0"
    assert {s["license_id"] for s in result["merge"]["sources"]} == {"CC-BY-4.0",
                                                                     "CC-BY-SA-4.0"}
    # the provider may choose stricter terms that still keep the sources': they stay
    call("package_patch", tokyo.metro, id="tokyo-public-toilets",
         license_id="CC-BY-NC-SA-4.0")
    # Shibuya moves to a non-commercial licence, which share-alike cannot take in
    call("package_patch", tokyo.shibuya_staff, id=tokyo.shibuya_dataset["id"],
         license_id="CC-BY-NC-4.0")
    merging.remerge_job(result["merge"]["id"])
    status = call("tdpf_prep_merge_show", None, id="tokyo-public-toilets")
    (refused,) = status["errors"]
    assert refused["code"] == "licence_conflict" and status["state"] == "error"
    assert refused["resource_id"] == tokyo.koto["id"]  # Shibuya's came first
    assert status["row_count"] == 82
    assert helpers.call_action("package_show", id="tokyo-public-toilets")["license_id"] == \
        "CC-BY-NC-SA-4.0"  # it keeps Shibuya's non-commercial terms: not changed
    # back to one licence: both merged, and a licence that does not keep them is put right
    call("package_patch", tokyo.koto_staff, id=tokyo.koto_dataset["id"],
         license_id="CC-BY-NC-4.0")
    call("package_patch", tokyo.metro, id="tokyo-public-toilets", license_id="CC-BY-4.0")
    merging.remerge_job(result["merge"]["id"])
    status = call("tdpf_prep_merge_show", None, id="tokyo-public-toilets")
    assert status["state"] == "done" and status["row_count"] == 82 + 191
    assert helpers.call_action("package_show", id="tokyo-public-toilets")["license_id"] == \
        "CC-BY-NC-4.0"
