"""ASGI entry point for uvicorn workers: ``modelvs.web.asgi:app``.

Configured by environment variables so that every worker process builds the same app:
``MODELVS_DATA`` (catalog directory) and ``MODELVS_AS_OF`` (fixed date, optional).
"""

from __future__ import annotations

import datetime as dt
import os

from modelvs.catalog.load import default_data_dir
from modelvs.web.app import create_app

_as_of = os.environ.get("MODELVS_AS_OF")
app = create_app(
    data_dir=default_data_dir(),
    as_of=dt.date.fromisoformat(_as_of) if _as_of else None,
)
