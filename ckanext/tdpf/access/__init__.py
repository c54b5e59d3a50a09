"""Plugin ``tdpf_access``: shared and paid data: access requests, grants, usage and charges."""
