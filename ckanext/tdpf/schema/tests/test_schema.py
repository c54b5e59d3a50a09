"""The TDPF dataset and organization schema through the action API (SPEC §1)."""
from __future__ import annotations

import datetime

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tdpf.lib import provenance
from ckanext.tdpf.schema.logic import validators
from ckanext.tdpf.schema.tests.conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def valid(**fields) -> dict:
    data = {
        "name": "koto-public-toilets",
        "title": "江東区 公衆トイレ一覧",
        "notes": "区内の公衆トイレ",
        "owner_org": "t131083",
        "tdpf_theme": ["daily_life", "urban_development"],
        "update_frequency": "年１回（３月頃）",
        "license_id": "CC-BY-4.0",
    }
    data.update(fields)
    return data


def shared(**fields) -> dict:
    data = {"tdpf_distribution": "shared", "license_id": "tdpf-shared",
            "tdpf_permitted_purposes": ["research"], "tdpf_storage_location": "japan",
            "tdpf_warranty": True}
    data.update(fields)
    return valid(**data)


def create(user: dict, **fields) -> dict:
    return helpers.call_action("package_create", context={"user": user["name"]}, **fields)


def refused(user: dict, **fields) -> dict:
    with pytest.raises(tk.ValidationError) as error:
        create(user, **fields)
    return error.value.error_dict


def assert_bilingual(messages: list[str]) -> None:
    """Japanese first, English second, in one message."""
    assert messages, "no message"
    for message in messages:
        assert " / " in message, message
        ja, en = message.split(" / ", 1)
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in ja), ja
        assert en.isascii() or any(ch.isascii() and ch.isalpha() for ch in en), en


class TestValidDataset:
    def test_accepted_with_derived_fields(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid())
        assert dataset["tdpf_license_tier"] == "open"
        assert dataset["tdpf_provider_type"] == "municipality"
        assert dataset["municipality_code"] == "131083"
        assert dataset["update_frequency"] == "annual"
        assert dataset["tdpf_theme"] == ["urban_development", "daily_life"]
        assert dataset["tdpf_distribution"] == "open"
        assert dataset["tdpf_personal_data"] == "none"
        assert dataset["license_title"].startswith("クリエイティブ・コモンズ 表示 4.0")

    def test_derived_and_computed_fields_from_the_caller_are_ignored(self, tdpf_org,
                                                                     tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid(
            tdpf_license_tier="paid", tdpf_provider_type="npo", municipality_code="131016",
            tdpf_data_rate=4, tdpf_warranty_by="mallory", tdpf_source_url="https://evil",
            resources=[{"url": "https://example.org/a.csv", "tdpf_mr_stage": 4,
                        "tdpf_mr_findings": [], "tdpf_mr_l1": 100}]))
        assert dataset["tdpf_license_tier"] == "open"
        assert dataset["tdpf_provider_type"] == "municipality"
        assert dataset["municipality_code"] == "131083"
        assert dataset["tdpf_data_rate"] is None
        assert "tdpf_warranty_by" not in dataset
        assert "tdpf_source_url" not in dataset
        resource = dataset["resources"][0]
        assert resource["tdpf_mr_stage"] is None
        assert "tdpf_mr_l1" not in resource

    def test_shared_paid_dataset(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **shared(
            license_id="tdpf-paid", tdpf_price_jpy="12,000", tdpf_price_unit="per_year",
            tdpf_permitted_user_types=["company", "sme"]))
        assert dataset["tdpf_license_tier"] == "paid"
        assert dataset["tdpf_price_jpy"] == "12000"
        assert dataset["tdpf_fee_exempt_user_types"] == ["sme", "startup", "entrepreneur", "npo"]
        assert dataset["tdpf_warranty"] is True

    def test_resource_formats_are_normalized(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid(resources=[
            {"url": "https://example.org/a.xlsx", "format": "xisx"},
            {"url": "https://example.org/b.csv", "format": "_2CSV"},
            {"url": "https://example.org/c.csv?download=1"},
        ]))
        assert [r["format"] for r in dataset["resources"]] == ["XLSX", "CSV", "CSV"]


