from __future__ import annotations

import json
import pathlib
from typing import Iterator

import pytest
from click.testing import Result

from ckan.tests import factories, helpers

from ckanext.tdpf.harvest.cli import tdpf_harvest
from ckanext.tdpf.harvest.tests import replay

# The deployed plugin list (activity, tdpf_access, dcat, datastore, scheming): harvested
# datasets go through what every one of them adds to CKAN's actions.
PLUGINS = (pathlib.Path(__file__).resolve().parents[4] / "tools" / "plugins.txt"
           ).read_text().strip()
ALL_RECORDS = replay.recorded_records()
# Fast, deterministic HTTP for tests: one retry, no waiting.
FAST = {"timeout": 1, "retries": 1, "backoff": 0, "delay": 0}


MIGRATIONS = pathlib.Path(__file__).resolve().parents[2] / "migration"


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_db()
    for plugin in ("activity", "harvest", "tdpf_schema", "tdpf_access", "tdpf_harvest"):
        migrate_db_for(plugin)
    # the tables of the deployed plugin list's tdpf_prep (its dataset page reads them)
    if "tdpf_prep" in PLUGINS.split() and (MIGRATIONS / "tdpf_prep" / "versions").is_dir():
        migrate_db_for("tdpf_prep")


@pytest.fixture(scope="session")
def tdpf_catalog_server() -> Iterator[tuple[str, replay.Catalog]]:
    server, catalog = replay.serve(ALL_RECORDS)
    yield f"http://127.0.0.1:{server.server_address[1]}", catalog
    server.shutdown()


@pytest.fixture
def tdpf_catalog(tdpf_catalog_server) -> tuple[str, replay.Catalog]:
    """The replay catalog with a fresh copy of the first 30 real records."""
    url, catalog = tdpf_catalog_server
    catalog.reset(ALL_RECORDS[:30])
    return url, catalog


@pytest.fixture
def tdpf_source(clean_db):
    admin = factories.Sysadmin()

    def make(url: str, source_type: str = "tdpf_ckan", name: str = "tokyo", **config):
        return helpers.call_action(
            "harvest_source_create", context={"user": admin["name"]}, name=name, title=name,
            url=url, source_type=source_type,
            config=json.dumps(dict(FAST, **config)) if config is not None else "")
    return make


@pytest.fixture
def tdpf_harvest_run(cli):
    def run(source: str, *args: str) -> Result:
        return cli.invoke(tdpf_harvest, ["run", source, *args])
    return run
