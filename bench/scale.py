"""Scale (SPEC §7): a catalog of 40,000 datasets built from the real Tokyo records, TDPF
against stock CKAN (core plugins only) on the same database in the same run.

- The records are replicated with varied titles, organizations (Tokyo's municipalities),
  themes and formats, and loaded by harvesting them from a local replay with
  ``ckan tdpf-harvest run`` (the bulk path, with its progress bar), in steps of 1,000,
  5,000 and 40,000 datasets.
- At each step both sides build their index of the same database from scratch, each into
  a Solr core of its own, each with a process per core: stock CKAN's ``search.rebuild``
  (core CKAN only, ``stock_reindex.py``: what ``ckan search-index rebuild-fast`` means to
  do) against ``ckan tdpf-schema reindex`` (the deployed TDPF plugins); wall time and
  peak memory.
- Then the same faceted ``package_search`` queries are timed on both, in ABBA
  rounds: TDPF with its plugins and facets, stock with core CKAN only.

``TDPF_BENCH_SCALE_SIZES`` sets the steps (default ``1000,5000,40000``),
``TDPF_BENCH_SCALE_ROUNDS`` the probes per side and step (default 6, an even number).
"""
from __future__ import annotations

import copy
import json
import os
import pathlib
import random
import subprocess
import sys
import uuid

from bench_site import CKAN, ROOT, environment, percentile, settle, write_ini
from harvest import _last_job_seconds, _timed

sys.path.insert(0, str(ROOT))
from ckanext.tdpf.harvest.tests import replay  # noqa: E402
from ckanext.tdpf.lib import municipalities  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
PLUGINS = (ROOT / "tools" / "plugins.txt").read_text().strip()  # TDPF as deployed
STOCK_PLUGINS = ""  # CKAN's core only
# probe processes per side and step: the p95 of 1,200 queries a side (QUICK=1: 2)
ROUNDS = int(os.environ.get("TDPF_BENCH_SCALE_ROUNDS", "6"))
THEME_GROUPS = [f"c{n:03d}" for n in range(1, 15)]
FORMATS = ["CSV", "csv", "XLSX", "xisx", "PDF", "JSON", "GeoJSON", "ZIP", "HTML", "XLS"]
TITLE_PREFIXES = ["", "【更新】", "令和6年度 ", "令和5年度 ", "（参考）", "統計 "]


def scale_catalog(size: int) -> list[dict]:
    """The real records, replicated with varied titles, organizations, themes, formats."""
    originals = replay.recorded_records()
    tokyo = sorted(code for code in municipalities.registry()
                   if code.startswith("13") and code != municipalities.TOKYO)
    generator = random.Random(2026)
    records = []
    for number in range(size):
        record = copy.deepcopy(originals[number % len(originals)])
        copy_number = number // len(originals)
        record["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record['id']}/{copy_number}"))
        record["name"] = f"{record['name']}-{copy_number:03d}"
        record["title"] = (f"{generator.choice(TITLE_PREFIXES)}{record['title']}"
                           f"（{copy_number + 1}）")
        code = generator.choice(tokyo)
        place = municipalities.lookup(code)
        record["organization"] = {"name": f"t{code}", "title": place.name if place else code}
        record["groups"] = [{"name": name} for name in
                            generator.sample(THEME_GROUPS, generator.choice([1, 1, 2]))]
        for resource_dict in record.get("resources", []):
            resource_dict["id"] = str(uuid.uuid4())
            resource_dict["format"] = generator.choice(FORMATS)
        records.append(record)
    return records


