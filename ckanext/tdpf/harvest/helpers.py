"""Template helpers of tdpf_harvest."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib.i18n import in_language

__all__ = ["humanize_entity_type", "tdpf_harvest_message", "tdpf_harvest_dataset_sources"]


@tk.chained_helper
def humanize_entity_type(next_helper: Any, entity_type: str, object_type: str,
                         purpose: str) -> Any:
    """A harvest source (a dataset of type ``harvest``) is named as one, in the page's
    language, where CKAN names a dataset's type (activity records, "created the …"):
    CKAN would show the bare type, "Harvest"."""
    if entity_type == "package" and object_type == "harvest" and purpose == "activity_record":
        return tk._("harvest source")
    return next_helper(entity_type, object_type, purpose)


def tdpf_harvest_message(text: str) -> str:
    """A job's stored error or warning (``"日本語 / English"``) in the page's language."""
    return in_language(text or "", tk.h.lang() or "ja")


def tdpf_harvest_dataset_sources(package_id: str) -> list[dict[str, Any]]:
    """The harvest sources that hold the dataset, for its page (none if it was not
    harvested, or the caller may not see it)."""
    try:
        return tk.get_action("tdpf_harvest_dataset_source_list")({}, {"id": package_id})
    except (tk.NotAuthorized, tk.ObjectNotFound, tk.ValidationError):
        return []
