"""``make bench``: run every benchmark, write bench/results.json and print a table.

Each metric: ``{"name", "value", "unit", "target", "holds"}``; ``target`` is None for
metrics that are reported, not judged (SPEC §7).
"""
from __future__ import annotations

import json
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import access  # noqa: E402
import data_rate  # noqa: E402
import harvest  # noqa: E402
import load  # noqa: E402
import scale  # noqa: E402
import search  # noqa: E402
from bench_site import settle  # noqa: E402

BENCHMARKS = [
    ("data rate scoring", lambda: data_rate.measure(10.0)),
    ("entitlement check on gated downloads", access.measure),
    ("faceted search on open data, with and without tdpf_access", search.measure),
    ("harvest against stock ckanext-harvest", harvest.measure),
    ("40,000 datasets: bulk load, search and index build against stock CKAN", scale.measure),
    ("load: 50 clients for 60 s on gunicorn with the docker/ settings", load.measure),
]


def main() -> int:
    metrics: list[dict] = []
    for title, run in BENCHMARKS:
        print(f"== {title}", flush=True)
        settle()  # what the last one left running does not count against this one
        metrics += run()
        _release_connections()
    results = {"machine": {"python": platform.python_version(), "cpus": _cpus(),
                           "platform": platform.platform()},
               "metrics": metrics}
    (HERE / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"\n{'metric':40} {'value':>12} {'unit':10} {'target':>10} holds")
    for m in metrics:
        target = "" if m["target"] is None else m["target"]
        holds = "" if m["holds"] is None else ("yes" if m["holds"] else "NO")
        print(f"{m['name']:40} {m['value']:>12} {m['unit']:10} {target!s:>10} {holds}")
    return 0 if all(m["holds"] is not False for m in metrics) else 1


def _release_connections() -> None:
    """A benchmark that ran CKAN in this process leaves a session open on the bench
    database; the next one starts with ``ckan db clean``, which would wait for it."""
    import ckan.model as model
    model.Session.remove()
    if model.meta.engine is not None:
        model.meta.engine.dispose()


def _cpus() -> int:
    import os
    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
