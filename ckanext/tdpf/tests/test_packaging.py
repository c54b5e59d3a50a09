"""A wheel built from the repository carries the plugins, the schemas and the compiled
translations, so a site installs it from an index with nothing else to copy."""
from __future__ import annotations

import configparser
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (path,) = out.glob("ckanext_tdpf-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_registers_the_plugins_and_the_dcat_profile(wheel):
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(name).decode())
    assert dict(entry_points["ckan.plugins"]) == {
        "tdpf_schema": "ckanext.tdpf.schema.plugin:SchemaPlugin",
        "tdpf_harvest": "ckanext.tdpf.harvest.plugin:HarvestPlugin",
        "tdpf_access": "ckanext.tdpf.access.plugin:AccessPlugin",
        "tdpf_prep": "ckanext.tdpf.prep.plugin:PrepPlugin",
        "tdpf_ckan_harvester": "ckanext.tdpf.harvest.harvesters.ckan:CKANHarvester",
        "tdpf_dcat_harvester": "ckanext.tdpf.harvest.harvesters.dcat:DCATHarvester",
        "tdpf_csv_list_harvester": "ckanext.tdpf.harvest.harvesters.csv_list:CSVListHarvester",
    }
    assert dict(entry_points["ckan.rdf.profiles"]) == {
        "tdpf": "ckanext.tdpf.schema.dcat:TDPFProfile"}


def test_wheel_carries_the_compiled_japanese_catalog(wheel):
    assert "ckanext/tdpf/i18n/ja/LC_MESSAGES/ckanext-tdpf.mo" in wheel.namelist()
    shipped = wheel.read("ckanext/tdpf/i18n/ja/LC_MESSAGES/ckanext-tdpf.mo")
    assert shipped == (ROOT / "i18n/ja/LC_MESSAGES/ckanext-tdpf.mo").read_bytes()


def test_wheel_carries_every_schema_and_package_file(wheel):
    names = set(wheel.namelist())
    expected = [f"ckanext/tdpf/schemas/{p.name}" for p in (ROOT / "schemas").iterdir()
                if p.suffix in {".yaml", ".csv", ".py"}]
    for sub in ("schema", "harvest", "access", "prep", "lib/standards"):
        base = ROOT / "ckanext/tdpf" / sub
        expected += [
            str(path.relative_to(ROOT)) for path in base.rglob("*")
            if path.is_file() and "tests" not in path.parts and "__pycache__" not in path.parts
        ]
    missing = sorted(set(expected) - names)
    assert not missing, missing
    assert "ckanext/tdpf/schemas/__init__.py" in names
    assert not any("/tests/" in name for name in names if name.startswith("ckanext/tdpf/")
                   and "/tests/data/" in name), "test data must not ship in the wheel"
