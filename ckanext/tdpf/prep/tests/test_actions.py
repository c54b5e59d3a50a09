"""tdpf_prep_preview and tdpf_prep_publish alone (CKAN's own dataset schema): who may call
them, what they return, and field errors for what cannot be prepared."""
from __future__ import annotations

import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.tdpf.prep import engine

from .conftest import DATAFILES, scanned_pdf

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "tdpf_prep"),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]
KOBE_XLS = "hyogo-kobe_jinkou2708_estimated_population.xls"


def call(action: str, user: dict | None, **data):
    context = {"user": user["name"] if user else "", "ignore_auth": False}
    return helpers.call_action(action, context=context, **data)


def uploaded(user: dict, dataset: dict, content: bytes, filename: str) -> dict:
    with io.BytesIO(content) as stream:
        return call("resource_create", user, package_id=dataset["id"], name=filename, url="",
                    upload=FileStorage(stream, filename=filename))


@pytest.fixture
def world():
    class World:
        editor = factories.User()
        outsider = factories.User()
        org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
        dataset = factories.Dataset(owner_org=org["id"])
    world = World()
    world.xls = uploaded(world.editor, world.dataset, (DATAFILES / KOBE_XLS).read_bytes(),
                         "jinkou2708.xls")
    return world


def field_error(excinfo, field: str) -> str:
    errors = excinfo.value.error_dict
    assert list(errors) == [field], errors
    return errors[field][0]  # 「日本語 / English」 (English alone until the catalog has it)


class TestPreview:
    def test_editors_see_the_tables_changes_and_ratings(self, world):
        result = call("tdpf_prep_preview", world.editor, resource_id=world.xls["id"])
        first, second = result["tables"]
        assert first["name"] == "毎月人口ＨＰ" and second["name"] == "毎月人口ＨＰ (2)"
        assert first["row_count"] == 22 and len(first["rows"]) == 20
        assert first["rows"][0][0] == "2011"
        assert first["rating_before"] == {"stage": 2, "L1": 0, "L2": 0, "L3": 0}
        assert first["rating_after"]["stage"] == 3 and first["rating_after"]["L1"] == 100
        assert {"rule", "where", "what"} <= set(first["changes"][0])
        assert any(c["rule"] == "L3-05" and c["where"] == "毎月人口ＨＰ!A10:A16"
                   for c in first["changes"])

    def test_one_sheet(self, world):
        path = DATAFILES / "hyogo-kobe_20160501_school_basic_survey.xlsx"
        resource = uploaded(world.editor, world.dataset, path.read_bytes(), "school.xlsx")
        result = call("tdpf_prep_preview", world.editor, resource_id=resource["id"],
                      sheet="高専")
        assert [t["name"] for t in result["tables"]] == ["高専"]

    def test_an_unknown_sheet_is_a_field_error(self, world):
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_preview", world.editor, resource_id=world.xls["id"], sheet="無い")
        field_error(excinfo, "sheet")

    def test_sysadmins_may_prepare(self, world):
        result = call("tdpf_prep_preview", factories.Sysadmin(), resource_id=world.xls["id"])
        assert len(result["tables"]) == 2

    def test_others_get_the_answer_a_missing_resource_gets(self, world):
        with pytest.raises(helpers.logic.ValidationError) as refused:
            call("tdpf_prep_preview", world.outsider, resource_id=world.xls["id"])
        with pytest.raises(helpers.logic.ValidationError) as missing:
            call("tdpf_prep_preview", world.outsider, resource_id="no-such-resource")
        assert field_error(refused, "resource_id") == field_error(missing, "resource_id")

    def test_anonymous_callers_are_refused(self, world):
        with pytest.raises(helpers.logic.NotAuthorized):
            call("tdpf_prep_preview", None, resource_id=world.xls["id"])

    def test_bad_resource_ids_are_field_errors(self, world):
        for data in ({}, {"resource_id": ""}, {"resource_id": ["x"]},
                     {"resource_id": "x" * 101}):
            with pytest.raises(helpers.logic.ValidationError) as excinfo:
                call("tdpf_prep_preview", world.editor, **data)
            field_error(excinfo, "resource_id")

    def test_files_that_cannot_be_prepared_are_field_errors(self, world):
        for content, filename, code in [
            (scanned_pdf(), "scan.pdf", "needs_ocr"),
            (b"%PDF-1.4\n%%EOF\n", "broken.pdf", "unreadable"),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.png", "needs_ocr"),
            (b"{\\rtf1 not a table}", "memo.rtf", "unsupported_format"),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
             + "EncryptedPackage".encode("utf-16-le"), "locked.xlsx", "encrypted"),
        ]:
            resource = uploaded(world.editor, world.dataset, content, filename)
            with pytest.raises(helpers.logic.ValidationError) as excinfo:
                call("tdpf_prep_preview", world.editor, resource_id=resource["id"])
            assert field_error(excinfo, "resource_id").endswith(engine.ERRORS[code]), code

    def test_zip_bombs_are_field_errors(self, world):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", b"<workbook/>")
            archive.writestr("xl/worksheets/sheet1.xml", b" " * (80 * 1024 * 1024))
        resource = uploaded(world.editor, world.dataset, out.getvalue(), "bomb.xlsx")
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_preview", world.editor, resource_id=resource["id"])
        assert field_error(excinfo, "resource_id").endswith(engine.ERRORS["zip_bomb"])

    @pytest.mark.ckan_config("ckanext.tdpf.prep.max_bytes", 1000)
    def test_files_over_the_size_limit_are_field_errors(self, world):
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_preview", world.editor, resource_id=world.xls["id"])
        assert "size limit" in field_error(excinfo, "resource_id")

    def test_links_to_private_addresses_are_not_fetched(self, world):
        resource = call("resource_create", world.editor, package_id=world.dataset["id"],
                        url="http://127.0.0.1:9/data.csv", name="internal")
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_preview", world.editor, resource_id=resource["id"])
        assert "not a public address" in field_error(excinfo, "resource_id")


