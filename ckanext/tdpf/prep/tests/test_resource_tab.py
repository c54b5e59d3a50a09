"""The resource page leads the dataset's editors to データ整備 by a tab after the resource's
views (and a button); others see neither."""
from __future__ import annotations

import pytest

from ckan.tests import factories

from .test_actions import KOBE_XLS, uploaded
from .conftest import DATAFILES

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "tdpf_prep"),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def test_editors_get_the_tab_others_do_not(app):
    editor, outsider = factories.UserWithToken(), factories.UserWithToken()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"])
    resource = uploaded(editor, dataset, (DATAFILES / KOBE_XLS).read_bytes(), "jinkou.xls")
    url = f"/dataset/{dataset['name']}/resource/{resource['id']}"
    page = app.get(url, headers={"Authorization": editor["token"]}).get_data(as_text=True)
    prepare = f"/dataset/{dataset['name']}/resource/{resource['id']}/prep"
    assert 'class="nav nav-tabs tdpf-resource-tabs"' in page
    assert f'class="nav-link tdpf-prep-tab" href="{prepare}"' in page
    for headers in ({"Authorization": outsider["token"]}, {}):
        page = app.get(url, headers=headers).get_data(as_text=True)
        assert "tdpf-prep-tab" not in page and "tdpf-prep-link" not in page
