"""The findings page shows which findings are judgments and which rules were not judged."""
from __future__ import annotations

import pytest

from ckanext.tdpf.schema import jobs
from ckanext.tdpf.schema.tests.conftest import PLUGINS
from ckanext.tdpf.schema.tests.test_jobs import LOCAL_FILES, RATING_OFF, dataset_with, shown

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@RATING_OFF
@LOCAL_FILES
def test_findings_page_marks_judgments_and_lists_rules_not_judged(app, tdpf_org, tdpf_sysadmin,
                                                                  tdpf_file_server):
    tdpf_org()
    dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                           "chiba-ichikawa_122033_104_population.csv")
    jobs.rate_dataset(dataset["id"])
    resource = dataset["resources"][0]
    page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}/data-rate",
                   headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "L3-04" in page and 'tdpf-judgment">推定</span>' in page
    assert "ファイルからは判定できないルール" in page
    for rule, title in [("L3-02", "コード表を別添している"),
                        ("L3-07", "年によってフォーマットを大きく変えていない"),
                        ("L3-08", "データの定義や更新履歴を記載している")]:
        assert f"<strong>{rule}</strong><br>{title}" in page


@RATING_OFF
@LOCAL_FILES
def test_findings_and_dataset_pages_show_the_standard_and_its_conformance(
        app, tdpf_org, tdpf_sysadmin, tdpf_file_server):
    tdpf_org()
    dataset = dataset_with(tdpf_sysadmin, tdpf_file_server,
                           "tokyo-shibuya_131130_public_toilet.csv",
                           "tokyo-koto_131083_public_toilet.TRANSCODED.csv",
                           "hyogo-kobe_20160501_school_basic_survey.xlsx",
                           "hyogo-kobe_201706okunaihinanjo.csv")
    jobs.rate_dataset(dataset["id"])
    shibuya, koto, schools, shelters = shown(dataset["id"])["resources"]
    score = shibuya["tdpf_mr_conformance"]["score"]
    page = app.get(f"/en/dataset/{dataset['name']}/resource/{shibuya['id']}/data-rate"
                   ).get_data(as_text=True)
    assert (f"Municipal standard open dataset: Public toilets (A-13), conformance {score}"
            in page)
    assert "Identified by the file name." in page
    assert "Layout: the former 推奨データセット definition." in page
    assert "does not conform to the definition yet" in page
    # the per-column errors
    assert ("Required column 「所在地_連結表記」 is missing; the file has 「住所」, which "
            "should be renamed.") in page
    assert "「バリアフリートイレ数」 should be a whole number in half-width digits" in page
    koto_page = app.get(f"/en/dataset/{dataset['name']}/resource/{koto['id']}/data-rate"
                        ).get_data(as_text=True)
    assert "The file conforms to the definition" in koto_page
    assert "「利用開始時間」 should be a time as hh:mm" in koto_page
    schools_page = app.get(
        f"/en/dataset/{dataset['name']}/resource/{schools['id']}/data-rate"
    ).get_data(as_text=True)
    assert "Municipal standard open dataset" not in schools_page
    # Kobe's shelters only resemble A-03 指定緊急避難場所一覧
    similarity = round(100 * shelters["tdpf_mr_conformance"]["similarity"])
    shelters_page = app.get(
        f"/en/dataset/{dataset['name']}/resource/{shelters['id']}/data-rate"
    ).get_data(as_text=True)
    assert "Designated emergency evacuation sites (A-03)" in shelters_page
    assert (f"does not claim this standard but resembles it (similarity {similarity} of "
            "100)") in shelters_page
    # one line under each badge on the dataset page
    dataset_page = app.get(f"/en/dataset/{dataset['name']}").get_data(as_text=True)
    assert dataset_page.count("tdpf-standard-line") == 3
    assert (f"Public toilets (A-13), conformance "
            f"{koto['tdpf_mr_conformance']['score']}") in dataset_page
