from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.tdpf.tests.db import migrate_mapped_harvest

PLUGINS = ("tdpf_schema tdpf_access scheming_datasets scheming_organizations activity dcat "
           "datastore image_view resource_proxy")
SECRET_URL = "https://files.example.org/secret/koto-care-records-9f3a.csv"
SECRET_BYTES = b"secret-bytes-7c1d,only,for,grantees\r\n"


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_db()
    import ckanext.datastore.tests.helpers as datastore_helpers
    from sqlalchemy import orm

    engine = datastore_helpers.db.get_write_engine()
    datastore_helpers.rebuild_all_dbs(orm.scoped_session(orm.sessionmaker(bind=engine)))
    for plugin in ("activity", "tdpf_schema", "tdpf_access"):
        migrate_db_for(plugin)
    migrate_mapped_harvest()


class World:
    """A provider organization with a paid shared dataset (a linked and an uploaded
    resource) and one open dataset, plus users in every relation to them."""

    def __init__(self) -> None:
        self.sysadmin = factories.Sysadmin()
        self.provider_admin = factories.User(name="provider_admin")
        self.provider_editor = factories.User(name="provider_editor")
        self.other_admin = factories.User(name="other_admin")
        self.user = factories.User(name="requester")
        self.org = helpers.call_action(
            "organization_create", context={"user": self.sysadmin["name"]}, name="t131083",
            title="江東区", tdpf_provider_type="municipality", municipality_code="131083",
            tdpf_verified=True, users=[{"name": "provider_admin", "capacity": "admin"},
                                       {"name": "provider_editor", "capacity": "editor"}])
        helpers.call_action(
            "organization_create", context={"user": self.sysadmin["name"]}, name="t131016",
            title="千代田区", tdpf_provider_type="municipality", municipality_code="131016",
            users=[{"name": "other_admin", "capacity": "admin"}])
        self.dataset = self.call("package_create", self.provider_admin, **shared_dataset())
        with io.BytesIO(SECRET_BYTES) as stream:
            self.upload = self.call("resource_create", self.provider_admin,
                                    package_id=self.dataset["id"], name="アップロード", url="",
                                    upload=FileStorage(stream, filename="secret.csv"))
        self.dataset = helpers.call_action("package_show", id=self.dataset["id"])
        self.linked = self.dataset["resources"][0]
        self.view = self.call("resource_view_create", self.provider_admin,
                              resource_id=self.linked["id"], view_type="image_view",
                              title="プレビュー")
        self.call("datastore_create", self.provider_admin, resource_id=self.linked["id"],
                  force=True, fields=[{"id": "code", "type": "text"}],
                  records=[{"code": SECRET_BYTES.decode()}])

    def call(self, action: str, caller: dict, /, **data: Any) -> Any:
        return helpers.call_action(action, context={"user": caller["name"],
                                                    "ignore_auth": False}, **data)

    def request(self, user: dict, **fields: Any) -> dict:
        data = {"package_id": self.dataset["id"], "purpose": "research",
                "purpose_text": "区内の介護需要の研究", "user_type": "company",
                "pledge_no_other_purpose": True, "pledge_no_personal_linking": True}
        data.update(fields)
        return self.call("tdpf_access_request_create", user, **data)

    def grant(self, user: dict, **fields: Any) -> dict:
        request = self.request(user)
        expires = (datetime.datetime.now(datetime.timezone.utc)
                   + datetime.timedelta(days=30)).isoformat()
        decision = {"id": request["id"], "decision": "approve", "expires": expires}
        decision.update(fields)
        return self.call("tdpf_access_request_decide", self.provider_admin, **decision)


def shared_dataset(**fields: Any) -> dict:
    data = {
        "name": "koto-care", "title": "江東区 介護サービス利用状況", "owner_org": "t131083",
        "tdpf_theme": ["medical_welfare"], "update_frequency": "monthly",
        "tdpf_distribution": "shared", "license_id": "tdpf-paid", "tdpf_price_jpy": 50000,
        "tdpf_price_unit": "per_year", "tdpf_permitted_purposes": ["research", "public_service"],
        "tdpf_storage_location": "japan", "tdpf_personal_data": "anonymized",
        "tdpf_warranty": True,
        "resources": [{"url": SECRET_URL, "name": "利用状況", "format": "CSV", "size": 1234}],
    }
    data.update(fields)
    return data


@pytest.fixture
def tdpf_world(clean_db) -> World:
    return World()


def token_for(user: dict) -> dict[str, str]:
    """Authorization headers of a new API token of the user."""
    token = helpers.call_action("api_token_create", context={"user": user["name"]},
                                user=user["name"], name="tests")["token"]
    return {"Authorization": token}


def expire(grant_id: str) -> None:
    from ckanext.tdpf.access.model import Grant

    grant = model.Session.get(Grant, grant_id)
    grant.valid_until = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
        seconds=1)
    grant.valid_from = grant.valid_until - datetime.timedelta(days=1)
    model.Session.commit()
