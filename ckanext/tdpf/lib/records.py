"""What the plugins' own tables share: row ids, the time now, and times as the API gives
them."""
from __future__ import annotations

import datetime
import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso(value: datetime.datetime | None) -> str | None:
    """ISO 8601 in UTC, as CKAN's API gives times (pages show them in Japan time)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc).isoformat()
