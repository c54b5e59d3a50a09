"""The access workflow through the action API: requests, decisions, grants, charges,
organization applications, and who may do what."""
from __future__ import annotations

import datetime

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.tdpf.access.model import Grant
from ckanext.tdpf.access.tests.conftest import PLUGINS, shared_dataset

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def future(days: int = 30) -> str:
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(days=days)).isoformat()


def assert_field_error(error: tk.ValidationError, field: str) -> None:
    assert field in error.error_dict, error.error_dict
    message = error.error_dict[field][0]
    assert " / " in message, message


class TestRequest:
    def test_a_complete_request_is_pending(self, tdpf_world):
        request = tdpf_world.request(tdpf_world.user)
        assert request["state"] == "pending"
        assert request["user_id"] == tdpf_world.user["id"]
        assert request["terms_version"] == "2026-04"
        assert request["pledge_no_other_purpose"] and request["pledge_no_personal_linking"]

    @pytest.mark.parametrize("fields, field", [
        ({"pledge_no_other_purpose": False}, "pledge_no_other_purpose"),
        ({"pledge_no_personal_linking": "no"}, "pledge_no_personal_linking"),
        ({"pledge_no_other_purpose": None}, "pledge_no_other_purpose"),
        ({"purpose": "commercial_service"}, "purpose"),
        ({"purpose": "gambling"}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"user_type": "alien"}, "user_type"),
        ({"purpose_text": "x" * 2001}, "purpose_text"),
        ({"purpose_text": ["a", "list"]}, "purpose_text"),
    ])
    def test_bad_requests_name_the_field(self, tdpf_world, fields, field):
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.request(tdpf_world.user, **fields)
        assert_field_error(error.value, field)

    def test_open_data_needs_no_request(self, tdpf_world):
        open_data = tdpf_world.call("package_create", tdpf_world.provider_admin, name="open",
                                    title="公開データ", owner_org="t131083",
                                    tdpf_theme=["other"])
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.request(tdpf_world.user, package_id=open_data["id"])
        assert_field_error(error.value, "package_id")

    def test_one_pending_request_per_dataset(self, tdpf_world):
        tdpf_world.request(tdpf_world.user)
        with pytest.raises(tk.ValidationError):
            tdpf_world.request(tdpf_world.user)

    def test_anonymous_cannot_request(self, tdpf_world):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("tdpf_access_request_create",
                                context={"user": "", "ignore_auth": False},
                                package_id=tdpf_world.dataset["id"], purpose="research",
                                user_type="company", pledge_no_other_purpose=True,
                                pledge_no_personal_linking=True)

    def test_the_requester_withdraws(self, tdpf_world):
        request = tdpf_world.request(tdpf_world.user)
        stranger = factories.User()
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_request_withdraw", stranger, id=request["id"])
        withdrawn = tdpf_world.call("tdpf_access_request_withdraw", tdpf_world.user,
                                    id=request["id"])
        assert withdrawn["state"] == "withdrawn"


class TestDecision:
    def test_provider_approves_with_a_future_expiry(self, tdpf_world):
        result = tdpf_world.grant(tdpf_world.user, daily_quota=5)
        assert result["request"]["state"] == "approved"
        assert result["request"]["decided_by"] == "provider_admin"
        grant = result["grant"]
        assert grant["active"] and grant["daily_quota"] == 5
        assert grant["user_id"] == tdpf_world.user["id"]

    @pytest.mark.parametrize("fields, field", [
        ({"expires": ""}, "expires"),
        ({"expires": "2020-01-01T00:00:00+09:00"}, "expires"),
        ({"expires": "next month"}, "expires"),
        ({"decision": "maybe"}, "decision"),
        ({"daily_quota": 0}, "daily_quota"),
    ])
    def test_bad_decisions_name_the_field(self, tdpf_world, fields, field):
        request = tdpf_world.request(tdpf_world.user)
        data = {"id": request["id"], "decision": "approve", "expires": future()}
        data.update(fields)
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.call("tdpf_access_request_decide", tdpf_world.provider_admin, **data)
        assert_field_error(error.value, field)

    @pytest.mark.parametrize("who", ["other_admin", "requester", "stranger"])
    def test_only_the_providing_organization_decides(self, tdpf_world, who):
        request = tdpf_world.request(tdpf_world.user)
        user = factories.User() if who == "stranger" else {"name": who}
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_request_decide", user, id=request["id"],
                            decision="approve", expires=future())

    def test_an_editor_of_the_provider_may_reject(self, tdpf_world):
        request = tdpf_world.request(tdpf_world.user)
        result = tdpf_world.call("tdpf_access_request_decide", tdpf_world.provider_editor,
                                 id=request["id"], decision="reject", reason="目的が不明確")
        assert result["request"]["state"] == "rejected"
        assert "grant" not in result
        with pytest.raises(tk.ValidationError):
            tdpf_world.call("tdpf_access_request_decide", tdpf_world.provider_admin,
                            id=request["id"], decision="approve", expires=future())


