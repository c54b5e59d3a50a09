"""``ckan tdpf-prep``: convert files at the desk (no site), prepare and publish a resource."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from ckan.tests import factories

from ckanext.tdpf.prep.cli import tdpf_prep

from .conftest import DATAFILES

ROOT = pathlib.Path(__file__).resolve().parents[4]

pytestmark = [pytest.mark.ckan_config("ckan.plugins", "tdpf_prep"),
              pytest.mark.usefixtures("with_plugins")]


def test_convert_writes_the_csv_and_prints_changes_and_ratings(cli, tmp_path):
    source = tmp_path / "population.xls"
    shutil.copy(DATAFILES / "hyogo-kobe_jinkou2708_estimated_population.xls", source)
    out = tmp_path / "out.csv"
    result = cli.invoke(tdpf_prep, ["convert", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out_1.csv").read_bytes().decode("utf-8").startswith("\"年月 Year")
    assert (tmp_path / "out_2.csv").exists()
    assert "before stage=2 L1=0 L2=0 L3=0 → after stage=3 L1=100" in result.output
    assert "L3-05" in result.output


def test_convert_many_files_with_progress(cli, tmp_path):
    for name in ("shizuoka-yaizu_222127_library.csv", "chiba-ichikawa_122033_108_aed.csv"):
        shutil.copy(DATAFILES / name, tmp_path / name)
    (tmp_path / "memo.rtf").write_bytes(b"{\\rtf1 memo}")
    files = sorted(str(p) for p in tmp_path.iterdir())
    result = cli.invoke(tdpf_prep, ["convert", "--quiet", *files])
    assert result.exit_code == 1  # one file could not be prepared
    assert "This file format cannot be prepared" in result.output
    assert (tmp_path / "shizuoka-yaizu_222127_library_prepared.csv").exists()
    assert (tmp_path / "chiba-ichikawa_122033_108_aed_prepared.csv").exists()


@pytest.mark.usefixtures("clean_db")
def test_resource_prepares_and_publishes(cli):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = factories.Resource(package_id=dataset["id"], url="http://127.0.0.1:9/x.csv")
    result = cli.invoke(tdpf_prep, ["resource", resource["id"]])
    assert result.exit_code == 1 and "not a public address" in result.output


def test_the_ckan_command_offers_tdpf_prep(tmp_path):
    ini = tmp_path / "cli.ini"
    ini.write_text(f"[app:main]\nuse = config:{ROOT / 'test.ini'}\nckan.plugins = tdpf_prep\n")
    source = DATAFILES / "shizuoka-yaizu_222127_library.csv"
    out = tmp_path / "library.csv"
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).with_name("ckan")), "-c", str(ini), "tdpf-prep",
         "convert", str(source), "-o", str(out)], env=os.environ.copy(), capture_output=True,
        text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "→ after stage=3 L1=100 L2=100 L3=100" in result.stdout
    assert out.read_text(encoding="utf-8").startswith("都道府県コード又は市区町村コード,NO,")


def test_convert_streams_a_large_csv(cli, tmp_path, monkeypatch):
    from ckanext.tdpf.prep import cli as prep_cli

    monkeypatch.setattr(prep_cli, "STREAM_FROM", 1000)
    source = tmp_path / "population.csv"
    shutil.copy(DATAFILES / "tokyo-metro_jy26qv0700_age_population_2026.csv", source)
    result = cli.invoke(tdpf_prep, ["convert", str(source), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1656 rows (streamed" in result.output
    text = (tmp_path / "population_prepared.csv").read_text(encoding="utf-8")
    assert text.startswith("地域階層,地域コード,地域,年齢階層,年齢,総数／計(人)")


@pytest.mark.usefixtures("clean_db")
def test_resource_prints_the_tables_and_publishes_one(cli):
    import io

    from werkzeug.datastructures import FileStorage

    from ckan.tests import helpers

    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    content = (DATAFILES / "hyogo-kobe_jinkou2708_estimated_population.xls").read_bytes()
    with io.BytesIO(content) as stream:
        resource = helpers.call_action("resource_create", package_id=dataset["id"], url="",
                                       name="推計人口", upload=FileStorage(stream, "p.xls"))
    result = cli.invoke(tdpf_prep, ["resource", resource["id"], "--publish",
                                    "--table", "毎月人口ＨＰ (2)"])
    assert result.exit_code == 0, result.output
    assert "[毎月人口ＨＰ (2)] 18 rows; before stage=2" in result.output
    assert "published: " in result.output
    resources = helpers.call_action("package_show", id=dataset["id"])["resources"]
    assert [r.get("tdpf_prep_source_resource_id") for r in resources] == [None, resource["id"]]


def test_convert_into_a_standard_layout_at_the_desk(cli, tmp_path):
    source = tmp_path / "toilets.csv"
    shutil.copy(DATAFILES / "tokyo-shibuya_131130_public_toilet.csv", source)
    result = cli.invoke(tdpf_prep, ["convert", str(source), "--standard", "public_toilet",
                                    "--code", "131130"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "131130_public_toilet.csv"
    header = written.read_bytes().decode("utf-8").splitlines()[0].split(",")
    assert len(header) == 39 and header[:3] == ["全国地方公共団体コード", "ID", "地方公共団体名"]
    line = next(line for line in result.output.splitlines() if "公衆トイレ一覧" in line)
    before, after = (int(n) for n in line.rsplit("適合度 ", 1)[1].split("（")[0].split(" → "))
    assert after > before
    assert "住所 → 所在地_連結表記" in result.output


@pytest.mark.parametrize("args, field", [
    (["--standard", "no_such_standard"], "--standard"),
    (["--standard", "public_toilet", "--code", "131131"], "--code"),  # a wrong check digit
    (["--code", "131130"], "--standard"),
])
def test_convert_refuses_an_unknown_standard_or_code(cli, tmp_path, args, field):
    source = tmp_path / "toilets.csv"
    shutil.copy(DATAFILES / "tokyo-shibuya_131130_public_toilet.csv", source)
    result = cli.invoke(tdpf_prep, ["convert", str(source), *args])
    assert result.exit_code != 0
    assert field in result.output
    assert not list(tmp_path.glob("*_public_toilet.csv"))
