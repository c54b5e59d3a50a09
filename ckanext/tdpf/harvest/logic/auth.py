"""Who may call the harvest plugin's own actions. Auth functions answer, they never
raise."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["tdpf_harvest_dataset_source_list"]


@tk.auth_allow_anonymous_access
def tdpf_harvest_dataset_source_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever may see the dataset may see which catalogs it comes from."""
    try:
        tk.check_access("package_show", context, {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Not authorized to see this dataset.")}
    except tk.ObjectNotFound:
        pass  # (the action says so)
    return {"success": True}
