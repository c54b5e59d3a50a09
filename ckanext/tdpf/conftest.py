"""Fixtures shared by every TDPF plugin's tests (all prefixed ``tdpf_``)."""
from ckanext.tdpf.tests.live import tdpf_browser, tdpf_live_site  # noqa: F401
