"""Rasa's SQL tracker store, made to survive a database restart.

Rasa's ``SQLTrackerStore`` keeps a pool of connections and uses them without checking:
after PostgreSQL restarts, each pooled connection fails once before the pool notices.
This store checks a connection before it uses it (``pool_pre_ping``), so the first turn
after a restart already works, and everything else is Rasa's store unchanged.

Configure it in endpoints.yml::

    tracker_store:
      type: bot.production.tracker_store.ResilientSQLTrackerStore
      dialect: postgresql
      url: 127.0.0.1
      port: 5432
      db: mfi
      username: postgres
      login_db: postgres
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose connections are checked before each use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Creates Rasa's store, then replaces its engine by one that pre-pings.

        Args:
            args: SQLTrackerStore's arguments.
            kwargs: SQLTrackerStore's keyword arguments (``host`` is the database host).
        """
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def ping(self) -> bool:
        """True when the database answers."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
