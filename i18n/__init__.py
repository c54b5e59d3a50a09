"""Translation catalogs of ckanext-tdpf (domain ``ckanext-tdpf``), packaged as ckanext.tdpf.i18n."""
