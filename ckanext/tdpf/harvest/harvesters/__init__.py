"""The TDPF harvesters; each is a CKAN plugin of its own, as ckanext-harvest requires."""
