"""The Alembic environment shared by the suite's migration branches: each plugin has its
own branch (``migration/<plugin>/``, version table ``<plugin>_alembic_version``) and only
touches its own tables (``<plugin>_*``)."""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from ckan.model.meta import metadata


def run_migrations(env_file: str) -> None:
    config = context.config
    fileConfig(config.config_file_name)
    name = os.path.basename(os.path.dirname(env_file))

    def include_object(object, object_name, type_, reflected, compare_to):
        return object_name.startswith(name) if type_ == "table" else True

    options = {"target_metadata": metadata, "include_object": include_object,
               "version_table": f"{name}_alembic_version"}
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
                          **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(config.get_section(config.config_ini_section),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
