"""One job per source at a time, however many processes ask at once; a refusal is a field
error for the API and ckanext-harvest's own exception for its pages and CLI."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.harvest.logic import HarvestJobExists
from ckanext.tdpf.harvest.logic.action import job_lock_key
from ckanext.tdpf.harvest.tests.conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def jobs_of(source_id: str) -> int:
    with model.meta.engine.connect() as connection:
        return connection.execute(sa.text(
            "select count(*) from harvest_job where source_id = :id"), {"id": source_id}
        ).scalar()


def test_a_second_job_is_a_field_error_and_still_harvests_own_exception(
        tdpf_source, tdpf_catalog):
    source = tdpf_source(tdpf_catalog[0])
    admin = factories.Sysadmin()
    helpers.call_action("harvest_job_create", context={"user": admin["name"]},
                        source_id=source["id"])
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("harvest_job_create", context={"user": admin["name"]},
                            source_id=source["id"])
    assert isinstance(refused.value, HarvestJobExists)
    message = refused.value.error_dict["source_id"][0]
    assert "収集ジョブ" in message and "already has a harvest job" in message
    assert jobs_of(source["id"]) == 1


def test_the_api_answers_409_naming_the_field(app, tdpf_source, tdpf_catalog):
    source = tdpf_source(tdpf_catalog[0])
    admin = factories.SysadminWithToken()
    headers = {"Authorization": admin["token"]}
    first = app.post("/api/3/action/harvest_job_create", json={"source_id": source["id"]},
                     headers=headers)
    assert first.status_code == 200
    second = app.post("/api/3/action/harvest_job_create", json={"source_id": source["id"]},
                      headers=headers)
    assert second.status_code == 409
    assert "source_id" in second.json["error"]


def test_a_request_waits_for_another_process_between_its_check_and_its_save(
        tdpf_source, tdpf_catalog):
    """Another process holds the source's lock and has saved, not yet committed, a job (the
    moment ckanext-harvest's check and save leave open). A request now waits for it, then
    sees that job and is refused; without the lock it made a second job."""
    source = tdpf_source(tdpf_catalog[0])
    admin = factories.Sysadmin()
    outcome: list = []

    def request() -> None:
        try:
            outcome.append(helpers.call_action(
                "harvest_job_create", context={"user": admin["name"]},
                source_id=source["id"]))
        except Exception as error:  # noqa: BLE001 - the outcome is what is checked
            outcome.append(error)
        finally:
            model.Session.remove()

    other = model.meta.engine.connect()
    transaction = other.begin()
    other.execute(sa.text("select pg_advisory_xact_lock(hashtext(:key))"),
                  {"key": job_lock_key(source["id"])})
    other.execute(sa.text(
        "insert into harvest_job (id, created, source_id, status) "
        "values ('other-process-job', now() at time zone 'utc', :id, 'New')"),
        {"id": source["id"]})
    thread = threading.Thread(target=request)
    thread.start()
    try:
        waiting = False
        for _ in range(300):  # until the request waits on the lock (or has gone past it)
            waiting = bool(other.execute(sa.text(
                "select 1 from pg_locks where locktype = 'advisory' and not granted")
            ).first())
            if waiting or not thread.is_alive():
                break
            time.sleep(0.05)
    finally:
        transaction.commit()
        other.close()
        thread.join()
    assert waiting, f"the request did not wait for the other process: {outcome}"
    assert len(outcome) == 1 and isinstance(outcome[0], HarvestJobExists), outcome
    assert jobs_of(source["id"]) == 1
