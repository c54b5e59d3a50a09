"""Concurrency on several hosts: two sources harvested at once, one source triggered twice,
cron run in the middle of a gather, a fetch consumer killed in the middle of its objects, a
job worker killed mid-rating."""
from __future__ import annotations

import collections
import datetime
import json
import re
import threading
import time
import uuid

import psycopg2
import pytest

from ckanext.tdpf.harvest.tests import replay

from .conftest import CLOUD, RECORDS, ApiError, fresh, wait_until
from .test_flows import DATAFILES, dataset_fields


def test_two_sources_harvested_at_once(cloud, catalog):
    first, second = fresh(RECORDS[:100]), fresh(RECORDS[100:])
    sources = [cloud.harvest_source(catalog(first)), cloud.harvest_source(catalog(second))]
    jobs = [cloud.action("harvest_job_create", base=web, source_id=source["id"])
            for web, source in zip(cloud.webs, sources)]
    finished = cloud.finish(*(job["id"] for job in jobs))
    assert [job["stats"]["errored"] for job in finished] == [0, 0]
    for source, records in zip(sources, (first, second)):
        cloud.assert_exactly_once(source["id"], records)


def test_same_source_triggered_twice(cloud, catalog):
    """Both web processes are asked at the same moment (four requests each) to harvest one
    source: one job runs, the other requests are refused (409, a field error); asked again,
    refused again. ckanext-harvest checks for a job and saves one with no lock between;
    tdpf_harvest's chained harvest_job_create serializes the two per source."""
    records = fresh(RECORDS[:40])
    source = cloud.harvest_source(catalog(records))
    webs = cloud.webs * 4
    barrier = threading.Barrier(len(webs))
    outcomes: list = []

    def trigger(web: str) -> None:
        barrier.wait()
        try:
            outcomes.append(cloud.action("harvest_job_create", base=web,
                                         source_id=source["id"]))
        except ApiError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=trigger, args=(web,)) for web in webs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, ApiError)]
    jobs = cloud.sql("select id from harvest_job where source_id = %s", source["id"])
    assert len(jobs) == 1, f"{len(jobs)} jobs for one source: {outcomes}"
    assert len(created) == 1 and len(refused) == len(webs) - 1
    assert {error.status for error in refused} == {409}
    assert all("source_id" in error.error for error in refused)
    with pytest.raises(ApiError):
        cloud.action("harvest_job_create", source_id=source["id"])
    (finished,) = cloud.finish(created[0]["id"])
    assert finished["stats"]["errored"] == 0
    cloud.assert_exactly_once(source["id"], records)


FETCH_KEY = "ckanext-harvest:tdpf-cloud:harvest_object_id"  # the fetch queue's Redis list


def received_counts() -> collections.Counter:
    """How many times the fetch consumers received each harvest object (from their logs)."""
    counts: collections.Counter = collections.Counter()
    for name in ("fetch1", "fetch2"):
        text = (CLOUD / "logs" / f"{name}.log").read_text(errors="replace")
        counts.update(re.findall(r"Received harvest object id: ([0-9a-f-]{36})", text))
    return counts


def test_cron_in_the_middle_of_a_gather(cloud):
    """ckanext-harvest's cron resends every WAITING object that is not in the fetch queue's
    Redis list, and ckanext-harvest's gather queues a job's objects only at its end: a cron
    run during a gather handed every stored object out twice. The TDPF gather queues each
    page as it is committed, so cron in the middle of a slow gather resends none of them;
    an object handed out twice all the same (as cron resends one a consumer has just taken:
    here a second copy of 20 objects is queued) is imported once, the second consumer to
    take it finds it imported and leaves it."""
    records = fresh(RECORDS + RECORDS[:60])  # 200 stored by the first flush, then 3 slow pages
    server, remote = replay.serve(records)
    remote.page_delay = 2.0
    try:
        source = cloud.action(
            "harvest_source_create", name=f"cloud-cron-{uuid.uuid4().hex[:8]}",
            title="cron during a gather", source_type="tdpf_ckan",
            url=f"http://127.0.0.1:{server.server_address[1]}",
            config=json.dumps({"timeout": 10, "retries": 2, "delay": 0, "page_size": 25}))
        before = received_counts()
        job = cloud.action("harvest_job_create", source_id=source["id"])

        def stored_while_gathering() -> list[str]:
            return [row[0] for row in cloud.sql(
                "select o.id from harvest_object o join harvest_job j "
                "on j.id = o.harvest_job_id where j.id = %s and j.gather_finished is null "
                "order by o.id", job["id"])]

        stored = wait_until(stored_while_gathering, "the gather's first 200 objects")
        cloud.run_cron()
        gathering = bool(stored_while_gathering())
        doubled = stored[:20]
        for object_id in doubled:  # what cron sends for an object a consumer has just taken
            cloud.redis.rpush(FETCH_KEY, json.dumps({"harvest_object_id": object_id}))
        (finished,) = cloud.finish(job["id"])
    finally:
        server.shutdown()
    assert gathering, "the gather ended before cron ran: cron was not run during it"
    assert finished["stats"]["errored"] == 0
    objects = cloud.job_objects(job["id"])
    assert len(objects) == len(records) and {o[2] for o in objects} == {"COMPLETE"}
    package_ids = cloud.assert_exactly_once(source["id"], records)
    received = received_counts() - before
    # cron resent nothing the gather had stored; the copies were taken and left
    assert {object_id: received[object_id] for object_id in doubled} == \
        {object_id: 2 for object_id in doubled}
    assert all(received[o[0]] == 1 for o in objects if o[0] not in doubled)
    activities = dict(cloud.sql("select object_id, count(*) from activity "
                                "where object_id = any(%s) group by object_id", package_ids))
    assert sorted(activities.values()) == [1] * len(records)  # each imported once


