"""データ整備 (tdpf_prep): the issue's targets on the real municipal files and the speed and
memory of preparing a large CSV in a stream.

* every fixture file at stage 2 (an L1 FATAL) reaches stage 3 or more once prepared;
  mean L1 after >= 90 and mean L2 after >= 80 over the fixture files (a file counts by its
  weakest table);
* ``prep_mb_per_s``: a ``TDPF_BENCH_PREP_MB`` MB CSV (default 50; 10 with ``QUICK``), made of a
  real Shift_JIS statistics file's rows repeated with its notes at the end, prepared by
  ``engine.stream.prepare_stream`` in a child process; its peak RSS is reported against a
  bound of 512 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATAFILES = ROOT / "ckanext/tdpf/tests/data/datafiles"
SOURCE = DATAFILES / "tokyo-metro_jy26qv0700_age_population_2026.csv"
RSS_BOUND_MB = 512


def targets() -> tuple[list[dict], list[tuple[str, dict, dict]]]:
    from ckanext.tdpf.lib.rating import rate
    from ckanext.tdpf.prep.engine import prepare
    from ckanext.tdpf.prep.engine.scores import after, summary, worst

    rows = []
    for path in sorted(p for p in DATAFILES.iterdir() if p.suffix != ".md"):
        content = path.read_bytes()
        rows.append((path.name, summary(rate(content)),
                     worst([after(table) for table in prepare(content).tables])))
    stage_two = [(name, a) for name, b, a in rows if b["stage"] == 2]
    reached = sum(1 for _, a in stage_two if a["stage"] is not None and a["stage"] >= 3)
    l1 = statistics.mean(a["L1"] for _, _, a in rows)
    l2 = statistics.mean(a["L2"] for _, _, a in rows)
    for name, b, a in rows:
        print(f"  {name:50} {b['stage']}/{b['L1']}/{b['L2']}/{b['L3']} -> "
              f"{a['stage']}/{a['L1']}/{a['L2']}/{a['L3']}", flush=True)
    return [
        {"name": "prep_stage2_files_reaching_stage3", "value": f"{reached}/{len(stage_two)}",
         "unit": "files", "target": f"{len(stage_two)}/{len(stage_two)}",
         "holds": reached == len(stage_two)},
        {"name": "prep_mean_l1_after", "value": round(l1, 1), "unit": "points",
         "target": 90, "holds": l1 >= 90},
        {"name": "prep_mean_l2_after", "value": round(l2, 1), "unit": "points",
         "target": 80, "holds": l2 >= 80},
    ], rows


def make_csv(path: pathlib.Path, megabytes: float) -> int:
    text = SOURCE.read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    header, body = lines[0], [line for line in lines[1:] if line.count(",") > 5]
    notes = [line for line in lines[1:] if line and line.count(",") <= 5]
    with open(path, "w", encoding="cp932", newline="") as out:  # as municipalities publish
        out.write(header + "\r\n")
        size = 0
        while size < megabytes * 1e6:
            chunk = "\r\n".join(body) + "\r\n"
            out.write(chunk)
            size += len(chunk.encode("cp932"))
        out.write("\r\n".join(notes) + "\r\n")
    return path.stat().st_size


def child(path: str) -> None:
    from ckanext.tdpf.prep.engine.stream import prepare_stream

    started = time.perf_counter()
    with open(path, "rb") as source, open(os.devnull, "w", encoding="utf-8",
                                          newline="") as out:
        streamed = prepare_stream(source, out)
    seconds = time.perf_counter() - started
    # its own peak, VmHWM: RUSAGE_CHILDREN in the parent is the largest of every child it
    # ever reaped (in ``make bench`` the other benchmarks' CKAN processes), and this
    # process's RUSAGE_SELF keeps, across the exec, the peak of the fork of the parent it
    # started as (the whole bench process: 839 MB in a full run)
    peak_mb = _peak_kb() / 1024
    print(json.dumps({"seconds": seconds, "rows": streamed.row_count,
                      "notes": len(streamed.description), "peak_mb": peak_mb}))


def _peak_kb() -> int:
    """This process's peak resident memory since its exec (Linux: ``/proc/self/status``),
    else what getrusage says."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure() -> list[dict]:
    metrics, _ = targets()
    default = "10" if os.environ.get("QUICK") not in (None, "", "0") else "50"
    megabytes = float(os.environ.get("TDPF_BENCH_PREP_MB", default))
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "large.csv"
        size = make_csv(path, megabytes)
        result = subprocess.run([sys.executable, __file__, "--child", str(path)],
                                capture_output=True, text=True, check=True)
        run = json.loads(result.stdout.strip().splitlines()[-1])
        peak = run["peak_mb"]
    print(f"  {size / 1e6:.1f} MB, {run['rows']} rows in {run['seconds']:.1f} s, "
          f"peak RSS {peak:.0f} MB", flush=True)
    return metrics + [
        {"name": "prep_mb_per_s", "value": round(size / 1e6 / run["seconds"], 2),
         "unit": "MB/s", "target": None, "holds": None},
        {"name": "prep_peak_rss_mb", "value": round(peak), "unit": "MB",
         "target": RSS_BOUND_MB, "holds": peak <= RSS_BOUND_MB},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
    else:
        print(json.dumps(measure(), indent=1))


if __name__ == "__main__":
    main()
