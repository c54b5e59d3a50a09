"""Every plugin's migrations upgrade and downgrade cleanly (alembic branches
``<plugin>_alembic_version``)."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

import ckan.model as model
from ckan.tests import factories, helpers

TABLES = {
    "tdpf_schema": {"tdpf_schema_resource_rating"},
    "tdpf_harvest": {"tdpf_harvest_job_summary", "tdpf_harvest_holding"},
    "tdpf_access": {"tdpf_access_request", "tdpf_access_grant", "tdpf_access_usage",
                    "tdpf_access_charge", "tdpf_access_org_application"},
    "tdpf_prep": {"tdpf_prep_merge"},
}


def tables() -> set[str]:
    model.Session.remove()
    return set(inspect(model.Session.get_bind()).get_table_names())


@pytest.mark.ckan_config("ckan.plugins", "tdpf_schema tdpf_harvest tdpf_access tdpf_prep "
                                         "scheming_datasets scheming_organizations harvest")
@pytest.mark.usefixtures("with_plugins", "reset_db")
@pytest.mark.parametrize("plugin", list(TABLES))
def test_upgrade_and_downgrade(plugin, reset_db, migrate_db_for):
    reset_db()
    if plugin == "tdpf_harvest":
        migrate_db_for("harvest")
    migrate_db_for(plugin)
    assert TABLES[plugin] <= tables()
    migrate_db_for(plugin, "base", forward=False)
    assert not TABLES[plugin] & tables()
    migrate_db_for(plugin)
    assert TABLES[plugin] <= tables()


@pytest.mark.ckan_config("ckan.plugins", "tdpf_schema tdpf_harvest tdpf_access "
                                         "scheming_datasets scheming_organizations harvest")
@pytest.mark.usefixtures("with_plugins", "reset_db")
def test_organization_memberships_written_without_their_organization_are_repaired(
        reset_db, migrate_db_for):
    reset_db()
    migrate_db_for("harvest")
    migrate_db_for("tdpf_schema")  # (package_create reads data rates)
    migrate_db_for("tdpf_harvest", "base", forward=False)  # (what an earlier test left)
    migrate_db_for("tdpf_harvest", "3f5e0c1d2a44")
    organization = factories.Organization(tdpf_provider_type="municipality",
                                          municipality_code="131032")
    broken, sound = (helpers.call_action(
        "package_create", name=name, title="港区の人口", owner_org=organization["id"],
        tdpf_theme=["population_aging"]) for name in ("minato-broken", "minato-sound"))
    members = model.Session.query(model.Member).filter(
        model.Member.table_id == broken["id"], model.Member.capacity == "organization")
    # what imports before the repair wrote
    members.update({"group_id": None}, synchronize_session=False)
    model.Session.commit()
    assert len(helpers.call_action("member_list", id=organization["id"],
                                   object_type="package")) == 1
    migrate_db_for("tdpf_harvest")
    listed = helpers.call_action("member_list", id=organization["id"], object_type="package")
    assert {(member[0], member[2]) for member in listed} == {
        (broken["id"], "organization"), (sound["id"], "organization")}
