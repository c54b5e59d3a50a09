"""Who may merge: editors (and admins) of the organization that is to hold the merged
dataset, and sysadmins (CKAN lets sysadmins through before these run). Reading a merge's
status and the coverage is for anyone (each answer holds only what ``package_show`` and
``package_search`` show the caller). Never raises."""
from __future__ import annotations

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tdpf.lib.i18n import N_, bilingual

__all__ = ["tdpf_prep_merge", "tdpf_prep_merge_show", "tdpf_prep_merge_list",
           "tdpf_prep_coverage"]


def tdpf_prep_merge(context: Context, data_dict: DataDict) -> AuthResult:
    user = context.get("user")
    if not user:
        return {"success": False, "msg": bilingual(N_("You must be logged in."))}
    owner = data_dict.get("owner_org") if isinstance(data_dict, dict) else None
    group = model.Group.get(owner) if isinstance(owner, str) and owner else None
    if group is None or not group.is_organization:
        return {"success": True}  # the action answers with a field error on owner_org
    if authz.has_user_permission_for_group_or_org(group.id, user, "create_dataset"):
        return {"success": True}
    return {"success": False, "msg": bilingual(N_(
        "Only editors of the organization that holds the merged dataset may merge."))}


@tk.auth_allow_anonymous_access
def tdpf_prep_merge_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def tdpf_prep_merge_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def tdpf_prep_coverage(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}
