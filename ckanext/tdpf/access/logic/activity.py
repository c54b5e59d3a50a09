"""Activity records of shared datasets are snapshots taken with full rights; every activity
action filters them for the caller (used when the activity plugin is enabled)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tdpf.lib import validation

from .. import entitlement

LISTS = ("package_activity_list", "organization_activity_list", "group_activity_list",
         "user_activity_list", "recently_changed_packages_activity_list",
         "dashboard_activity_list")


def _filter_list(name: str):
    @tk.side_effect_free
    def action(original_action, context: Context, data_dict: DataDict) -> Any:
        validation.check_shapes(data_dict)
        activities = original_action(context, data_dict)
        return [entitlement.redact_activity(context, a) if isinstance(a, dict) else a
                for a in activities]
    action.__name__ = name
    return tk.chained_action(action)


@tk.side_effect_free
def activity_show(original_action, context: Context, data_dict: DataDict) -> Any:
    """``include_data`` defaults to true, as CKAN documents it (ckanext-activity's auth
    function reads it unconditionally)."""
    validation.check_shapes(data_dict)
    data_dict = dict(data_dict)
    data_dict.setdefault("include_data", True)
    return entitlement.redact_activity(context, original_action(context, data_dict))


@tk.side_effect_free
def activity_data_show(original_action, context: Context, data_dict: DataDict) -> Any:
    validation.check_shapes(data_dict)
    data = original_action(context, data_dict)
    wrapped = entitlement.redact_activity(context, {"data": data})
    return wrapped["data"]


@tk.side_effect_free
def activity_diff(original_action, context: Context, data_dict: DataDict) -> Any:
    """A diff of shared data is built from the caller's view of both snapshots."""
    validation.check_shapes(data_dict)
    result = original_action(context, data_dict)
    activities = result.get("activities") or []
    if not any(entitlement.redact_activity(context, a) is not a for a in activities):
        return result
    import difflib
    import json

    redacted = [entitlement.redact_activity(context, a) for a in activities]
    before, after = (json.dumps(a.get("data", {}).get("package", {}), indent=2,
                                sort_keys=True, ensure_ascii=False).split("\n")
                     for a in redacted)
    diff_type = data_dict.get("diff_type", "unified")
    if diff_type == "html":
        diff = difflib.HtmlDiff().make_table(before, after)
    elif diff_type == "context":
        diff = "\n".join(difflib.context_diff(before, after))
    else:
        diff = "\n".join(difflib.unified_diff(before, after))
    return {"diff": diff, "activities": redacted}


def actions() -> dict[str, Any]:
    found: dict[str, Any] = {name: _filter_list(name) for name in LISTS}
    for function in (activity_show, activity_data_show, activity_diff):
        found[function.__name__] = tk.chained_action(function)
    return found