class TestVisibility:
    def test_users_see_only_their_own_requests_and_grants(self, tdpf_world):
        other = factories.User()
        tdpf_world.grant(tdpf_world.user)
        tdpf_world.request(other)
        mine = tdpf_world.call("tdpf_access_request_list", tdpf_world.user)
        assert [r["user_id"] for r in mine] == [tdpf_world.user["id"]]
        assert tdpf_world.call("tdpf_access_grant_list", other) == []
        provider_view = tdpf_world.call("tdpf_access_request_list", tdpf_world.provider_admin,
                                        package_id=tdpf_world.dataset["id"])
        assert len(provider_view) == 2
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_request_show", other, id=mine[0]["id"])
        assert tdpf_world.call("tdpf_access_request_list", tdpf_world.other_admin) == []


class TestRevocation:
    def test_revocation_ends_access_at_once(self, tdpf_world):
        grant = tdpf_world.grant(tdpf_world.user)["grant"]
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_grant_revoke", tdpf_world.user, id=grant["id"],
                            reason="自分で")
        revoked = tdpf_world.call("tdpf_access_grant_revoke", tdpf_world.provider_admin,
                                  id=grant["id"], reason="利用条件違反")
        assert revoked["active"] is False and revoked["revoke_reason"] == "利用条件違反"
        assert Grant.active_for(tdpf_world.user["id"], tdpf_world.dataset["id"]) is None
        active = tdpf_world.call("tdpf_access_grant_list", tdpf_world.user, active=True)
        assert active == []

    def test_a_reason_is_required(self, tdpf_world):
        grant = tdpf_world.grant(tdpf_world.user)["grant"]
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.call("tdpf_access_grant_revoke", tdpf_world.provider_admin,
                            id=grant["id"], reason="")
        assert "reason" in error.value.error_dict


class TestCharges:
    def test_paid_data_is_charged_by_price(self, tdpf_world):
        charge = tdpf_world.grant(tdpf_world.user)["charge"]
        assert (charge["amount_jpy"], charge["state"], charge["exemption"]) == (50000, "due",
                                                                               None)
        assert charge["price_unit"] == "per_year"

    @pytest.mark.parametrize("user_type", ["npo", "sme", "startup", "entrepreneur"])
    def test_exempt_user_types_pay_nothing(self, tdpf_world, user_type):
        request = tdpf_world.request(tdpf_world.user, user_type=user_type)
        result = tdpf_world.call("tdpf_access_request_decide", tdpf_world.provider_admin,
                                 id=request["id"], decision="approve", expires=future())
        charge = result["charge"]
        assert (charge["amount_jpy"], charge["state"]) == (0, "waived")
        assert charge["exemption"] == f"user_type:{user_type}"

    def test_states_list_and_invoice_export(self, tdpf_world):
        charge = tdpf_world.grant(tdpf_world.user)["charge"]
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_charge_update", tdpf_world.user, id=charge["id"],
                            state="paid")
        paid = tdpf_world.call("tdpf_access_charge_update", tdpf_world.provider_admin,
                               id=charge["id"], state="paid")
        assert paid["state"] == "paid" and paid["updated_by"] == "provider_admin"
        with pytest.raises(tk.ValidationError):
            tdpf_world.call("tdpf_access_charge_update", tdpf_world.provider_admin,
                            id=charge["id"], state="forgiven")
        own = tdpf_world.call("tdpf_access_charge_list", tdpf_world.user)
        assert [c["id"] for c in own] == [charge["id"]]
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_charge_list", factories.User(),
                            user=tdpf_world.user["name"])
        export = tdpf_world.call("tdpf_access_charge_export", tdpf_world.provider_admin,
                                 package_id=tdpf_world.dataset["id"])
        lines = export["csv"].lstrip("\ufeff").splitlines()
        assert lines[0].startswith("id,grant_id,package_id,user_id,amount_jpy")
        assert lines[1].split(",")[4:8] == ["50000", "per_year", "", "paid"]


