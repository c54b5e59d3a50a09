"""The ja catalog is complete, current with the sources, compiled, and loaded by CKAN."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import polib
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
POT = ROOT / "i18n/ckanext-tdpf.pot"
PO = ROOT / "i18n/ja/LC_MESSAGES/ckanext-tdpf.po"
MO = ROOT / "i18n/ja/LC_MESSAGES/ckanext-tdpf.mo"
BIN = pathlib.Path(sys.executable).parent


def _ids(catalog) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in catalog if not entry.obsolete}


def test_template_is_current_with_the_sources(tmp_path):
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [str(BIN / "pybabel"), "extract", "-F", str(ROOT / "i18n/babel.cfg"),
         "-k", "_", "-k", "ngettext", "-k", "N_", "-o", str(fresh), "ckanext"],
        cwd=ROOT, check=True, capture_output=True,
    )
    missing = _ids(polib.pofile(str(fresh))) - _ids(polib.pofile(str(POT)))
    assert not missing, f"run `make i18n`: strings not in the template: {sorted(missing)[:10]}"


def test_every_string_has_a_japanese_translation():
    po = polib.pofile(str(PO))
    assert _ids(polib.pofile(str(POT))) <= _ids(po)
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_compiled_catalog_matches_the_po_file():
    po = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in polib.pofile(str(PO))
          if not e.obsolete and e.msgid}
    mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in polib.mofile(str(MO))
          if e.msgid}
    assert mo == po, "run `make i18n` to recompile the catalog"


def test_placeholders_agree_between_source_and_translation():
    result = subprocess.run([str(BIN / "ckan"), "-c", str(ROOT / "test.ini"), "translation", "check-po",
                             str(PO)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    problems = [line for line in result.stdout.splitlines() if line.strip()]
    assert not problems, problems


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.plugins", "tdpf_schema tdpf_harvest tdpf_access scheming_datasets harvest")
def test_ckan_loads_the_suite_catalog():
    import ckan.plugins as p

    for plugin in ("tdpf_schema", "tdpf_harvest", "tdpf_access"):
        translation = p.get_plugin(plugin)
        assert pathlib.Path(translation.i18n_directory()) == MO.parents[2]
        assert translation.i18n_domain() == "ckanext-tdpf"
        assert "ja" in translation.i18n_locales()


def test_every_javascript_string_of_core_has_japanese():
    """Text the browser draws (notices, confirmations, autocomplete, the data table view) comes
    from CKAN's JS catalog, which CKAN builds from core's and every ITranslation plugin's
    catalog for the msgids core's template marks as JS strings. Each must be Japanese in one."""
    import ckan

    core = pathlib.Path(ckan.__file__).parent / "i18n"
    core_ja = {e.msgid: e for e in polib.pofile(str(core / "ja/LC_MESSAGES/ckan.po"))}
    ours = {e.msgid: e for e in polib.pofile(str(PO))}

    def japanese(entry) -> bool:
        return bool(entry and (entry.msgstr or any(entry.msgstr_plural.values())))

    js = [e.msgid for e in polib.pofile(str(core / "ckan.pot"))
          if any(path.endswith(".js") for path, _line in e.occurrences)]
    assert js, "core's template lists no JS strings"
    missing = [msgid for msgid in js if not japanese(core_ja.get(msgid)) and not japanese(ours.get(msgid))]
    assert not missing, f"JS strings without Japanese (add them to lib/core_messages.py): {missing}"


@pytest.mark.parametrize("stored, ja, en", [
    # a harvest warning: a path, the pair, the value quoted after it
    ('resources[0]: resources[2] と同じ URL のため、このリソースを削除しました / resource dropped: '
     'the same URL as resources[2] — "https://example.jp/a"',
     'resources[0]: resources[2] と同じ URL のため、このリソースを削除しました — "https://example.jp/a"',
     'resources[0]: resource dropped: the same URL as resources[2] — "https://example.jp/a"'),
    # a " / " inside a value is not the split
    ("名前 x は、データセット「目黒区 / 人口」で使われています / The name x is already used by "
     "the dataset \"目黒区 / 人口\"",
     "名前 x は、データセット「目黒区 / 人口」で使われています",
     "The name x is already used by the dataset \"目黒区 / 人口\""),
    # not a pair: as it is
    ("HTTP 404 / Not Found", "HTTP 404 / Not Found", "HTTP 404 / Not Found"),
    ("", "", ""),
])
def test_a_stored_bilingual_text_shown_in_one_language(stored, ja, en):
    from ckanext.tdpf.lib.i18n import in_language

    assert in_language(stored, "ja") == ja
    assert in_language(stored, "en") == en


def test_bilingual_and_in_language_round_trip():
    from ckanext.tdpf.lib.i18n import bilingual, english, in_language, japanese

    message = "The record could not be imported: {error}"
    stored = bilingual(message, error="x / y")
    assert in_language(stored, "ja") == japanese(message, error="x / y")
    assert in_language(stored, "en") == english(message, error="x / y")
