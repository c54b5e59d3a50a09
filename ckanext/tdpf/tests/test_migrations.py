"""Every plugin's migrations upgrade and downgrade cleanly (alembic branches
``<plugin>_alembic_version``)."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

import ckan.model as model

TABLES = {
    "tdpf_schema": {"tdpf_schema_resource_rating"},
    "tdpf_harvest": {"tdpf_harvest_job_summary"},
    "tdpf_access": {"tdpf_access_request", "tdpf_access_grant", "tdpf_access_usage",
                    "tdpf_access_charge", "tdpf_access_org_application"},
}


def tables() -> set[str]:
    model.Session.remove()
    return set(inspect(model.Session.get_bind()).get_table_names())


@pytest.mark.ckan_config("ckan.plugins", "tdpf_schema tdpf_harvest tdpf_access "
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
