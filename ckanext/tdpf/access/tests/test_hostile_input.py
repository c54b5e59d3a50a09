"""No 5xx on any input: property-based calls of every TDPF action, and of the core actions
this project chains, over the HTTP API with random and hostile values (wrong types, huge
and odd unicode text, nesting, missing and unknown keys). Refusals name the field, in
Japanese and English for the TDPF actions."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ckan.tests import helpers

from ckanext.tdpf.access.logic import action as access_actions
from ckanext.tdpf.access.tests.conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.tdpf.schema.rating.enabled", False),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]
FUZZ = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
KEYS = ["id", "package_id", "resource_id", "name", "title", "owner_org", "purpose",
        "purpose_text", "user_type", "pledge_no_other_purpose",
        "pledge_no_personal_linking", "decision", "expires", "reason", "daily_quota",
        "state", "user", "since", "until", "active", "provider_type", "municipality_code",
        "contact_email", "description", "include_data", "object_type", "diff_type",
        "tdpf_distribution", "resources", "q", "query", "fields", "limit", "offset"]
HOSTILE_TEXT = st.sampled_from([
    "", " ", "\x00", "\u202e", "🗼" * 300, "x" * 100_000, "' OR 1=1 --", "<script>", "../..",
    "2027-02-30T25:61:00", "9999-12-31T23:59:59+14:00", "-1", "1e309", "NaN", "null", "true",
    "koto-care", "平成\x15\x18年"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=200), HOSTILE_TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8)


def data_dicts(real: dict[str, str]):
    """Random data dicts; known ids appear, so calls get past "not found" too."""
    value = st.one_of(VALUES, st.sampled_from(sorted(real.values())))
    return st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), value,
                           max_size=7)


def call(app, action: str, data: dict, token: str) -> Any:
    response = app.post(f"/api/3/action/{action}", data=json.dumps(data),
                        content_type="application/json",
                        headers={"Authorization": token}, status=None)
    assert response.status_code < 500, (action, data, response.get_data(as_text=True))
    return response


def assert_field_errors(response, bilingual: bool) -> None:
    if response.status_code != 409:
        return
    error = response.json["error"]
    fields = {key: value for key, value in error.items() if key != "__type"}
    assert fields, error
    if bilingual:
        for messages in fields.values():
            for message in messages if isinstance(messages, list) else [messages]:
                text = json.dumps(message, ensure_ascii=False)
                assert " / " in text, error


@pytest.fixture
def world_ids(tdpf_world) -> dict[str, str]:
    grant = tdpf_world.grant(tdpf_world.user)
    return {"package": tdpf_world.dataset["id"], "resource": tdpf_world.linked["id"],
            "view": tdpf_world.view["id"], "request": grant["request"]["id"],
            "grant": grant["grant"]["id"], "charge": grant["charge"]["id"],
            "org": tdpf_world.org["id"]}


def tokens(world) -> list[str]:
    return [helpers.call_action("api_token_create", context={"user": user["name"]},
                                user=user["name"], name="fuzz")["token"]
            for user in (world.user, world.provider_admin)]


CHAINED = ["package_create", "package_update", "resource_view_list", "resource_view_show",
           "resource_search", "activity_show", "activity_data_show", "activity_diff",
           "package_activity_list", "organization_create", "datastore_search",
           "datastore_info", "package_show", "resource_show", "file_show"]
# (action, whether its refusals are ours: bilingual)
ACTIONS = [(name, True) for name in access_actions.__all__] + [(name, False) for name in CHAINED]


@pytest.mark.parametrize("action, ours", ACTIONS, ids=[name for name, _ in ACTIONS])
def test_actions_answer_hostile_input_with_field_errors_never_a_5xx(tdpf_world, world_ids, app,
                                                                    action, ours):
    """Every TDPF action, and every core action this project chains."""
    keys = tokens(tdpf_world)

    @FUZZ
    @given(data=data_dicts(world_ids), who=st.integers(0, 1))
    def check(data, who):
        assert_field_errors(call(app, action, data, keys[who]), bilingual=ours)
    check()
