"""Code shared by the TDPF plugins. Nothing here may import a plugin or a plugin interface."""