def test_fetch_consumer_killed_mid_batch(cloud, catalog):
    """fetch1 dies (SIGKILL, as a host would) holding an object it has taken and not
    finished: cron resends the object, fetch2 imports it; every record is one dataset, made
    once. (The test holds the object's row while fetch1 takes it, so that the kill lands
    while fetch1 works on it; fetch2 is stopped until then.)"""
    records = fresh(RECORDS[:80])
    source = cloud.harvest_source(catalog(records))
    cloud.ctl("stop", "fetch2")
    holder = None
    try:
        job = cloud.action("harvest_job_create", source_id=source["id"])
        wait_until(lambda: cloud.sql("select gather_finished is not null from harvest_job "
                                     "where id = %s", job["id"])[0][0], "the gather")
        queued = [json.loads(item)["harvest_object_id"]
                  for item in cloud.redis.lrange(FETCH_KEY, 0, -1)]
        assert len(queued) > 20, "fetch1 took the queue before the test could hold one"
        victim = queued[-1]
        holder = psycopg2.connect(cloud.database)
        with holder.cursor() as cursor:  # (a transaction until the rollback below)
            cursor.execute("select state from harvest_object where id = %s for update",
                           (victim,))
            assert cursor.fetchone() == ("WAITING",)
        wait_until(lambda: victim in cloud.fetch_log_ids()["fetch1"], "fetch1 to take it")
        time.sleep(1)  # fetch1 waits for the row now
        cloud.ctl("kill", "fetch1")
        holder.rollback()
        cloud.ctl("start", "fetch2")
        # the dead consumer's object is neither queued nor being imported: cron resends it
        wait_until(lambda: cloud.fetch_queue() == 0 and not cloud.sql(
            "select 1 from harvest_object where harvest_job_id = %s and state in "
            "('FETCH', 'IMPORT')", job["id"]), "fetch2 to drain the queue")
        assert cloud.sql("select state from harvest_object where id = %s", victim) == \
            [("WAITING",)]
        cloud.run_cron()
        (finished,) = cloud.finish(job["id"])
    finally:
        if holder is not None:
            holder.close()
        cloud.ctl("start", "fetch1")
        cloud.ctl("start", "fetch2")
    assert finished["stats"]["errored"] == 0
    rows = cloud.sql("select state, retry_times from harvest_object where id = %s", victim)
    assert rows == [("COMPLETE", 1)]  # fetch1's take was never committed; fetch2's was
    cloud.assert_exactly_once(source["id"], records)


def worker_log(name: str) -> str:
    return (CLOUD / "logs" / f"{name}.log").read_text(errors="replace")


def test_job_worker_killed_mid_rating(cloud, organization):
    """worker1 dies (SIGKILL, with its work horse) while rating a file: the rating is not
    lost — once the worker is back the file is rated."""
    files = sorted(p for p in DATAFILES.iterdir() if p.suffix == ".csv")[:6]
    offset = {name: len(worker_log(name)) for name in ("worker1", "worker2")}
    for path in files:
        dataset = cloud.action("package_create", **dataset_fields(organization))
        with open(path, "rb") as upload:
            cloud.action("resource_create", package_id=dataset["id"], name=path.stem,
                         _files={"upload": (path.name, upload)})

    def running() -> str | None:
        text = worker_log("worker1")[offset["worker1"]:]
        started = re.findall(r"starts job ([0-9a-f-]{36})", text)
        finished = set(re.findall(r"has finished job ([0-9a-f-]{36})", text))
        return next((job for job in started if job not in finished), None)

    victim = wait_until(running, "worker1 to start a rating", timeout=300)
    cloud.ctl("kill", "worker1")
    try:
        cloud.ctl("start", "worker1")
        status = wait_until(
            lambda: (lambda s: s if s["pending"] == 0 else None)(
                cloud.action("tdpf_schema_rating_status", organization=organization["name"])),
            "every file to be rated", timeout=240)
    finally:
        cloud.ctl("start", "worker1")
    assert victim
    assert status["rated"] == len(files)
