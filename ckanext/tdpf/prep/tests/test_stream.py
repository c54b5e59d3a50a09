"""A large CSV prepared in a stream gives what preparing it whole gives."""
from __future__ import annotations

import io

import pytest

from ckanext.tdpf.prep.engine import prepare
from ckanext.tdpf.prep.engine import stream

from .conftest import DATAFILES


def test_streamed_in_parts_as_prepared_whole(monkeypatch):
    """The Tokyo statistics file (Shift_JIS here, as municipalities publish it), streamed in
    parts of 300 rows: the same rows as preparing it whole, its notes at the end moved to
    the description, and the changes counted."""
    content = (DATAFILES / "tokyo-metro_jy26qv0700_age_population_2026.csv").read_bytes()
    content = content.decode("utf-8-sig").encode("cp932")
    monkeypatch.setattr(stream, "SAMPLE_ROWS", 300)
    out = io.StringIO()
    streamed = stream.prepare_stream(io.BytesIO(content), out)
    (whole,) = prepare(content).tables
    lines = out.getvalue().split("\r\n")
    assert streamed.header == whole.header + ["注記"]
    assert lines[0] == ",".join(streamed.header)
    assert [line.split(",")[:-1] for line in lines[1:-1]] == whole.rows
    assert streamed.row_count == whole.row_count == 1656
    assert streamed.description == whole.description
    counted = {change.what("en") for change in streamed.changes}
    expected = {change.what("en") for change in whole.changes}
    assert counted == expected


def test_blocks_side_by_side_are_stacked_in_the_stream_too(monkeypatch):
    monkeypatch.setattr(stream, "SAMPLE_ROWS", 3)
    content = "町名,人口,,町名,人口\n本町,10,,新町,30\n元町,20,,旧町,40\n北町,5,,,\n".encode()
    out = io.StringIO()
    streamed = stream.prepare_stream(io.BytesIO(content), out)
    rows = [line.split(",") for line in out.getvalue().split("\r\n")[1:-1]]
    assert streamed.header == ["町名", "人口", "注記"]
    assert sorted(row[:2] for row in rows) == sorted(
        [["本町", "10"], ["元町", "20"], ["新町", "30"], ["旧町", "40"], ["北町", "5"]])


def test_a_large_file_of_several_tables_is_not_streamed(monkeypatch):
    from ckanext.tdpf.prep.engine import PrepError

    monkeypatch.setattr(stream, "SAMPLE_ROWS", 5)
    content = "区,人口\n北区,1\n南区,2\n\n区,世帯,面積,備考\nx,y,z,w\n".encode()
    with pytest.raises(PrepError) as error:
        stream.prepare_stream(io.BytesIO(content), io.StringIO())
    assert error.value.code == "not_streamable"