class TestPublish:
    def test_a_table_becomes_an_uploaded_csv_of_the_same_dataset(self, world):
        created = call("tdpf_prep_publish", world.editor, resource_id=world.xls["id"],
                       table="毎月人口ＨＰ (2)")
        assert created["package_id"] == world.dataset["id"]
        assert created["url_type"] == "upload" and created["format"] == "CSV"
        assert created["tdpf_prep_source_resource_id"] == world.xls["id"]
        assert created["tdpf_prep_version"] == engine.VERSION
        assert created["tdpf_prep_at"].endswith("+00:00")
        assert created["name"] == "jinkou2708.xls 毎月人口ＨＰ (2)（整備済み）" or created[
            "name"] == "jinkou2708.xls 毎月人口ＨＰ (2) (prepared)"
        assert "《 人 口 動 態 Population Change 》" in created["description"]
        from ckan.lib import uploader
        path = uploader.get_resource_uploader(created).get_path(created["id"])
        with open(path, "rb") as stream:
            text = stream.read().decode("utf-8")
        assert text.startswith('"年月 Year and Month_区別 Ward (""ku"")",列B,列C,人口_増加数_Net '
                               'Change,')
        shown = helpers.call_action("resource_show", id=created["id"])
        assert shown["tdpf_prep_source_resource_id"] == world.xls["id"]

    def test_a_name_given_is_kept(self, world):
        created = call("tdpf_prep_publish", world.editor, resource_id=world.xls["id"],
                       name="推計人口（整備版）")
        assert created["name"] == "推計人口（整備版）"

    def test_an_unknown_table_is_a_field_error(self, world):
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_publish", world.editor, resource_id=world.xls["id"], table="無い")
        assert "毎月人口ＨＰ (2)" in field_error(excinfo, "table")

    def test_others_cannot_publish(self, world):
        with pytest.raises(helpers.logic.ValidationError) as excinfo:
            call("tdpf_prep_publish", world.outsider, resource_id=world.xls["id"])
        field_error(excinfo, "resource_id")
        assert len(model.Package.get(world.dataset["id"]).resources) == 1
