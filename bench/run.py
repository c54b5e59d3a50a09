"""``make bench``: run every benchmark, write bench/results.json and print a table.

Each metric: ``{"name", "value", "unit", "target", "holds"}``; ``target`` is None for
metrics that are reported, not judged (SPEC §7). Every judged target is a ratio against a
baseline measured in the same run, except the scorer's seconds per MB and the catalog
rating's minutes and seconds (issue #15's targets; their CPU time is reported as context).

``QUICK=1`` runs every benchmark at small sizes (same metric names, about 10 minutes) and
waits at most 20 s for a quiet machine before a timed phase (``TDPF_BENCH_SETTLE_S``);
``ONLY=name[,name]`` runs some of them (names: the keys of ``BENCHMARKS``). Sizes set in
the environment (``TDPF_BENCH_*``) win over both. ``results.json`` also has the seconds each
benchmark took (``durations_s``) and how many of them it waited for a quiet machine
(``settling_s``).
"""
from __future__ import annotations

import json
import os
import pathlib
import platform
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
QUICK_SIZES = {"TDPF_BENCH_HARVEST_RECORDS": "500", "TDPF_BENCH_SCALE_SIZES": "1000",
               "TDPF_BENCH_SCALE_ROUNDS": "2", "TDPF_BENCH_LOAD_SECONDS": "20",
               "TDPF_BENCH_RATING_DATASETS": "200", "TDPF_BENCH_ACCESS_ROUNDS": "150",
               "TDPF_BENCH_SEARCH_DATASETS": "500", "TDPF_BENCH_SEARCH_ROUNDS": "4",
               "TDPF_BENCH_SETTLE_S": "20"}
if os.environ.get("QUICK") not in (None, "", "0"):
    for key, value in QUICK_SIZES.items():
        os.environ.setdefault(key, value)

import access  # noqa: E402
import data_rate  # noqa: E402
import harvest  # noqa: E402
import load  # noqa: E402
import prep  # noqa: E402
import rating  # noqa: E402
import scale  # noqa: E402
import search  # noqa: E402
from bench_site import SETTLED, settle  # noqa: E402

BENCHMARKS = {
    "data_rate": ("data rate scoring", lambda: data_rate.measure(10.0)),
    "access": ("entitlement check on gated downloads", access.measure),
    "search": ("faceted search on open data, with and without tdpf_access", search.measure),
    "harvest": ("harvest against stock ckanext-harvest", harvest.measure),
    "scale": ("40,000 datasets: bulk load, search and index build against stock CKAN",
              scale.measure),
    "load": ("load against stock CKAN: 50 clients on gunicorn with the docker/ settings",
             load.measure),
    "rating": ("rating a 5,000-dataset catalog through the job queue, then rescoring it "
               "unchanged", rating.measure),
    "prep": ("data preparation: the issue's targets on the fixture files, a large CSV "
             "streamed", prep.measure),
}


def selected() -> list[tuple[str, str, object]]:
    """What ``ONLY`` names (``load`` alone builds the catalog ``scale`` leaves first)."""
    names = [n.strip() for n in os.environ.get("ONLY", "").split(",") if n.strip()]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(BENCHMARKS)}")
    return [(name, *BENCHMARKS[name]) for name in BENCHMARKS if not names or name in names]


def main() -> int:
    metrics: list[dict] = []
    durations: dict[str, float] = {}  # seconds each benchmark took, its settling included
    settling: dict[str, float] = {}  # of which waiting for a quiet machine (``settle``)
    started = time.monotonic()
    for name, title, run in selected():
        print(f"== {title}", flush=True)
        began, waited = time.monotonic(), SETTLED["seconds"]
        settle()  # what the last one left running does not count against this one
        metrics += run()
        _release_connections()
        durations[name] = round(time.monotonic() - began, 1)
        settling[name] = round(SETTLED["seconds"] - waited, 1)
        print(f"   ({name}: {durations[name]:.0f} s, {settling[name]:.0f} s of it waiting "
              "for a quiet machine)", flush=True)
    durations["total"] = round(time.monotonic() - started, 1)
    settling["total"] = round(SETTLED["seconds"], 1)
    results = {"machine": {"python": platform.python_version(), "cpus": _cpus(),
                           "platform": platform.platform(), "processor": _processor(),
                           "load_average": _load_average()},
               "quick": os.environ.get("QUICK") not in (None, "", "0"),
               "only": os.environ.get("ONLY") or None,
               "durations_s": durations, "settling_s": settling,
               "metrics": metrics}
    (HERE / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"\n{'metric':40} {'value':>12} {'unit':10} {'target':>10} holds")
    for m in metrics:
        target = "" if m["target"] is None else m["target"]
        holds = "" if m["holds"] is None else ("yes" if m["holds"] else "NO")
        print(f"{m['name']:40} {m['value']:>12} {m['unit']:10} {target!s:>10} {holds}")
    print(f"\n{'benchmark':40} {'seconds':>12} {'settling':>10}")
    for name, seconds in durations.items():
        print(f"{name:40} {seconds:>12} {settling[name]:>10}")
    return 0 if all(m["holds"] is not False for m in metrics) else 1


def _load_average() -> list[float] | None:
    """The machine's load at the end (1, 5, 15 minutes): other work on it slows the run."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def _release_connections() -> None:
    """A benchmark that ran CKAN in this process leaves a session open on the bench
    database; the next one starts with ``ckan db clean``, which would wait for it."""
    import ckan.model as model
    model.Session.remove()
    if model.meta.engine is not None:
        model.meta.engine.dispose()


def _cpus() -> int:
    return os.cpu_count() or 0


def _processor() -> str:
    """The CPU's model name, to name the machine a run was made on."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
