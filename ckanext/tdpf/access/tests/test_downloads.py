"""Gated downloads: checked on every request, recorded as usage, limited per day."""
from __future__ import annotations

import pytest

from ckan.tests import helpers

from ckanext.tdpf.access.tests.conftest import PLUGINS, SECRET_BYTES
from ckanext.tdpf.access.tests.test_leaks import make_caller, page

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def download_path(world) -> str:
    return f"/dataset/koto-care/resource/{world.upload['id']}/download/secret.csv"


def test_downloads_are_recorded_for_the_provider(tdpf_world, app):
    grantee = make_caller(tdpf_world, "grantee")
    response = page(app, grantee, download_path(tdpf_world))
    assert response.status == 200 and SECRET_BYTES.decode() in response.body
    usage = tdpf_world.call("tdpf_access_usage_list", tdpf_world.provider_admin,
                            package_id=tdpf_world.dataset["id"])
    assert [(u["user_id"], u["resource_id"], u["channel"]) for u in usage] == [
        (grantee["id"], tdpf_world.upload["id"], "api")]
    summary = tdpf_world.call("tdpf_access_usage_summary", tdpf_world.provider_admin,
                              package_id=tdpf_world.dataset["id"])
    assert summary["total"] == 1 and summary["per_user"] == [
        {"user_id": grantee["id"], "count": 1}]
    with pytest.raises(Exception):
        tdpf_world.call("tdpf_access_usage_list", grantee, package_id=tdpf_world.dataset["id"])


def test_providers_own_downloads_are_not_counted(tdpf_world, app):
    assert page(app, tdpf_world.provider_editor, download_path(tdpf_world)).status == 200
    assert tdpf_world.call("tdpf_access_usage_list", tdpf_world.provider_admin,
                           package_id=tdpf_world.dataset["id"]) == []


def test_the_daily_quota_answers_429(tdpf_world, app):
    from ckan.tests import factories
    user = factories.User()
    tdpf_world.grant(user, daily_quota=2)
    assert page(app, user, download_path(tdpf_world)).status == 200
    assert page(app, user, download_path(tdpf_world)).status == 200
    third = page(app, user, download_path(tdpf_world))
    assert third.status == 429
    assert "1日のダウンロード上限" in third.body and "daily download limit" in third.body
    assert SECRET_BYTES.decode() not in third.body


def test_revocation_stops_an_api_token_at_once(tdpf_world, app):
    from ckan.tests import factories
    user = factories.User()
    grant = tdpf_world.grant(user)["grant"]
    token = helpers.call_action("api_token_create", context={"user": user["name"]},
                                user=user["name"], name="t")["token"]
    path = download_path(tdpf_world)
    assert app.get(path, headers={"Authorization": token}).status_code == 200
    tdpf_world.call("tdpf_access_grant_revoke", tdpf_world.provider_admin, id=grant["id"],
                    reason="取消")
    assert app.get(path, headers={"Authorization": token}, status=None).status_code == 403
