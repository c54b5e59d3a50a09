"""Database set-up the test modules share."""
from __future__ import annotations

import pathlib
import sys

import ckan.model as model


def migrate_mapped_harvest() -> None:
    """Bring ckanext-harvest's tables back when its model is loaded in this process.

    Once any test module imports ``ckanext.harvest.model`` (the harvest tests do), its
    tables stay mapped onto ``Package`` for the rest of the run: purging a dataset then
    reads ``harvest_object`` even in a module whose plugin list has no ``harvest``, and
    CKAN's ``reset_db`` has dropped that table. ``migrate_db_for`` needs the plugin
    enabled, so this runs the plugin's alembic migrations itself."""
    harvest_model = sys.modules.get("ckanext.harvest.model")
    if harvest_model is None:
        return
    alembic_ini = (pathlib.Path(harvest_model.__file__).resolve().parents[1]
                   / "migration" / "harvest" / "alembic.ini")
    original = model.repo._alembic_ini
    model.repo._alembic_ini = str(alembic_ini)
    try:
        model.repo.upgrade_db("head")
    finally:
        model.repo._alembic_ini = original
