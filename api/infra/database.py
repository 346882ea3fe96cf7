"""The database: SQLAlchemy bound in the app factory, Alembic through Flask-Migrate."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints make Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def executor(session: Session | None = None) -> Session | Connection:
    """Where a hot path runs a Core statement (or a select of columns): the session's
    connection, in the session's transaction, when nothing waits to be flushed; else the
    session itself, which flushes first (autoflush) so the statement sees those changes.

    The connection skips the ORM's execution layer: ~120 us less per statement measured
    on SQLite (a post by slug 179 -> 59 us), a few of which run for every comment.
    Results are the same rows; only entities need the session.
    """
    session = session if session is not None else db.session()
    if session.new or session.dirty or session.deleted:
        return session
    return session.connection()


def insert_new_rows(table: Table, rows: dict | list[dict], *, unique: list[str]) -> None:
    """Insert the rows whose `unique` columns match no stored row, skipping the others
    (INSERT ... ON CONFLICT DO NOTHING, in each database's dialect): for consumers that
    may replay an event after a crash."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=unique))


_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}
_READS_OUTSIDE = "marginalia.reads_outside_transaction"  # in session.info: for which transaction


def reads_outside_transaction(session: Session | None = None) -> None:
    """The caller's next statements each run on their own, with no transaction around
    them: for a request that only reads before handing its write to the group commit
    (api/infra/group_commit.py). On PostgreSQL that saves the BEGIN and ROLLBACK round
    trips, and each statement sees what was committed before it, exactly as it would
    in a READ COMMITTED transaction; SQLite reads outside a write as it always did.
    The connection goes back to the pool with its usual isolation."""
    session = session if session is not None else db.session()
    if session.in_transaction():
        return
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite begins a transaction only before a write: its reads already run
        # alone, and switching isolation costs a PRAGMA now and another on check-in.
        session.connection()
        session.info[_READS_OUTSIDE] = session.get_transaction()
        return
    session.connection(execution_options=_AUTOCOMMIT)


def holds_transaction(session: Session | None = None) -> bool:
    """Whether the session has a database transaction open: not when it has none, nor
    when its reads run outside one (`reads_outside_transaction`)."""
    session = session if session is not None else db.session()
    if not session.in_transaction():
        return False
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if session.info.get(_READS_OUTSIDE) is not session.get_transaction():
            return True  # undeclared reads: ending them gives the connection back
        return connection.connection.dbapi_connection.in_transaction
    return connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"


_PIPELINED = "marginalia.pipelined"  # in session.info while a pipelined block is open


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """PostgreSQL: the block's statements go out together, and come back in one round
    trip when it ends (psycopg's pipeline mode), except where a result is read (a fetch
    sends what waits and reads it). For writes whose results nobody reads: a unit of
    work's staged writers and its COMMIT (`commit_pipelined`). Inside another pipelined
    block it is part of that one. A statement the database refuses raises when the
    block ends, as the SQLAlchemy error it would be outside (a broken constraint: an
    IntegrityError). Elsewhere: the block as is."""
    connection = session.connection()
    if connection.dialect.driver != "psycopg" or session.info.get(_PIPELINED):
        yield
        return
    import psycopg

    session.info[_PIPELINED] = True
    try:
        with connection.connection.dbapi_connection.pipeline():
            yield
    except psycopg.Error as error:
        raise DBAPIError.instance("(pipelined statements)", None, error, psycopg.Error) from error
    finally:
        session.info.pop(_PIPELINED, None)


def commit_pipelined(session: Session) -> None:
    """In a pipelined block: COMMIT goes out with the block's statements, in its round
    trip; the session's own commit after the block then sends nothing (the connection
    is idle). Outside one, nothing: the session's commit sends it."""
    if session.info.get(_PIPELINED):
        session.connection().exec_driver_sql("COMMIT")