class TestWarranty:
    def test_recorded_server_side_and_kept_across_updates(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        before = datetime.datetime.now(datetime.timezone.utc)
        dataset = create(tdpf_sysadmin, **shared(tdpf_warranty_by="someone-else",
                                                 tdpf_warranty_at="2000-01-01T00:00:00"))
        assert dataset["tdpf_warranty_by"] == tdpf_sysadmin["name"]
        assert datetime.datetime.fromisoformat(dataset["tdpf_warranty_at"]) >= before
        assert dataset["tdpf_warranty_version"] == "2026-04"
        editor = factories.User()
        helpers.call_action("organization_member_create", context={"ignore_auth": True},
                            id="t131083", username=editor["name"], role="editor")
        updated = helpers.call_action(
            "package_patch", context={"user": editor["name"]}, id=dataset["id"],
            notes="更新", tdpf_warranty_by=editor["name"])
        assert updated["tdpf_warranty_by"] == tdpf_sysadmin["name"]
        assert updated["tdpf_warranty_at"] == dataset["tdpf_warranty_at"]

    @pytest.mark.ckan_config("ckanext.tdpf.schema.warranty_version", "2027-01")
    def test_a_new_text_version_is_recorded_with_its_version(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **shared())
        assert dataset["tdpf_warranty_version"] == "2027-01"

    def test_required_for_shared_data(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        errors = refused(tdpf_sysadmin, **shared(tdpf_warranty=False))
        assert list(errors) == ["tdpf_warranty"]
        assert_bilingual(errors["tdpf_warranty"])

    def test_required_for_non_government_providers(self, tdpf_org, tdpf_sysadmin):
        tdpf_org(name="tokyo-gas", title="東京ガス", tdpf_provider_type="utility",
                 municipality_code="")
        errors = refused(tdpf_sysadmin, **valid(owner_org="tokyo-gas"))
        assert list(errors) == ["tdpf_warranty"]
        dataset = create(tdpf_sysadmin, **valid(owner_org="tokyo-gas", tdpf_warranty="true"))
        assert dataset["tdpf_warranty"] is True

    def test_required_for_personal_data(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        errors = refused(tdpf_sysadmin, **valid(tdpf_personal_data="anonymized"))
        assert list(errors) == ["tdpf_warranty"]


class TestBadInput:
    """Each kind of bad input is refused on the right field, in Japanese and English."""

    @pytest.mark.parametrize("fields, field", [
        ({"title": ""}, "title"),
        ({"title": ["江東区"]}, "title"),
        ({"title": {"ja": "江東区"}}, "title"),
        ({"title": 12345}, "title"),
        ({"title": "あ" * 501}, "title"),
        ({"notes": "x" * 20001}, "notes"),
        ({"title": "bad\x00title"}, "title"),
        ({"tdpf_theme": []}, "tdpf_theme"),
        ({"tdpf_theme": ["tax", "lottery"]}, "tdpf_theme"),
        ({"tdpf_theme": {"tax": True}}, "tdpf_theme"),
        ({"tdpf_theme": [["tax"]]}, "tdpf_theme"),
        ({"update_frequency": "気が向いたら"}, "update_frequency"),
        ({"update_frequency": ["daily"]}, "update_frequency"),
        ({"license_id": "WTFPL"}, "license_id"),
        ({"license_id": ["CC-BY-4.0"]}, "license_id"),
        ({"tdpf_distribution": "secret"}, "tdpf_distribution"),
        ({"tdpf_personal_data": "personal_information", "tdpf_warranty": True},
         "tdpf_personal_data"),
        ({"tdpf_personal_data": "everything"}, "tdpf_personal_data"),
        ({"license_id": "tdpf-paid"}, "license_id"),
        ({"tdpf_warranty": "maybe"}, "tdpf_warranty"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"tdpf_price_jpy": -1}, "tdpf_price_jpy"),
        ({"tdpf_price_jpy": "abc"}, "tdpf_price_jpy"),
        ({"tdpf_price_jpy": 1.5}, "tdpf_price_jpy"),
        ({"tdpf_price_jpy": True}, "tdpf_price_jpy"),
        ({"tdpf_price_unit": "per_century"}, "tdpf_price_unit"),
    ])
    def test_refused_on_the_field(self, tdpf_org, tdpf_sysadmin, fields, field):
        tdpf_org()
        errors = refused(tdpf_sysadmin, **valid(**fields))
        assert field in errors, errors
        if field != "title" or fields["title"] != "":
            assert_bilingual(errors[field])

    @pytest.mark.parametrize("fields, field", [
        ({"license_id": "CC-BY-4.0"}, "license_id"),
        ({"license_id": "tdpf-paid"}, "tdpf_price_jpy"),
        ({"license_id": "tdpf-paid", "tdpf_price_jpy": 0, "tdpf_price_unit": "per_grant"},
         "tdpf_price_jpy"),
        ({"license_id": "tdpf-paid", "tdpf_price_jpy": 1000}, "tdpf_price_unit"),
        ({"tdpf_storage_location": ""}, "tdpf_storage_location"),
        ({"tdpf_storage_location": "mars"}, "tdpf_storage_location"),
        ({"tdpf_permitted_purposes": []}, "tdpf_permitted_purposes"),
        ({"tdpf_permitted_purposes": ["gambling"]}, "tdpf_permitted_purposes"),
        ({"tdpf_permitted_user_types": ["robots"]}, "tdpf_permitted_user_types"),
    ])
    def test_shared_data_rules(self, tdpf_org, tdpf_sysadmin, fields, field):
        tdpf_org()
        errors = refused(tdpf_sysadmin, **shared(**fields))
        assert field in errors, errors
        assert_bilingual(errors[field])

    def test_stage_3_personal_data_is_explained(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        errors = refused(tdpf_sysadmin, **valid(tdpf_personal_data="personal_information",
                                                 tdpf_warranty=True))
        (message,) = errors["tdpf_personal_data"]
        assert "個人情報" in message and "personal information" in message

    @pytest.mark.ckan_config("ckanext.tdpf.schema.max_personal_data_stage", 3)
    def test_stage_3_allowed_when_the_operator_raises_the_limit(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        create(tdpf_sysadmin, **valid(tdpf_personal_data="personal_information",
                                      tdpf_warranty=True))

    def test_nothing_is_saved_half_way(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        refused(tdpf_sysadmin, **valid(tdpf_theme=["lottery"], resources=[
            {"url": "https://example.org/a.csv", "name": "a"}]))
        assert model.Session.query(model.Package).count() == 0
        assert model.Session.query(model.Resource).count() == 0

    def test_unknown_top_level_keys_are_not_stored(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid(evil_key="x", tdpf_mr_l1=100))
        shown = helpers.call_action("package_show", id=dataset["id"])
        assert "evil_key" not in shown and "tdpf_mr_l1" not in shown

    def test_failed_update_changes_nothing(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        dataset = create(tdpf_sysadmin, **valid())
        with pytest.raises(tk.ValidationError):
            helpers.call_action("package_patch", context={"user": tdpf_sysadmin["name"]},
                                id=dataset["id"], title="新しい題名", tdpf_theme=["lottery"])
        assert helpers.call_action("package_show", id=dataset["id"])["title"] == dataset["title"]


class TestProviders:
    @pytest.mark.ckan_config("ckanext.tdpf.schema.accepted_provider_types",
                             ["metropolitan_government", "municipality"])
    def test_provider_types_not_yet_accepted_are_refused(self, tdpf_org, tdpf_sysadmin):
        with pytest.raises(tk.ValidationError) as error:
            tdpf_org(name="acme", title="ACME", tdpf_provider_type="private_company",
                     municipality_code="")
        assert "tdpf_provider_type" in error.value.error_dict
        assert_bilingual(error.value.error_dict["tdpf_provider_type"])

    @pytest.mark.parametrize("code, fragment", [
        ("131084", "check digit"),
        ("13108", "6-digit"),
        ("abcdef", "6-digit"),
        ("139998", "national list"),
        ("", "need their municipality code"),
    ])
    def test_municipality_codes_are_checked(self, tdpf_org, code, fragment):
        if code == "139998":  # a valid check digit, but no such municipality
            from ckanext.tdpf.lib.municipalities import check_digit
            code = "13999" + str(check_digit("13999"))
        with pytest.raises(tk.ValidationError) as error:
            tdpf_org(municipality_code=code)
        (message,) = error.value.error_dict["municipality_code"]
        assert fragment in message
        assert_bilingual([message])

    def test_tokyo_and_chiyoda(self, tdpf_org):
        metro = tdpf_org(name="t000001", title="東京都", tdpf_provider_type="metropolitan_government",
                         municipality_code="130001")
        chiyoda = tdpf_org(name="t131016", title="千代田区", municipality_code="131016")
        assert metro["municipality_code"] == "130001"
        assert chiyoda["municipality_code"] == "131016"

    def test_only_operators_verify_organizations(self, tdpf_org, tdpf_sysadmin):
        org = tdpf_org(tdpf_verified=True)
        assert org["tdpf_verified"] is True
        admin = factories.User()
        helpers.call_action("organization_member_create", context={"ignore_auth": True},
                            id=org["id"], username=admin["name"], role="admin")
        helpers.call_action("organization_patch", context={"user": tdpf_sysadmin["name"]},
                            id=org["id"], tdpf_verified=False)
        helpers.call_action("organization_patch",
                            context={"user": admin["name"], "ignore_auth": False},
                            id=org["id"], tdpf_verified=True, description="管理者が更新")
        shown = helpers.call_action("organization_show", id=org["id"])
        assert shown["description"] == "管理者が更新"
        assert shown["tdpf_verified"] is False


class TestProvenance:
    def test_only_a_harvest_run_sets_provenance(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        context = {"user": tdpf_sysadmin["name"], provenance.CONTEXT_KEY: True}
        dataset = helpers.call_action("package_create", context=context, **valid(
            tdpf_source_url="https://catalog.data.metro.tokyo.lg.jp",
            tdpf_source_id="t131083d0000000019"))
        assert dataset["tdpf_source_id"] == "t131083d0000000019"
        patched = helpers.call_action("package_patch", context={"user": tdpf_sysadmin["name"]},
                                      id=dataset["id"], tdpf_source_id="forged")
        assert patched["tdpf_source_id"] == "t131083d0000000019"
        assert patched["tdpf_source_url"] == "https://catalog.data.metro.tokyo.lg.jp"


class TestHarvestShortcuts:
    """The name and organization checks a harvest batch answers from what it has read are
    CKAN's own checks for every other caller."""

    def test_a_taken_name_is_refused(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        helpers.call_action("package_create", context={"user": tdpf_sysadmin["name"]}, **valid())
        with pytest.raises(tk.ValidationError) as error:
            helpers.call_action("package_create", context={"user": tdpf_sysadmin["name"]},
                                **valid())
        assert list(error.value.error_dict) == ["name"]

    def test_a_name_the_batch_found_free_skips_only_the_query(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        context = {"user": tdpf_sysadmin["name"], provenance.FREE_NAMES_KEY: {"x"}}
        with pytest.raises(tk.ValidationError) as error:  # too short: CKAN's rule still
            helpers.call_action("package_create", context=context, **valid(name="x"))
        assert list(error.value.error_dict) == ["name"]

    def test_a_cached_organization_only_counts_for_a_sysadmin_without_checks(
            self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        admin, member = model.User.get(tdpf_sysadmin["name"]), model.User.get(
            factories.User()["name"])
        # not in the database: only the shortcut can accept it
        cached = model.Group(name="cached-org", is_organization=True)
        cached.id = "cached-org-id"
        cache = {"cached-org": cached, "t131083": model.Group.get("t131083")}

        def check(value, user, ignore_auth):
            data = {("owner_org",): value}
            context = {"user": user.name, "auth_user_obj": user, "ignore_auth": ignore_auth,
                       provenance.ORGANIZATION_CACHE_KEY: cache}
            validators.tdpf_schema_owner_org(("owner_org",), data, {}, context)
            return data[("owner_org",)]

        assert check("cached-org", admin, True) == "cached-org-id"
        for user, ignore_auth in ((admin, False), (member, True), (member, False)):
            with pytest.raises(tk.Invalid):  # CKAN's own check: no such organization
                check("cached-org", user, ignore_auth)
        with pytest.raises(tk.Invalid):  # CKAN's own check: not a member
            check("t131083", member, False)
        assert check("t131083", member, True) == cache["t131083"].id


@pytest.mark.usefixtures("clean_index")
class TestSearch:
    def test_theme_facet_and_filter(self, tdpf_org, tdpf_sysadmin):
        tdpf_org()
        create(tdpf_sysadmin, **valid(name="aa", tdpf_theme=["tax", "daily_life"]))
        create(tdpf_sysadmin, **valid(name="bb", tdpf_theme=["tax"]))
        create(tdpf_sysadmin, **valid(name="cc", tdpf_theme=["tourism"], license_id="CC0-1.0",
                                      update_frequency="毎月"))
        result = helpers.call_action("package_search", **{
            "facet.field": ["tdpf_theme", "tdpf_license_tier", "tdpf_provider_type",
                            "tdpf_distribution", "municipality_code", "update_frequency",
                            "tdpf_data_rate"]})
        facets = result["facets"]
        assert facets["tdpf_theme"] == {"tax": 2, "daily_life": 1, "tourism": 1}
        assert facets["tdpf_license_tier"] == {"open": 3}
        assert facets["tdpf_provider_type"] == {"municipality": 3}
        assert facets["municipality_code"] == {"131083": 3}
        assert facets["update_frequency"] == {"annual": 2, "monthly": 1}
        assert facets["tdpf_distribution"] == {"open": 3}
        items = {i["name"]: i["display_name"] for i in
                 result["search_facets"]["tdpf_theme"]["items"]}
        assert items["tax"] in ("税金", "Tax")
        filtered = helpers.call_action("package_search", fq="tdpf_theme:tax")
        assert sorted(d["name"] for d in filtered["results"]) == ["aa", "bb"]
