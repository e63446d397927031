"""Core statements run straight on the driver's cursor, for the few hottest writes.

SQLAlchemy's `Connection.execute` costs about three times the driver's own work for a
one-row statement (execution context, parameter construction, result metadata built
from the cursor description). On the cart's write path that was most of a request's
database time, so the cart store builds its statements with SQLAlchemy as usual and a
`DirectStatement` compiles each once per dialect, converts parameters with the
column types' own bind processors, and runs the SQL on the DBAPI connection under
the session's `Connection`, in the session's transaction: `db.session.commit()` and
`rollback()` cover these statements as any other.

What a plain driver call would lose is kept: driver errors are raised as SQLAlchemy's
`DBAPIError` subclasses (the app's error handlers and callers see what they would
see from `execute`), and a dropped connection invalidates the pooled connection, so
the next request gets a fresh one.

Limits, checked when a statement is first compiled: parameters are named plainly
(identifiers SQLAlchemy renders as they are), fixed (no expanding IN lists) and all
given at execution (a literal in the statement becomes a parameter too); result
columns are of types whose conversion needs no driver type code (integers, strings,
JSON, dates; not Numeric). SQLAlchemy's own statement logging (`echo`) does not show
these statements; engine events do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.sql.expression import Executable, Insert
from sqlalchemy.types import Numeric


@dataclass(frozen=True)
class _Compiled:
    sql: str
    parameter_names: frozenset[str]
    # Parameter names in the order a positional paramstyle (SQLite's `?`) wants them;
    # None for named styles (psycopg's `%(name)s`), which take the dict.
    positional_names: tuple[str, ...] | None
    bind_processors: dict[str, Callable[[Any], Any]]
    # One entry per result column, None where the driver's value is already right;
    # None as a whole when no column needs converting.
    result_processors: tuple[Callable[[Any], Any] | None, ...] | None


class DirectStatement:
    """A Core statement, compiled once per dialect, run on the raw DBAPI cursor."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # Keyed by what the SQL text depends on: the database, the driver, its paramstyle.
        self._by_dialect: dict[tuple[str, str, str], _Compiled] = {}

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        compiled = self._by_dialect.get(key)
        if compiled is None:
            compiled = self._by_dialect[key] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement = self.statement
        if isinstance(statement, Insert):
            # No implicit RETURNING of the new key: nothing here reads it back.
            statement = statement.inline()
        compiled = statement.compile(dialect=dialect)
        bind_processors = {}
        for name, bind in compiled.binds.items():
            if not name.isidentifier() or bind.expanding:
                raise InvalidRequestError(f"DirectStatement cannot take parameter {name!r}")
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                bind_processors[name] = processor
        columns = tuple(getattr(statement, "selected_columns", ()))
        if any(isinstance(column.type, Numeric) for column in columns):
            raise InvalidRequestError("DirectStatement cannot convert Numeric columns")
        result_processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        positional = compiled.positiontup if dialect.positional else None
        return _Compiled(
            sql=compiled.string,
            parameter_names=frozenset(compiled.binds),
            positional_names=tuple(positional) if positional is not None else None,
            bind_processors=bind_processors,
            result_processors=(
                result_processors if any(p is not None for p in result_processors) else None
            ),
        )

    def _run(self, connection: Connection, params: Mapping[str, Any]):
        dialect = connection.dialect
        compiled = self._compiled_for(dialect)
        values = dict(params)
        if not compiled.parameter_names <= values.keys():
            missing = ", ".join(sorted(compiled.parameter_names - values.keys()))
            raise InvalidRequestError(f"no value for parameter(s) {missing}")
        for name, processor in compiled.bind_processors.items():
            values[name] = processor(values[name])
        arguments: Sequence[Any] | Mapping[str, Any]
        if compiled.positional_names is not None:
            arguments = tuple(values[name] for name in compiled.positional_names)
        else:
            arguments = values
        sql = compiled.sql
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            # Engine event listeners see these statements as any other (query counting
            # in the tests, tracing); with none registered this costs one truth test.
            listeners = connection.dispatch
            if listeners.before_cursor_execute:
                for listener in listeners.before_cursor_execute:
                    sql, arguments = listener(connection, cursor, sql, arguments, None, False)
            try:
                cursor.execute(sql, arguments)
            except dialect.loaded_dbapi.Error as error:
                raise self._wrapped(connection, error, sql, arguments) from error
            if listeners.after_cursor_execute:
                for listener in listeners.after_cursor_execute:
                    listener(connection, cursor, sql, arguments, None, False)
        except BaseException:
            cursor.close()
            raise
        return compiled, cursor

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple]:
        """Every result row, as tuples in the statement's column order."""
        compiled, cursor = self._run(connection, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        processors = compiled.result_processors
        if processors is None:
            return rows
        return [
            tuple(
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )
            for row in rows
        ]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple | None:
        found = self.rows(connection, params)
        return found[0] if found else None

    def run(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Execute a statement that returns no rows; the number of rows it changed."""
        _compiled, cursor = self._run(connection, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    @staticmethod
    def _wrapped(connection: Connection, error: Exception, sql: str, arguments) -> DBAPIError:
        dialect = connection.dialect
        dbapi_connection = connection.connection.dbapi_connection
        disconnected = dialect.is_disconnect(error, dbapi_connection, None)
        if disconnected:
            connection.invalidate(error)
        return DBAPIError.instance(
            sql,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=disconnected,
            dialect=dialect,
        )
