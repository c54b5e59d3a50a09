"""Actions of ``tdpf_schema``."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from .. import jobs

__all__ = ["tdpf_schema_rating_status"]


@tk.side_effect_free
def tdpf_schema_rating_status(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """How much of an organization's public datasets is rated (データレート).

    :param organization: the organization's name or id
    :returns: ``resources``, ``rated`` (scored), ``errors`` (could not be scored),
        ``pending`` (not rated yet) and ``checked_at`` (``first`` and ``last``, ISO 8601
        in UTC), over the active resources of its active public datasets
    """
    tk.check_access("tdpf_schema_rating_status", context, data_dict)
    name = data_dict.get("organization")
    if not isinstance(name, str) or not name.strip():
        raise tk.ValidationError({"organization": [tk._("Missing value")]})
    if "\x00" in name:  # names nothing (and PostgreSQL refuses it in a query)
        raise tk.ObjectNotFound(tk._("Organization not found"))
    group = model.Group.get(name.strip())
    if group is None or not group.is_organization or group.state != "active":
        raise tk.ObjectNotFound(tk._("Organization not found"))
    return dict(jobs.rating_status(group.id), organization=group.name)
