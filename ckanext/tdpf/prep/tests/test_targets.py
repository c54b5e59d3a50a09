"""The targets of issue 16 on the real municipal files: every file the scorer puts at stage 2
(an L1 FATAL) reaches stage 3 or more once prepared, and over all the files the mean L1 after
is at least 90 and the mean L2 at least 80 (a file counts by its weakest table)."""
from __future__ import annotations

import statistics

from ckanext.tdpf.lib.rating import rate
from ckanext.tdpf.prep.engine import prepare
from ckanext.tdpf.prep.engine.scores import after, summary, worst

from .conftest import FIXTURES


def _before_after() -> dict[str, tuple[dict, dict]]:
    results = {}
    for path in FIXTURES:
        content = path.read_bytes()
        results[path.name] = (summary(rate(content)),
                              worst([after(table) for table in prepare(content).tables]))
    return results


def test_targets_on_the_fixture_files():
    results = _before_after()
    stage_two = {name: a for name, (b, a) in results.items() if b["stage"] == 2}
    assert stage_two, "the fixture set has files at stage 2"
    assert {name: a["stage"] for name, a in stage_two.items() if a["stage"] < 3} == {}
    assert all(a["stage"] is not None and a["stage"] >= 3 for _, a in results.values())
    assert statistics.mean(a["L1"] for _, a in results.values()) >= 90
    assert statistics.mean(a["L2"] for _, a in results.values()) >= 80
    # preparing never makes a file worse
    for name, (b, a) in results.items():
        for key in ("L1", "L2"):
            if b[key] is not None:
                assert a[key] >= b[key], (name, key, b, a)