def _label(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def _ckan(ini: pathlib.Path, env: dict, *args: str) -> None:
    subprocess.run([CKAN, "-c", str(ini), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _probe(ini: pathlib.Path, env: dict) -> dict:
    result = subprocess.run([sys.executable, str(HERE / "search_probe.py"), str(ini)],
                            env=env, check=True, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def sizes() -> list[int]:
    return [int(size) for size in
            os.environ.get("TDPF_BENCH_SCALE_SIZES", "1000,5000,40000").split(",")]


class Catalog:
    """The bench site (``ckan_bench``, emptied) with its harvest source of the scale
    catalog, and stock CKAN's config on the same database with its own Solr core."""

    def __init__(self, size: int) -> None:
        self.tdpf_ini, self.tdpf_env = write_ini(PLUGINS), environment()
        self.stock_ini = write_ini(STOCK_PLUGINS, clean=False, solr_core="ckan_bench_stock")
        self.stock_env = environment("ckan_bench_stock")
        _ckan(self.stock_ini, self.stock_env, "search-index", "clear")
        self.records = scale_catalog(size)
        self.server, self.replay = replay.serve([])
        url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        # (ckanext-harvest 1.6.3's `source create` saves the source, then fails printing it)
        subprocess.run([CKAN, "-c", str(self.tdpf_ini), "harvester", "source", "create",
                        "scale", url, "tdpf_ckan", "scale", "true", "", "MANUAL",
                        '{"page_size": 1000}'],
                       env=self.tdpf_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def load(self, size: int) -> dict[str, float]:
        """Harvest the first ``size`` records, then build both indexes from scratch (each
        side with its own indexer, so that both are searched in the same shape: a harvest's
        many small commits leave many small segments until Solr merges them)."""
        self.replay.reset(self.records[:size])
        print(f"  loading {size} datasets", flush=True)
        subprocess.run([CKAN, "-c", str(self.tdpf_ini), "tdpf-harvest", "run", "scale"],
                       env=self.tdpf_env, check=True)
        load_s = _last_job_seconds(self.tdpf_env)
        _ckan(self.stock_ini, self.stock_env, "search-index", "clear")
        stock_s, stock_mb = _timed([sys.executable, str(HERE / "stock_reindex.py"),
                                    str(self.stock_ini)], self.stock_env)
        _ckan(self.tdpf_ini, self.tdpf_env, "search-index", "clear")
        tdpf_s, tdpf_mb = _timed([CKAN, "-c", str(self.tdpf_ini), "tdpf-schema", "reindex"],
                                 self.tdpf_env)
        settle(self.tdpf_env["CKAN_SQLALCHEMY_URL"])  # Solr's merges after the rebuilds
        return {"load_s": load_s, "stock_s": stock_s, "stock_mb": stock_mb,
                "tdpf_s": tdpf_s, "tdpf_mb": tdpf_mb}

    def close(self) -> None:
        self.server.shutdown()


def build() -> None:
    """The largest step's catalog, loaded and indexed on both sides, without the probes:
    what ``load`` runs on when it runs without ``scale`` before it."""
    catalog = Catalog(max(sizes()))
    try:
        catalog.load(max(sizes()))
    finally:
        catalog.close()


def measure() -> list[dict]:
    steps = sizes()
    catalog = Catalog(max(steps))
    tdpf_ini, tdpf_env = catalog.tdpf_ini, catalog.tdpf_env
    stock_ini, stock_env = catalog.stock_ini, catalog.stock_env
    metrics, curve = [], []
    try:
        for size in steps:
            loaded = catalog.load(size)
            timings: dict[str, list[float]] = {"tdpf": [], "stock": []}
            counts = set()
            sides = [(tdpf_ini, tdpf_env, "tdpf"), (stock_ini, stock_env, "stock")]
            for number in range(ROUNDS):  # in ABBA order: neither side is always first
                for ini, env, side in sides if number % 2 == 0 else sides[::-1]:
                    probe = _probe(ini, env)
                    timings[side] += probe["timings"]
                    counts.add(probe["count"])
            if len(counts) != 1:
                raise RuntimeError(f"the two indexes differ: {counts}")
            curve.append({"datasets": size, "indexed": counts.pop(),
                          "tdpf_p95_ms": round(percentile(timings["tdpf"], 0.95), 2),
                          "stock_p95_ms": round(percentile(timings["stock"], 0.95), 2),
                          "load_seconds": round(loaded["load_s"], 1),
                          "index_seconds_tdpf": round(loaded["tdpf_s"], 1),
                          "index_seconds_stock": round(loaded["stock_s"], 1),
                          "index_peak_mib_tdpf": round(loaded["tdpf_mb"]),
                          "index_peak_mib_stock": round(loaded["stock_mb"])})
            print(f"  {size}: {curve[-1]}", flush=True)
    finally:
        catalog.close()
    (HERE / "scale.json").write_text(json.dumps(curve, indent=1))
    largest = curve[-1]
    ratio = largest["tdpf_p95_ms"] / largest["stock_p95_ms"]
    metrics += [
        {"name": "scale_datasets", "value": largest["datasets"], "unit": "datasets",
         "target": None, "holds": None},
        {"name": "bulk_load_datasets_per_s",
         "value": round((largest["datasets"] - (curve[-2]["datasets"] if len(curve) > 1
                                                else 0)) / largest["load_seconds"], 1),
         "unit": "1/s", "target": None, "holds": None},
    ]
    for point in curve:
        metrics += [
            {"name": f"search_p95_ms_tdpf_{_label(point['datasets'])}",
             "value": point["tdpf_p95_ms"], "unit": "ms", "target": None, "holds": None},
            {"name": f"search_p95_ms_stock_{_label(point['datasets'])}",
             "value": point["stock_p95_ms"], "unit": "ms", "target": None, "holds": None}]
    metrics += [
        {"name": "search_p95_ratio_vs_stock", "value": round(ratio, 3), "unit": "x",
         "target": 1.10, "holds": ratio <= 1.10},
        {"name": "index_build_seconds_stock", "value": largest["index_seconds_stock"],
         "unit": "s", "target": None, "holds": None},
        {"name": "index_build_seconds_tdpf", "value": largest["index_seconds_tdpf"],
         "unit": "s", "target": None, "holds": None},
        {"name": "index_build_speedup_vs_stock",
         "value": round(largest["index_seconds_stock"] / largest["index_seconds_tdpf"], 2),
         "unit": "x", "target": None, "holds": None},
        {"name": "index_build_peak_rss_mib_stock",
         "value": largest["index_peak_mib_stock"], "unit": "MiB", "target": None,
         "holds": None},
        {"name": "index_build_peak_rss_mib_tdpf", "value": largest["index_peak_mib_tdpf"],
         "unit": "MiB", "target": None, "holds": None},
    ]
    _plot(curve)
    return metrics


def _plot(curve: list[dict]) -> None:
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [point["datasets"] for point in curve]
    figure, axes = plt.subplots(figsize=(6, 4), dpi=120)
    axes.plot(sizes, [p["stock_p95_ms"] for p in curve], "o-", label="stock CKAN 2.12")
    axes.plot(sizes, [p["tdpf_p95_ms"] for p in curve], "s-", label="CKAN 2.12 + TDPF")
    axes.set_xscale("log")
    axes.set_xticks(sizes, [_label(size) for size in sizes])
    axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes.set_xlabel("datasets in the catalog")
    axes.set_ylabel("faceted package_search p95 (ms)")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend()
    axes.set_title("Search p95 against catalog size (same data, same run)")
    figure.tight_layout()
    figure.savefig(HERE / "search_p95.png")


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
