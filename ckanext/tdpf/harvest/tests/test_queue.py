"""The harvest on ckanext-harvest's queues: a gather queues its objects page by page, and an
object handed out twice is imported once (ckanext-harvest's cron resends every WAITING
object it does not see in the fetch queue, and an import that has run for three minutes)."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import helpers

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.tdpf.harvest.harvesters import base
from ckanext.tdpf.harvest.tests.conftest import ALL_RECORDS, PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def fetch_queue():
    """The fetch queue's Redis list, emptied before and after (no consumer runs here)."""
    connection = queue.get_connection()
    key = queue.get_fetch_routing_key()
    connection.delete(key)
    yield lambda: [json.loads(item)["harvest_object_id"]
                   for item in connection.lrange(key, 0, -1)]
    connection.delete(key)


def new_job(source: dict) -> HarvestJob:
    job = HarvestJob(source_id=source["id"], status="Running")
    job.save()
    return job


def gathered(tdpf_catalog, tdpf_source, count: int) -> tuple[Any, HarvestJob]:
    """The harvester and a new job of a source of ``count`` records, gathered (its objects
    queued)."""
    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:count])
    job = new_job(tdpf_source(url))
    harvester = queue.get_harvester("tdpf_ckan")
    harvester.gather_stage(job)
    return harvester, job


def objects_of(job: HarvestJob) -> list[HarvestObject]:
    return (model.Session.query(HarvestObject)
            .filter(HarvestObject.harvest_job_id == job.id)
            .order_by(HarvestObject.id).all())


def activities(package_id: str) -> list[str]:
    with model.meta.engine.connect() as connection:
        return [row[0] for row in connection.execute(sa.text(
            "select activity_type from activity where object_id = :id"), {"id": package_id})]


def test_the_gather_queues_each_page_as_it_is_committed(tdpf_catalog, tdpf_source,
                                                        fetch_queue, monkeypatch):
    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:50])
    source = tdpf_source(url)
    monkeypatch.setattr(base, "FLUSH_EVERY", 20)  # three pages of objects
    pages: list[tuple[int, int]] = []  # (objects stored, objects queued) at each commit
    job = new_job(source)

    @sa.event.listens_for(model.Session, "after_commit")
    def seen(session) -> None:
        with model.meta.engine.connect() as connection:
            stored = connection.execute(sa.text(
                "select count(*) from harvest_object where harvest_job_id = :id"),
                {"id": job.id}).scalar()
        pages.append((stored, len(fetch_queue())))

    try:
        harvester = queue.get_harvester("tdpf_ckan")
        returned = harvester.gather_stage(job)
    finally:
        sa.event.remove(model.Session, "after_commit", seen)
    assert returned == []  # ckanext-harvest's gather consumer has nothing left to queue
    queued = fetch_queue()
    assert sorted(queued) == sorted(o.id for o in objects_of(job)) and len(queued) == 50
    # each page was queued right after its commit, before the next page was stored: a
    # commit never sees more objects stored than queued beyond the page it commits
    growth = [(stored, queued) for stored, queued in pages if stored]
    assert {stored for stored, _queued in growth} == {20, 40, 50}
    assert all(queued >= stored - 20 for stored, queued in growth), growth


def test_ckan_tdpf_harvest_run_imports_its_objects_itself(tdpf_catalog, tdpf_source,
                                                          tdpf_harvest_run, fetch_queue):
    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:10])
    source = tdpf_source(url)
    result = tdpf_harvest_run(source["name"])
    assert result.exit_code == 0, result.output
    assert fetch_queue() == []
    assert "added 10" in result.output


def test_an_object_handed_out_again_after_its_import_is_left_as_it_is(
        tdpf_catalog, tdpf_source, fetch_queue):
    harvester, job = gathered(tdpf_catalog, tdpf_source, 3)
    first = objects_of(job)[0]
    assert harvester.import_stage(first) is True
    package_id = first.package_id
    assert activities(package_id) == ["new package"]
    # the same id again, as cron's resend brings it: ckanext-harvest's fetch_callback
    model.Session.remove()
    again = model.Session.get(HarvestObject, first.id)
    queue.fetch_and_import_stages(harvester, again)
    assert activities(package_id) == ["new package"]  # not saved a second time
    model.Session.remove()
    stored = model.Session.get(HarvestObject, first.id)
    assert (stored.state, stored.current, stored.package_id, stored.report_status) == \
        ("COMPLETE", True, package_id, "added")


def test_an_object_another_consumer_is_importing_is_waited_for_then_left(
        tdpf_catalog, tdpf_source, fetch_queue):
    """Another consumer holds the object's row (importing it) and then commits its import.
    This import waits for it and leaves the object; without the lock it made the dataset
    a second time (here: at all, since the other consumer's import is simulated)."""
    harvester, job = gathered(tdpf_catalog, tdpf_source, 3)
    target = objects_of(job)[0]
    other = model.meta.engine.connect()
    transaction = other.begin()
    other.execute(sa.text("select 1 from harvest_object where id = :id for update"),
                  {"id": target.id})

    def finish_other_import() -> None:
        time.sleep(1.5)
        other.execute(sa.text("update harvest_object set import_finished = now(), "
                              "state = 'COMPLETE' where id = :id"), {"id": target.id})
        transaction.commit()

    thread = threading.Thread(target=finish_other_import)
    thread.start()
    started = time.monotonic()
    try:
        assert harvester.import_stage(target) is True
    finally:
        thread.join()
        other.close()
    assert time.monotonic() - started >= 1  # it waited for the other consumer
    with model.meta.engine.connect() as connection:
        made = connection.execute(sa.text(
            "select count(*) from package where type = 'dataset'")).scalar()
    assert made == 0  # the other consumer's import stands; nothing was written twice
    # the next object, which nobody else holds, is imported as usual
    model.Session.remove()
    second = model.Session.get(HarvestObject, objects_of(job)[1].id)
    assert harvester.import_stage(second) is True
    assert activities(second.package_id) == ["new package"]


