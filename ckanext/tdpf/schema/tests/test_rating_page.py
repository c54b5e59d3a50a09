"""The findings page shows which findings are judgments and which rules were not judged."""
from __future__ import annotations

import pytest

from ckanext.tdpf.schema import jobs
from ckanext.tdpf.schema.tests.conftest import PLUGINS
from ckanext.tdpf.schema.tests.test_jobs import LOCAL_FILES, RATING_OFF, dataset_with

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