class TestOrganizations:
    def test_users_cannot_create_organizations(self, tdpf_world):
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("organization_create", tdpf_world.user, name="my-company",
                            title="My Company", tdpf_provider_type="private_company")

    def test_users_apply_and_operators_verify(self, tdpf_world):
        application = tdpf_world.call(
            "tdpf_access_org_apply", tdpf_world.user, name="acme-data", title="ACME データ",
            provider_type="private_company", contact_email="data@acme.example")
        assert application["state"] == "pending"
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_org_verify", tdpf_world.user, id=application["id"])
        verified = tdpf_world.call("tdpf_access_org_verify", tdpf_world.sysadmin,
                                   id=application["id"])
        assert verified["state"] == "approved"
        org = helpers.call_action("organization_show", id="acme-data")
        assert org["tdpf_verified"] is True and org["tdpf_provider_type"] == "private_company"
        members = helpers.call_action("member_list", id="acme-data", object_type="user")
        assert (tdpf_world.user["id"], "user", "Admin") in members

    @pytest.mark.parametrize("fields, field", [
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"provider_type": "alien"}, "provider_type"),
        ({"name": "t131083"}, "name"),
        ({"title": ""}, "title"),
    ])
    def test_bad_applications_name_the_field(self, tdpf_world, fields, field):
        data = {"name": "acme-data", "title": "ACME", "provider_type": "private_company",
                "contact_email": "data@acme.example"}
        data.update(fields)
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.call("tdpf_access_org_apply", tdpf_world.user, **data)
        assert field in error.value.error_dict

    def test_unverified_organizations_cannot_publish_shared_data(self, tdpf_world):
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.call("package_create", tdpf_world.other_admin,
                            **shared_dataset(name="chiyoda-shared", owner_org="t131016"))
        assert_field_error(error.value, "owner_org")
        assert "/organization-applications" in error.value.error_dict["owner_org"][-1]
        assert model.Package.get("chiyoda-shared") is None

    def test_the_unverified_refusal_comes_with_every_other_field_error(self, tdpf_world):
        with pytest.raises(tk.ValidationError) as error:
            tdpf_world.call("package_create", tdpf_world.other_admin, **shared_dataset(
                name="chiyoda-shared", owner_org="t131016", title="",
                update_frequency="sometimes"))
        assert {"owner_org", "title", "update_frequency"} <= set(error.value.error_dict)


class TestVerifyingExistingOrganizations:
    def test_operators_verify_an_organization_by_id_or_name(self, tdpf_world):
        with pytest.raises(tk.ValidationError):
            tdpf_world.call("package_create", tdpf_world.other_admin,
                            **shared_dataset(name="chiyoda-shared", owner_org="t131016"))
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_org_verify", tdpf_world.other_admin, id="t131016")
        record = tdpf_world.call("tdpf_access_org_verify", tdpf_world.sysadmin, id="t131016")
        assert record["state"] == "approved"
        assert helpers.call_action("organization_show", id="t131016")["tdpf_verified"] is True
        created = tdpf_world.call("package_create", tdpf_world.other_admin,
                                  **shared_dataset(name="chiyoda-shared", owner_org="t131016"))
        assert created["tdpf_distribution"] == "shared"
        tdpf_world.call("tdpf_access_org_verify", tdpf_world.sysadmin, id="t131016",
                        decision="reject")
        with pytest.raises(tk.ValidationError):
            tdpf_world.call("package_create", tdpf_world.other_admin,
                            **shared_dataset(name="chiyoda-shared-2", owner_org="t131016"))
        with pytest.raises(tk.ObjectNotFound):
            tdpf_world.call("tdpf_access_org_verify", tdpf_world.sysadmin, id="nowhere")


READ_ACTIONS = ["tdpf_access_request_show", "tdpf_access_request_list",
                "tdpf_access_grant_list", "tdpf_access_usage_list",
                "tdpf_access_usage_summary", "tdpf_access_charge_list",
                "tdpf_access_charge_export", "tdpf_access_org_application_list"]


