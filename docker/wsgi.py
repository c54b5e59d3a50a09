"""WSGI entry point: ``gunicorn --chdir docker wsgi:application`` with CKAN_INI set."""
import os

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
