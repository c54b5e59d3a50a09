"""ckanext-tdpf: the CKAN extension suite of the Tokyo Data Platform (東京データプラットフォーム)."""
