"""Harvesting the real Tokyo records, replicated, from a local replay of the CKAN API
(SPEC §7): TDPF's ``tdpf_ckan`` against stock ckanext-harvest's CKAN harvester on the same
replay in the same run, and TDPF's unchanged re-run against its first run.

Each run is a separate ``ckan`` process on a fresh ``ckan_bench`` database and Solr core:
stock CKAN with ``harvest ckan_harvester activity`` (``ckan harvester run-test``) for the
stock side, the deployed plugin list (``tools/plugins.txt``, ``activity`` included; ``ckan
tdpf-harvest run``) for ours. Both sides record every dataset in the activity stream; the
activity rows each side wrote are reported (they must be equal). Times are the harvest
jobs' own (created to finished, as ckanext-harvest records them), so the ``ckan``
command's start-up is left out of both sides; the peak resident memory is the largest of
the run's processes.

The catalog is harvested at two sizes in the same run, so that the trend of both ratios
is visible (on a slower machine fixed costs weigh more at the small size):
``TDPF_BENCH_HARVEST_RECORDS`` (default 5,000; the unsuffixed metric names) and
``TDPF_BENCH_HARVEST_SMALL`` (default 1,000, run only when smaller). Every size also has
its metrics with a size suffix (``harvest_speedup_vs_stock_1k``,
``reharvest_speedup_unchanged_5k``, ...), judged like the unsuffixed ones.
"""
from __future__ import annotations

import copy
import os
import pathlib
import subprocess
import sys
import time
import uuid

from bench_site import CKAN, ROOT, environment, settle, write_ini

sys.path.insert(0, str(ROOT))
from ckanext.tdpf.harvest.tests import replay  # noqa: E402

# Both sides load the view plugin their default views name, as a site does (without it
# CKAN logs two warnings for every dataset created).
STOCK = "harvest ckan_harvester activity image_view"
TDPF = (ROOT / "tools" / "plugins.txt").read_text().strip()  # the deployed plugin list


def catalog(size: int) -> list[dict]:
    """The real records, replicated with new ids, names and titles."""
    originals = replay.recorded_records()
    records = []
    for number in range(size):
        record = copy.deepcopy(originals[number % len(originals)])
        suffix = f"{number // len(originals):03d}"
        record["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record['id']}/{suffix}"))
        record["name"] = f"{record['name']}-{suffix}"
        record["title"] = f"{record['title']} ({suffix})"
        for resource_dict in record.get("resources", []):
            resource_dict["id"] = str(uuid.uuid4())
        records.append(record)
    return records


def _site(plugins: str) -> tuple[pathlib.Path, dict]:
    return write_ini(plugins, "ckan.auth.create_unowned_dataset = true\n"
                              "ckan.views.default_views = image_view\n"), environment()


PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
        "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "file=sys.stderr); sys.exit(code)")


