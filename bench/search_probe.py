"""Time faceted ``package_search`` on one CKAN site (run by scale.py, once per site, in a
process of its own so that each side loads only its own plugins).

Usage: ``search_probe.py CONFIG.ini``; prints one JSON line: p50, p95 and every timing
(ms), and the number of datasets found.
"""
from __future__ import annotations

import json
import random
import sys
import time

from bench_site import percentile

QUERIES = 200
WARM_UP = 20
FACETS = ["tdpf_theme", "tdpf_license_tier", "tdpf_data_rate", "tdpf_provider_type",
          "tdpf_distribution", "municipality_code", "update_frequency", "organization",
          "res_format", "tags", "license_id"]
TERMS = ["*:*", "人口", "防災", "公園", "統計", "東京都", "一覧", "施設"]
FILTERS = ["", "tdpf_license_tier:open", "update_frequency:annual", "res_format:CSV",
           "municipality_code:131016", "organization:t132012"]


def main(ini: str) -> dict:
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app
    import ckan.plugins.toolkit as tk

    app = make_app(CKANConfigLoader(ini).get_config())._wsgi_app
    generator = random.Random(11)
    timings = []
    with app.test_request_context():
        search = tk.get_action("package_search")
        count = search({}, {"fq": "dataset_type:dataset", "rows": 0})["count"]
        for number in range(WARM_UP + QUERIES):
            fq = " ".join(part for part in ("dataset_type:dataset", generator.choice(FILTERS))
                          if part)
            query = {"q": generator.choice(TERMS), "fq": fq, "facet.field": FACETS,
                     "facet.limit": 20, "rows": 20}
            started = time.perf_counter()
            search({}, query)
            if number >= WARM_UP:
                timings.append((time.perf_counter() - started) * 1000)
    return {"p50": round(percentile(timings, 0.5), 2), "p95": round(percentile(timings, 0.95), 2),
            "count": count, "timings": [round(ms, 3) for ms in timings]}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
