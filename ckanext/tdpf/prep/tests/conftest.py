from __future__ import annotations

import pathlib

DATAFILES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "datafiles"
FIXTURES = sorted(path for path in DATAFILES.iterdir() if path.suffix != ".md")
