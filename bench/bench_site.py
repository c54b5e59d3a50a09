"""A CKAN site for benchmarks: its own database and Solr core (``ckan_bench``), built from
test.ini with the plugins a benchmark asks for, in this process."""
from __future__ import annotations

import atexit
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CKAN = str(pathlib.Path(sys.executable).with_name("ckan"))


def environment(solr_core: str = "ckan_bench") -> dict[str, str]:
    """The bench site's services; ``TDPF_BENCH_SITE=name`` (a database and Solr core of that
    name, the stock side's core ``name_stock``, Redis db ``TDPF_BENCH_REDIS_DB``) keeps a
    run apart from another one on the same machine."""
    pg, solr, redis = (os.environ.get("TDPF_PG_PORT", "5432"),
                       os.environ.get("TDPF_SOLR_PORT", "8983"),
                       os.environ.get("TDPF_REDIS_PORT", "6379"))
    site = os.environ.get("TDPF_BENCH_SITE")
    if site and solr_core in ("ckan_bench", "ckan_bench_stock"):
        solr_core = site + solr_core[len("ckan_bench"):]
    return dict(os.environ,
                CKAN_SQLALCHEMY_URL=f"postgresql://ckan_default@127.0.0.1:{pg}/"
                                    f"{site or 'ckan_bench'}",
                CKAN_SOLR_URL=f"http://127.0.0.1:{solr}/solr/{solr_core}",
                CKAN_REDIS_URL=f"redis://127.0.0.1:{redis}/"
                               f"{os.environ.get('TDPF_BENCH_REDIS_DB', '3')}",
                CKAN_DATASTORE_WRITE_URL=f"postgresql://ckan_default@127.0.0.1:{pg}/datastore_test",
                CKAN_DATASTORE_READ_URL=f"postgresql://datastore_default@127.0.0.1:{pg}/datastore_test")


def build(plugins: str, extra: str = "", clean: bool = True):
    """A bench site (fresh unless ``clean`` is false); returns its Flask app."""
    return app_for(write_ini(plugins, extra, clean))


def write_ini(plugins: str, extra: str = "", clean: bool = True,
              solr_core: str = "ckan_bench") -> pathlib.Path:
    """The config of a bench site (its database and Solr core emptied first unless
    ``clean`` is false); ``environment(solr_core)`` is what its commands run with."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="tdpf-bench-"))
    atexit.register(shutil.rmtree, folder, True)  # (the benchmark's processes end first)
    ini = folder / "bench.ini"
    ini.write_text("[app:main]\n"
                   f"use = config:{ROOT / 'test.ini'}\n"
                   f"ckan.plugins = {plugins}\n"
                   f"ckan.storage_path = {folder / 'storage'}\n"
                   "ckanext.tdpf.schema.rating.enabled = false\n"
                   "ckan.site_url = http://bench.invalid\n" + extra)
    env = environment(solr_core)
    os.environ.update(environment())
    steps = [["db", "clean", "--yes"], ["db", "upgrade"], ["search-index", "clear"]]
    for args in steps if clean else [["db", "upgrade"]]:
        subprocess.run([CKAN, "-c", str(ini), *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ini


def app_for(ini: pathlib.Path):
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    app = make_app(CKANConfigLoader(str(ini)).get_config())
    return app._wsgi_app


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def publisher_and_grantee(call, site: str, organization: str, user: str
                          ) -> tuple[dict, str]:
    """A verified organization of the metropolitan government, and a user (returned with
    an API token) who can be granted its shared datasets."""
    call("organization_create", site, name=organization, title=organization,
         tdpf_provider_type="metropolitan_government", municipality_code="130001",
         tdpf_verified=True)
    created = call("user_create", site, name=user, email=f"{user}@example.invalid",
                   password="bench-password-123")
    return created, call("api_token_create", user, user=user, name="bench")["token"]


SETTLED = {"seconds": 0.0}  # all of this run's waiting in ``settle`` (run.py reports it)


def settle(database_url: str | None = None, quiet_share: float = 0.2,
           longest_s: float | None = None) -> float:
    """Wait until the machine is quiet before a timed phase: what a load or a bulk insert
    left running (autovacuum, Solr's merges and warming, a cold JIT) must not land in one
    side's timings. With ``database_url``, the bench database is analyzed first, as
    autovacuum would do some time later. Waits at most ``longest_s`` (default
    ``TDPF_BENCH_SETTLE_S``, else 90 s: a machine shared with other work is never quiet).
    Returns the seconds waited."""
    if longest_s is None:
        longest_s = float(os.environ.get("TDPF_BENCH_SETTLE_S", "90"))
    if database_url:
        import sqlalchemy

        engine = sqlalchemy.create_engine(database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("ANALYZE"))
        engine.dispose()
    started = time.monotonic()
    quiet_seconds = 0
    while quiet_seconds < 2 and time.monotonic() - started < longest_s:
        busy_before, total_before = _cpu_times()
        time.sleep(1.0)
        busy_after, total_after = _cpu_times()
        share = (busy_after - busy_before) / max(1, total_after - total_before)
        quiet_seconds = quiet_seconds + 1 if share < quiet_share else 0
    SETTLED["seconds"] += time.monotonic() - started
    return time.monotonic() - started


def _cpu_times() -> tuple[int, int]:
    """Busy and total jiffies of all CPUs (``/proc/stat``)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)