class TestApiConventions:
    def test_read_actions_are_side_effect_free_and_answer_get(self, tdpf_world, app):
        from ckanext.tdpf.access.logic import action as actions

        for name in actions.__all__:
            reads = getattr(actions, name).__dict__.get("side_effect_free", False)
            assert reads == (name in READ_ACTIONS), name
        token = helpers.call_action("api_token_create", context={"user": "requester"},
                                    user="requester", name="get")["token"]
        tdpf_world.request(tdpf_world.user)
        response = app.get("/api/3/action/tdpf_access_request_list?state=pending",
                           headers={"Authorization": token})
        assert [r["state"] for r in response.json["result"]] == ["pending"]
        refused = app.get("/api/3/action/tdpf_access_request_withdraw?id=x",
                          headers={"Authorization": token}, status=400)
        assert "POST" in refused.get_data(as_text=True)

    def test_a_timestamp_without_an_offset_is_utc(self, tdpf_world):
        granted = tdpf_world.grant(tdpf_world.user, expires="2099-01-01T00:00:00")
        assert granted["grant"]["valid_until"] == "2099-01-01T00:00:00+00:00"
        jst = tdpf_world.grant(factories.User(), expires="2099-01-01T09:00:00+09:00")
        assert jst["grant"]["valid_until"] == granted["grant"]["valid_until"]

    def test_usage_periods_take_utc_without_an_offset(self, tdpf_world):
        from ckanext.tdpf.access import gate

        grant = tdpf_world.grant(tdpf_world.user)["grant"]
        gate.record_usage(grant_id=grant["id"], package_id=tdpf_world.dataset["id"],
                          resource_id=tdpf_world.linked["id"], user_id=grant["user_id"],
                          bytes=1, channel="api")
        at = helpers.call_action("tdpf_access_usage_list",
                                 package_id=tdpf_world.dataset["id"])[0]["at"]
        moment = datetime.datetime.fromisoformat(at).astimezone(datetime.timezone.utc)
        naive = moment.replace(tzinfo=None)
        before = (naive - datetime.timedelta(seconds=1)).isoformat()
        after = (naive + datetime.timedelta(seconds=1)).isoformat()
        count = len(helpers.call_action("tdpf_access_usage_list",
                                        package_id=tdpf_world.dataset["id"],
                                        since=before, until=after))
        assert count == 1
        in_jst_by_mistake = (naive - datetime.timedelta(hours=9, seconds=1)).isoformat()
        assert helpers.call_action("tdpf_access_usage_list",
                                   package_id=tdpf_world.dataset["id"],
                                   until=in_jst_by_mistake) == []

    @pytest.mark.parametrize("fields, field", [
        ({"since": "yesterday"}, "since"), ({"until": 5}, "until"),
        ({"active": "maybe"}, "active"), ({"package_id": ["x"]}, "package_id")])
    def test_listing_filters_name_the_field(self, tdpf_world, fields, field):
        data = {"package_id": tdpf_world.dataset["id"], **fields}
        with pytest.raises(tk.ValidationError) as error:
            helpers.call_action("tdpf_access_usage_list", **data)
        assert_field_error(error.value, field)


class TestByOrganization:
    def test_an_organizations_rows_in_one_call(self, tdpf_world):
        first, second = factories.User(), factories.User()
        tdpf_world.grant(first)
        tdpf_world.request(second)
        provider = tdpf_world.provider_admin
        pending = tdpf_world.call("tdpf_access_request_list", provider,
                                  organization="t131083", state="pending")
        assert [r["user_id"] for r in pending] == [second["id"]]
        grants = tdpf_world.call("tdpf_access_grant_list", provider, organization="t131083")
        assert [g["user_id"] for g in grants] == [first["id"]]
        charges = tdpf_world.call("tdpf_access_charge_list", provider, organization="t131083")
        assert [c["user_id"] for c in charges] == [first["id"]]
        # anyone else sees only their own rows, or is refused the charges
        own = tdpf_world.call("tdpf_access_request_list", second, organization="t131083")
        assert {r["user_id"] for r in own} == {second["id"]}
        with pytest.raises(tk.NotAuthorized):
            tdpf_world.call("tdpf_access_charge_list", second, organization="t131083")
        with pytest.raises(tk.ObjectNotFound):
            tdpf_world.call("tdpf_access_grant_list", provider, organization="no-such-org")
