"""Alembic environment of this plugin's migration branch."""
from ckanext.tdpf.migration.alembic_env import run_migrations

run_migrations(__file__)
