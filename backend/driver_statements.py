"""Statements of the hot paths, compiled once and run on the driver's own cursor.

A Core `Connection.execute` builds an execution context and a result around the driver's
cursor: about 38 µs a statement on SQLite and 90–160 µs on PostgreSQL (psycopg), against
12 and 93 µs in all on the driver's cursor (bench/README.md). A `DriverStatement` keeps what
only SQLAlchemy does well, the SQL for each dialect and the columns' result processing
(compiled once), and the pool (checkout, the disconnect check, invalidation), and does the
rest itself: driver errors become SQLAlchemy's, and a connection the database dropped is not
put back in the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, NamedTuple, cast

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from backend.sqlite_write_gate import write_gate


class _Compiled(NamedTuple):
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order, for a positional paramstyle
    fixed: dict[str, Any]  # the statement's own values (the 1 of `entries + 1`)
    processors: tuple[Callable[[Any], Any] | None, ...]  # per result column, as Core applies


class DriverStatement:
    """A Core statement with named bind parameters, run for its first row."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._writes = statement.is_dml
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}

    def first(self, engine: Engine, **parameters: Any) -> tuple | None:
        """The first row the statement returns (committed at once: autocommit connections)."""
        dialect = engine.dialect
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        compiled = self._compiled.get(key) or self._compile(key, engine)
        values = {**compiled.fixed, **parameters} if compiled.fixed else parameters
        driver_parameters: Any = (
            values if compiled.positions is None else [values[name] for name in compiled.positions]
        )
        try:
            connection = engine.raw_connection()  # the pool does not wrap the driver's errors
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                None, None, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        cursor = None
        gate = write_gate(engine) if self._writes else None
        try:
            cursor = connection.cursor()
            # SQLite commits an UPDATE ... RETURNING once its row is fetched: both in the gate.
            with gate.held() if gate else nullcontext():
                cursor.execute(compiled.sql, driver_parameters)
                row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:
            dropped = dialect.is_disconnect(error, connection.dbapi_connection, cursor)
            if dropped:
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.sql,
                driver_parameters,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=dropped,
                dialect=dialect,
            ) from error
        finally:
            if cursor is not None and connection.is_valid:
                cursor.close()
            connection.close()
        if row is None or not any(compiled.processors):
            return row
        return tuple(
            value if process is None else process(value)
            for process, value in zip(compiled.processors, row, strict=True)
        )

    def _compile(self, key: tuple[str, str, str], engine: Engine) -> _Compiled:
        dialect = engine.dialect
        compiled = cast(SQLCompiler, self._statement.compile(dialect=dialect))
        self._compiled[key] = _Compiled(
            sql=str(compiled),
            positions=tuple(compiled.positiontup or ()) if compiled.positional else None,
            fixed={
                name: bind.effective_value
                for bind, name in compiled.bind_names.items()
                if not bind.required
            },
            processors=tuple(
                column.type._cached_result_processor(dialect, None)
                for column in compiled._result_columns
            ),
        )
        return self._compiled[key]
