"""Health check of the job worker and harvest consumer containers: the role's process is
running and Redis, where their queues are, answers."""
import os
import pathlib

import redis

ROLES = (b"jobs\x00worker", b"gather-consumer", b"fetch-consumer")


def cmdlines():
    for path in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            yield path.read_bytes()
        except OSError:  # the process ended while we looked
            continue


assert any(role in line for line in cmdlines() for role in ROLES), "no worker process"
redis.Redis.from_url(os.environ["CKAN_REDIS_URL"].split("?")[0], socket_timeout=5).ping()
