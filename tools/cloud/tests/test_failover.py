"""A SolrCloud node stops in the middle of a harvest: search keeps answering through the
proxy, the harvest finishes, and once the node is back both replicas hold every record
exactly once."""
from __future__ import annotations

import threading
import time

from .conftest import RECORDS, ApiError, fresh, wait_until


def test_solr_node_stopped_mid_harvest(cloud, catalog):
    records = fresh(RECORDS)
    source = cloud.harvest_source(catalog(records))
    job = cloud.action("harvest_job_create", source_id=source["id"])

    def completed() -> int:
        return cloud.sql("select count(*) from harvest_object where harvest_job_id = %s "
                         "and state = 'COMPLETE'", job["id"])[0][0]

    wait_until(lambda: completed() >= 20, "the harvest to be under way")
    stopped = cloud.leader_node() + 1  # the harder case: the shard leader goes
    answers, failures = [], []
    done = threading.Event()

    def search() -> None:
        while not done.is_set():
            try:
                answers.append(cloud.action("package_search", q="*:*", rows=1)["count"])
            except (ApiError, OSError) as error:
                failures.append(repr(error))
            time.sleep(0.2)

    searcher = threading.Thread(target=search)
    searcher.start()
    try:
        cloud.ctl("stop", f"solr{stopped}")
        at_stop = completed()
        wait_until(lambda: cloud.drained([job["id"]]), "the harvest to drain")
        assert completed() > at_stop, "nothing was imported while the node was down"
        down_answers = len(answers)
        cloud.ctl("start", f"solr{stopped}")
        wait_until(cloud.replicas_active, "the node's replica to recover")
        # an object whose index write failed as the leader went (its consumer exited and
        # was restarted) is resent by cron, as after any consumer crash
        retried = cloud.resend_orphans([job["id"]])
    finally:
        done.set()
        searcher.join()
    assert not failures, failures[:5]
    assert down_answers > 0 and answers[-1] >= answers[0]
    (finished,) = cloud.finish(job["id"])
    assert finished["stats"]["errored"] == 0
    assert {o[2] for o in cloud.job_objects(job["id"])} == {"COMPLETE"}
    cloud.assert_exactly_once(source["id"], records)  # on both replicas
    print(f"{len(answers)} searches answered, {len(retried)} objects resent")
