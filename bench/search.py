"""Faceted search on open data with and without the access layer (SPEC §4, §7): p95 of
``package_search`` with the TDPF facets over the same index, once with ``tdpf_access``
enabled and once without it, in one run. ``TDPF_BENCH_SEARCH_DATASETS`` sets the catalog's
size, ``TDPF_BENCH_SEARCH_ROUNDS`` the rounds (each prints its side's p95 and median)."""
from __future__ import annotations

import os
import random
import time

from bench_site import app_for, build, environment, percentile, settle, write_ini

BASE = "tdpf_schema scheming_datasets scheming_organizations"
DATASETS = int(os.environ.get("TDPF_BENCH_SEARCH_DATASETS", "2000"))  # QUICK=1: 500
QUERIES = 200
# the p95 of 1,600 searches a side: with 400 it swung from 0.69 to 1.41; QUICK=1: 4 rounds
ROUNDS = int(os.environ.get("TDPF_BENCH_SEARCH_ROUNDS", "8"))
FACETS = ["tdpf_theme", "tdpf_license_tier", "tdpf_data_rate", "tdpf_provider_type",
          "tdpf_distribution", "municipality_code", "update_frequency", "organization"]


def _load(app) -> None:
    import ckan.plugins.toolkit as tk
    from ckanext.tdpf.lib import vocabularies as vocab

    generator = random.Random(7)
    with app.test_request_context():
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        context = lambda: {"user": site, "ignore_auth": True}  # noqa: E731
        codes = ["131016", "131024", "131032", "131041", "131083", "132012"]
        for code in codes:
            tk.get_action("organization_create")(context(), {
                "name": f"t{code}", "title": code, "tdpf_provider_type": "municipality",
                "municipality_code": code})
        for number in range(DATASETS):
            tk.get_action("package_create")(context(), {
                "name": f"bench-{number}", "title": f"東京 データ {number} 人口 公園",
                "notes": "ベンチマーク用のデータセット", "owner_org": f"t{generator.choice(codes)}",
                "tdpf_theme": generator.sample(list(vocab.THEMES), 2),
                "update_frequency": generator.choice(list(vocab.FREQUENCIES)),
                "resources": [{"url": f"https://example.org/{number}.csv", "format": "CSV"}]})


def _timings(app) -> list[float]:
    import ckan.plugins.toolkit as tk

    generator = random.Random(11)
    timings = []
    with app.test_request_context():
        for index in range(QUERIES + 20):
            query = {"q": generator.choice(["東京", "人口", "公園", "*:*"]),
                     "fq": generator.choice(["", "tdpf_theme:tax", "update_frequency:annual"]),
                     "facet.field": FACETS, "rows": 20}
            started = time.perf_counter()
            tk.get_action("package_search")({"ignore_auth": True}, query)
            if index >= 20:  # after warm-up
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure() -> list[dict]:
    _load(build(BASE + " tdpf_access"))
    settle(environment()["CKAN_SQLALCHEMY_URL"])
    samples: dict[str, list[float]] = {"with": [], "without": []}
    # Alternating rounds, so that neither side profits from caches the other one warmed,
    # in ABBA order, so that neither side always goes first. (CKAN's plugins are global to
    # the process: a side's searches must follow its own app's build.)
    sides = {side: write_ini(plugins, clean=False) for side, plugins in
             (("with", BASE + " tdpf_access"), ("without", BASE))}
    # A round of each side first that is not counted: the first searches after the load
    # warm Solr's caches and the process, and would weigh on whichever side came first.
    for side in ("with", "without"):
        _timings(app_for(sides[side]))
    for number in range(ROUNDS):
        for side in ("with", "without") if number % 2 == 0 else ("without", "with"):
            timings = _timings(app_for(sides[side]))
            print(f"  round {number} {side}: p95 {percentile(timings, 0.95):.2f} ms "
                  f"median {percentile(timings, 0.5):.2f} ms", flush=True)
            samples[side] += timings
    with_p95, without_p95 = (percentile(samples["with"], 0.95),
                             percentile(samples["without"], 0.95))
    ratio = with_p95 / without_p95
    return [
        {"name": "search_p95_ms_open_data_with_access", "value": round(with_p95, 2),
         "unit": "ms", "target": None, "holds": None},
        {"name": "search_p95_ms_open_data_without_access", "value": round(without_p95, 2),
         "unit": "ms", "target": None, "holds": None},
        {"name": "search_p95_ratio_access_vs_none", "value": round(ratio, 3), "unit": "x",
         "target": 1.10, "holds": ratio <= 1.10},
    ]
