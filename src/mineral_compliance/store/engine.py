"""Opening a store by its URL, and bringing its schema to the newest revision.

``sqlite:///campaign.db`` (a file, nothing to install) or ``postgresql+psycopg://...`` (a
server a team shares). On SQLite every transaction takes the write lock when it begins
(``BEGIN IMMEDIATE``) and waits up to 30 s for it, so two ingests into one file queue
rather than fail halfway; foreign keys are enforced. On PostgreSQL, uniqueness is the
database's (a file already stored by another ingest is skipped, never stored twice) and the
campaign row is locked while supersession is decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..errors import StoreError

__all__ = ["DEFAULT_URL", "head_revision", "migrate", "open_engine", "revision_of"]

DEFAULT_URL = "sqlite:///campaign.db"
"""The store used when none is named: a SQLite file in the working folder."""

_MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, explicitly
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str = DEFAULT_URL) -> Engine:
    """An engine on the store at ``url`` (not yet migrated: see :func:`migrate`)."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not Path(database).parent.is_dir():
                raise StoreError(f"the folder of the store {database!r} does not exist",
                                 hint="create the folder, or give another --db URL")
            engine = create_engine(parsed, connect_args={"timeout": 30})
            _sqlite_hooks(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"cannot open the store {_safe(url)!r}: {exc}",
                         hint="a URL such as sqlite:///campaign.db or "
                              "postgresql+psycopg://user@host/db") from exc


def _safe(url: str) -> str:
    """``url`` with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def head_revision() -> str:
    """The newest revision of the schema this version of the library writes."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def revision_of(engine: Engine) -> str | None:
    """The revision the store is at; None for an empty database."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the store {_safe(str(engine.url))}: {exc}") from exc


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to ``revision`` (default: the newest), from any earlier
    one, an empty database included. A store written by a newer version of the library is
    refused rather than changed."""
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    current = revision_of(engine)
    if current is not None and current not in known:
        raise StoreError(f"the store is at schema revision {current}, which this version of "
                         "mineral_compliance does not know",
                         hint="upgrade mineral_compliance to open this store")
    config = _config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the store {_safe(str(engine.url))}: {exc}") from exc
