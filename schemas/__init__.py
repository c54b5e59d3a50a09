"""ckanext-scheming schemas of ckanext-tdpf, packaged as ``ckanext.tdpf.schemas``."""
