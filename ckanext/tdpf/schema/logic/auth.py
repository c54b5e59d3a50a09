"""Who may call the ``tdpf_schema`` actions. Auth functions answer, they never raise."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["tdpf_schema_rating_status"]


@tk.auth_allow_anonymous_access
def tdpf_schema_rating_status(context: Context, data_dict: DataDict) -> AuthResult:
    """Counts over public datasets: anyone may read them."""
    return {"success": True}
