"""Several values in one cell (L1-07): lists of names written with the standard datasets'
「;」, a latitude and longitude and two quantities split into columns — only where every
cell of the column reads so; sentences whose 「、」 is punctuation are left alone. The same
on a file prepared whole and on one prepared in a stream."""
from __future__ import annotations

import csv
import io

from ckanext.tdpf.lib.rating import rate
from ckanext.tdpf.prep.engine import prepare
from ckanext.tdpf.prep.engine.stream import SAMPLE_ROWS, prepare_stream


def prepared(text: str):
    [table] = prepare(text.encode("utf-8")).tables
    return table


def rules_of(table) -> set[str]:
    return {change.rule for change in table.changes}


def as_csv(table) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([table.header] + table.rows)
    return out.getvalue().encode("utf-8")


def l1_07(content: bytes) -> list:
    return [f for f in rate(content).findings if f["rule"] == "L1-07"]


def test_a_column_of_lists_is_written_with_semicolons():
    source = ("名称,診療科\r\nA病院,内科、外科、 小児科\r\nB医院,\"内科\r\n皮膚科\"\r\n"
              "C診療所,眼科\r\n")
    assert l1_07(source.encode())
    table = prepared(source)
    assert table.header == ["名称", "診療科"]
    assert [row[1] for row in table.rows] == ["内科;外科;小児科", "内科;皮膚科", "眼科"]
    assert "L1-07" in rules_of(table)
    assert not l1_07(as_csv(table))


def test_sentences_are_not_lists():
    source = ("名称,備考\r\nA公園,駐車場あり、トイレは北側にあります。\r\n"
              "B公園,月曜日は休園、祝日の場合は翌日\r\nC公園,なし\r\n")
    table = prepared(source)
    assert table.rows[0][1] == "駐車場あり、トイレは北側にあります。"
    assert "L1-07" not in rules_of(table)


def test_latitude_and_longitude_in_one_cell_become_two_columns():
    source = ('名称,位置\r\nA,"35.68,139.76"\r\nB,35.69 139.77\r\nC,"139.70, 35.70"\r\n'
              "D,\r\n")
    assert l1_07(source.encode())
    table = prepared(source)
    assert table.header == ["名称", "緯度", "経度"]
    assert table.rows == [["A", "35.68", "139.76"], ["B", "35.69", "139.77"],
                          ["C", "35.70", "139.70"], ["D", "", ""]]
    assert not l1_07(as_csv(table))


def test_two_quantities_under_a_header_naming_both():
    source = "名称,定員/現員\r\nA保育園,12/15\r\nB保育園,20/18\r\nC保育園,30/30\r\n"
    assert l1_07(source.encode())
    table = prepared(source)
    assert table.header == ["名称", "定員", "現員"]
    assert table.rows == [["A保育園", "12", "15"], ["B保育園", "20", "18"],
                          ["C保育園", "30", "30"]]
    assert not l1_07(as_csv(table))


def test_not_split_where_a_cell_does_not_read_so():
    source = "名称,定員/現員\r\nA保育園,12/15\r\nB保育園,調整中\r\nC保育園,30/30\r\n"
    table = prepared(source)
    assert table.header == ["名称", "定員/現員"]
    assert [row[1] for row in table.rows] == ["12/15", "調整中", "30/30"]


def test_a_streamed_file_is_split_and_listed_as_its_first_part_was():
    rows = ["名称,位置,診療科"] + [
        f'施設{n},"35.{n:04d},139.{n:04d}","内科、外科"' for n in range(SAMPLE_ROWS + 50)]
    out = io.StringIO()
    streamed = prepare_stream(io.BytesIO("\r\n".join(rows).encode("utf-8")), out)
    written = list(csv.reader(io.StringIO(out.getvalue())))
    assert written[0][:4] == ["名称", "緯度", "経度", "診療科"]  # (+ a notes column)
    assert len(written) == SAMPLE_ROWS + 51
    last = SAMPLE_ROWS + 49
    assert written[-1][:4] == [f"施設{last}", f"35.{last:04d}", f"139.{last:04d}", "内科;外科"]
    split = sum(change.total or len(change.cells) for change in streamed.changes
                if change.rule == "L1-07")
    assert split == 2 * (SAMPLE_ROWS + 50)  # every position and every list
