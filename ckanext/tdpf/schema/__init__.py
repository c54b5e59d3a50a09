"""Plugin ``tdpf_schema``: the TDPF dataset schema and the data rate (データレート)."""