def test_an_imported_objects_queue_mark_goes_before_the_consumers_acknowledgement(
        tdpf_catalog, tdpf_source, fetch_queue):
    """ckanext-harvest's consumer marks an object it takes and clears the mark when it
    acknowledges the object. A consumer killed between the import and its acknowledgement
    left the mark, cron resent the object three minutes later and, its job finished by
    then, ckanext-harvest marked the imported object ERROR. The import clears the mark."""
    harvester, _job = gathered(tdpf_catalog, tdpf_source, 2)  # (its objects queued)
    consumer = queue.get_fetch_consumer()
    _method, _channel, body = next(consumer.consume(queue.get_fetch_queue_name()))
    connection = queue.get_connection()
    mark = consumer.persistance_key(body)
    assert connection.exists(mark)  # taken, not yet acknowledged
    object_id = json.loads(body)["harvest_object_id"]
    # what fetch_callback does, without its acknowledgement (the consumer dies after it)
    queue.fetch_and_import_stages(harvester, model.Session.get(HarvestObject, object_id))
    assert not connection.exists(mark)
    model.Session.remove()
    assert model.Session.get(HarvestObject, object_id).state == "COMPLETE"


def test_a_run_takes_its_objects_cron_resent_out_of_the_queue(
        tdpf_catalog, tdpf_source, tdpf_harvest_run, fetch_queue, monkeypatch):
    """ckan tdpf-harvest run keeps its objects WAITING while it imports them, and cron
    resends every WAITING object it does not see queued; a copy a fetch consumer took after
    the run's job finished would be marked ERROR. The run takes the copies out first."""
    from ckanext.tdpf.harvest import cli

    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:12])
    source = tdpf_source(url)
    real_import = cli.import_objects
    resent: list[str] = []

    def cron_ticks_then_import(harvester, object_ids, progress):
        queue.resubmit_objects()  # cron's resend, between the gather and the import
        resent.extend(fetch_queue())
        yield from real_import(harvester, object_ids, progress)

    monkeypatch.setattr(cli, "import_objects", cron_ticks_then_import)
    result = tdpf_harvest_run(source["name"])
    assert result.exit_code == 0, result.output
    job = model.Session.query(HarvestJob).filter(
        HarvestJob.source_id == source["id"]).one()
    ids = {o.id for o in objects_of(job)}
    assert ids and set(resent) >= ids  # cron did queue them
    assert not ids & set(fetch_queue())  # and the run took them out
    assert {o.state for o in objects_of(job)} == {"COMPLETE"}


def test_a_job_the_consumers_run_finishes_with_its_last_object(tdpf_catalog, tdpf_source,
                                                               fetch_queue):
    """ckanext-harvest marks a job finished in its cron's ``harvest_jobs_run``: a harvest
    started from the source's page stayed 「実行中」 up to 15 minutes after its last record.
    The last object's import finishes it, not while a copy of an object waits in the queue
    (taken after the job finished, ckanext-harvest would mark it ERROR), and a run with
    nothing to import finishes when its listing ends."""
    url, catalog = tdpf_catalog
    catalog.reset(ALL_RECORDS[:3])
    source = tdpf_source(url)
    harvester = queue.get_harvester("tdpf_ckan")
    job_id = new_job(source).id
    queue.gather_stage(harvester, model.Session.get(HarvestJob, job_id))
    first, *_rest = queued = fetch_queue()
    assert len(queued) == 3
    consumer = queue.get_fetch_consumer()

    def consume_one() -> str:
        """What ckanext-harvest's fetch consumer does with the next item in the queue."""
        method, channel, body = next(consumer.consume(queue.get_fetch_queue_name()))
        queue.fetch_callback(channel, method, None, body)
        model.Session.remove()
        return model.Session.get(HarvestJob, job_id).status

    def resend_first(push) -> None:  # as cron resends an object
        push(queue.get_fetch_routing_key(), json.dumps({"harvest_object_id": first}))

    redis = queue.get_connection()
    assert consume_one() == "Running"
    resend_first(redis.lpush)
    # another consumer takes that copy (its claim is set) and has not imported it yet
    method, channel, body = next(consumer.consume(queue.get_fetch_queue_name()))
    assert consume_one() == "Running"
    resend_first(redis.rpush)
    assert consume_one() == "Running"  # the last object: a copy taken, another queued
    queue.fetch_callback(channel, method, None, body)  # the taken copy, left as imported
    model.Session.remove()
    assert model.Session.get(HarvestJob, job_id).status == "Running"  # one still queued
    assert consume_one() == "Finished"  # the last copy
    assert fetch_queue() == []
    job = model.Session.get(HarvestJob, job_id)
    assert job.finished is not None and job.finished >= job.gather_finished
    assert {o.state for o in objects_of(job)} == {"COMPLETE"}
    status = helpers.call_action("harvest_source_show_status", id=source["id"])
    assert status["last_job"]["status"] == "Finished"
    assert status["last_job"]["stats"].get("added") == 3

    # the same listing again: nothing to import, finished by the end of the listing
    model.Session.remove()
    again_id = new_job(source).id
    assert queue.gather_stage(harvester, model.Session.get(HarvestJob, again_id)) == []
    assert fetch_queue() == []
    model.Session.remove()
    assert model.Session.get(HarvestJob, again_id).status == "Finished"
