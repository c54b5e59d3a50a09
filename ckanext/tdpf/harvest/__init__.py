"""Plugin ``tdpf_harvest``: harvesting of municipal, metropolitan and national catalogs into the TDPF schema."""