def _timed(command: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run, measured by a wrapper process of its
    own so each run's peak is its own."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PEAK, *command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            input="n\n")
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed:\n{result.stderr[-3000:]}")
    peak_kb = int(result.stderr.rsplit("PEAK_KB", 1)[1].split()[0])
    return elapsed, peak_kb / 1024


def _last_job_seconds(env: dict) -> float:
    """How long the source's latest harvest job took, from its creation to its end, as
    ckanext-harvest records it: the harvest itself, without the ``ckan`` command's start-up
    (in production the cron run and the consumers are already running)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(env["CKAN_SQLALCHEMY_URL"])
    with engine.connect() as connection:
        row = connection.execute(sqlalchemy.text(
            "select status, extract(epoch from finished - created) from harvest_job "
            "order by created desc limit 1")).one()
    engine.dispose()
    if row[0] != "Finished" or row[1] is None:
        raise RuntimeError(f"the harvest job did not finish: {row[0]}")
    return float(row[1])


def _datasets(env: dict) -> int:
    """Active datasets in the bench database: both sides must have harvested everything."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(env["CKAN_SQLALCHEMY_URL"])
    with engine.connect() as connection:
        return connection.execute(sqlalchemy.text(
            "select count(*) from package where type = 'dataset' and state = 'active'"
        )).scalar()


def _activities(env: dict) -> int:
    """Dataset activity rows in the bench database (new, changed, deleted package)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(env["CKAN_SQLALCHEMY_URL"])
    with engine.connect() as connection:
        count = connection.execute(sqlalchemy.text(
            "select count(*) from activity where activity_type like '%package'")).scalar()
    engine.dispose()
    return count


def _suffix(size: int) -> str:
    return f"_{size // 1000}k" if size % 1000 == 0 else f"_{size}"


def measure() -> list[dict]:
    size = int(os.environ.get("TDPF_BENCH_HARVEST_RECORDS", "5000"))
    small = int(os.environ.get("TDPF_BENCH_HARVEST_SMALL", "1000"))
    metrics: list[dict] = []
    for run_size in ([small] if 0 < small < size else []) + [size]:
        result = measure_size(run_size)
        metrics += [dict(m, name=m["name"] + _suffix(run_size)) for m in result]
        if run_size == size:
            metrics += result
    return metrics


def measure_size(size: int) -> list[dict]:
    server, _state = replay.serve(catalog(size))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        ini, env = _site(STOCK)
        subprocess.run([CKAN, "-c", str(ini), "harvester", "source", "create", "stock", url,
                        "ckan", "stock", "true", "", "MANUAL", "{}"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # (ckanext-harvest 1.6.3's `source create` saves the source, then fails printing it)
        settle()
        _wall, stock_mb = _timed([CKAN, "-c", str(ini), "harvester", "run-test", "stock"], env)
        stock_s, stock_count = _last_job_seconds(env), _datasets(env)
        stock_activities = _activities(env)
        ini, env = _site(TDPF)
        subprocess.run([CKAN, "-c", str(ini), "harvester", "source", "create", "tdpf", url,
                        "tdpf_ckan", "tdpf", "true", "", "MANUAL", '{"page_size": 1000}'],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        settle()
        _wall, first_mb = _timed([CKAN, "-c", str(ini), "tdpf-harvest", "run", "tdpf"], env)
        first_s, tdpf_count = _last_job_seconds(env), _datasets(env)
        tdpf_activities = _activities(env)
        settle()
        _wall, again_mb = _timed([CKAN, "-c", str(ini), "tdpf-harvest", "run", "tdpf"], env)
        again_s = _last_job_seconds(env)
        again_activities = _activities(env) - tdpf_activities
    finally:
        server.shutdown()
    speedup, reharvest = stock_s / first_s, first_s / again_s
    return [
        {"name": "harvest_records", "value": size, "unit": "datasets", "target": None,
         "holds": None},
        {"name": "harvest_datasets_stock", "value": stock_count, "unit": "datasets",
         "target": size, "holds": stock_count == size},
        {"name": "harvest_datasets_tdpf", "value": tdpf_count, "unit": "datasets",
         "target": size, "holds": tdpf_count == size},
        {"name": "harvest_activities_stock", "value": stock_activities, "unit": "rows",
         "target": None, "holds": None},
        {"name": "harvest_activities_tdpf", "value": tdpf_activities, "unit": "rows",
         "target": stock_activities, "holds": tdpf_activities == stock_activities},
        {"name": "reharvest_activities_unchanged", "value": again_activities,
         "unit": "rows", "target": 0, "holds": again_activities == 0},
        {"name": "harvest_job_seconds_stock", "value": round(stock_s, 1), "unit": "s",
         "target": None, "holds": None},
        {"name": "harvest_job_seconds_tdpf", "value": round(first_s, 1), "unit": "s",
         "target": None, "holds": None},
        {"name": "reharvest_job_seconds_unchanged", "value": round(again_s, 2), "unit": "s",
         "target": None, "holds": None},
        {"name": "harvest_speedup_vs_stock", "value": round(speedup, 2), "unit": "x",
         "target": 10, "holds": speedup >= 10},
        {"name": "reharvest_speedup_unchanged", "value": round(reharvest, 1), "unit": "x",
         "target": 50, "holds": reharvest >= 50},
        {"name": "harvest_peak_rss_mib_stock", "value": round(stock_mb), "unit": "MiB",
         "target": None, "holds": None},
        {"name": "harvest_peak_rss_mib_tdpf", "value": round(max(first_mb, again_mb)),
         "unit": "MiB", "target": None, "holds": None},
    ]


if __name__ == "__main__":
    import json
    print(json.dumps(measure(), indent=1))
