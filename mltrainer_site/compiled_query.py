"""A queryset compiled once and run again with other values in its holes, for the queries every request makes; and an
INSERT compiled once, for the rows every submission writes (CompiledInsert).

Building and compiling a query through the ORM (filters, joins, the select list) costs more than running it on a
local database: 0.5-0.8 ms for the token's user or the trial detail, against 0.1 ms to run. A CompiledQuery keeps
the SQL of one queryset, built with placeholder values (the holes: parameters appearing once each), and runs it
with the values of the moment on the current connection. Rows come back as the queryset's would: through
Django's converters for that connection, as dicts (a values() queryset) or as model instances (a plain one).

On PostgreSQL both run as prepared statements (`_cursor`) once a connection has run them five times: the server then
plans each once per connection instead of on every request (planning the token's user, a join of three tables, cost
0.2-0.9 ms, against 0.08 ms to run it).
"""

import functools
from typing import Any, Generic, TypeVar

from django.db import connection, connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery


def _cursor(using: str):
    """A cursor of the `using` connection for a compiled statement: Django's own, except on PostgreSQL with
    prepared statements on (the settings' prepare_threshold), where the values are bound by the server, so that
    psycopg prepares the statement once the connection has run it that many times (and keeps the last 100 per
    connection, which stays in the pool). Django's own cursors bind on the client, which never prepares: not every
    ORM query could be (Django ticket #20516), but these few can, and they are the ones every request makes."""
    connection_ = connections[using]
    if connection_.vendor != "postgresql" or connection_.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return connection_.cursor()
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, Format, register_tzloader

    connection_.close_if_health_check_failed()
    connection_.ensure_connection()
    with connection_.wrap_database_errors:
        cursor = _server_binding_cursor()(connection_.connection)
        # As Django's create_cursor: datetimes come back in the connection's time zone.
        tzloader = connection_.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection_.timezone != tzloader.timezone:
            register_tzloader(connection_.timezone, cursor)
        return connection_._prepare_cursor(cursor)


@functools.cache
def _server_binding_cursor() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class Cursor(ServerBindingCursor):
        def _send_query_prepared(self, name, pgq, *, binary=None):
            super()._send_query_prepared(name, pgq, binary=binary)
            self._query = pgq  # as an unprepared execution keeps it: Django's query log reads the statement there

    return Cursor


class CompiledQuery:
    def __init__(self, queryset: QuerySet, holes: tuple[Any, ...]):
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        if any(list(params).count(hole) != 1 for hole in holes):
            raise ValueError(f"each hole must be one parameter of the query: {holes} in {params}")
        self.query, self.sql, self.params = query, sql, list(params)
        self._found_converters: list | None = None
        self.slots = [self.params.index(hole) for hole in holes]
        self.columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        if query.values_select or query.annotation_select:
            self.model = None
            self.names = list(query.selected or ()) or [
                *query.extra_select, *query.values_select, *query.annotation_select,
            ]  # fmt: skip
        elif all(isinstance(column, Col) and column.target.model is queryset.model for column in self.columns):
            self.model, self.names = queryset.model, [column.target.attname for column in self.columns]
        else:
            raise ValueError("a compiled model query selects its model's own columns only (no select_related)")

    def first(self, *values: Any) -> Any:
        """The first row with these values in the holes (a dict or a model instance), or None."""
        rows = self._run(values, 1)
        return rows[0] if rows else None

    def all(self, *values: Any) -> list:
        """Every row with these values in the holes (dicts or model instances)."""
        return self._run(values, None)

    def _run(self, values: tuple, limit: int | None) -> list:
        params = self.params.copy()
        for slot, value in zip(self.slots, values, strict=True):
            params[slot] = value
        with _cursor(connection.alias) as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        return [self._row(list(row)) for row in rows]

    def _row(self, row: list) -> Any:
        for position, (converters, column) in self._converters():
            value = row[position]
            for converter in converters:
                value = converter(value, column, connection)
            row[position] = value
        if self.model is None:
            return dict(zip(self.names, row, strict=True))
        return self.model.from_db(connection.alias, self.names, row)

    def _converters(self) -> list:
        """The columns' converters (SQLCompiler.get_converters), found once: they are the same for every connection
        of one kind of database, and finding them cost as much as running the query (as SQLCompiler.apply_converters
        does, each is called with the current connection)."""
        if self._found_converters is None:
            compiler = self.query.get_compiler(connection=connection)
            self._found_converters = list(compiler.get_converters(self.columns).items())
        return self._found_converters


M = TypeVar("M", bound=Model)


class CompiledInsert(Generic[M]):
    """Model.save() of a new row of one model (its primary key an auto field), with the INSERT built once per kind
    of database: the rows every submission writes (the trial, its compliance decision).

    The ORM rebuilt the statement for each row (its compiler, placeholders and quoting: about 0.3 ms of a
    submission). Here the values are prepared by the fields as save() prepares them (pre_save: auto_now_add;
    get_db_prep_save: JSON, datetimes), pre_save and post_save are sent as save() sends them, and the primary key
    comes back from the statement. A value that is an expression (F(), Now()) changes the SQL: that row goes
    through save() itself."""

    def __init__(self, model: type[M]):
        meta = model._meta
        if meta.parents or meta.auto_field is None:
            raise ValueError(f"{model.__name__}: a compiled insert needs an auto primary key and no parent model")
        self.model = model
        self.fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
        self._sql: dict[str, tuple[str, bool]] = {}

    def _statement(self, obj: M, using: str) -> tuple[str, bool]:
        """The INSERT's SQL for this database, and whether it returns the new primary key itself."""
        vendor = connections[using].vendor
        if vendor not in self._sql:
            query = InsertQuery(self.model)
            query.insert_values(self.fields, [obj])
            compiler = query.get_compiler(using=using)
            returning = connections[using].features.can_return_columns_from_insert
            compiler.returning_fields = [self.model._meta.pk] if returning else None
            ((sql, _),) = compiler.as_sql()
            self._sql[vendor] = (sql, returning)
        return self._sql[vendor]

    def insert(self, obj: M) -> M:
        """Store `obj` (unsaved, of this model) as save() would; returns it with its primary key."""
        model, using = self.model, router.db_for_write(self.model, instance=obj)
        if any(hasattr(getattr(obj, field.attname), "resolve_expression") for field in self.fields):
            obj.save(force_insert=True, using=using)
            return obj
        connection_ = connections[using]
        obj._prepare_related_fields_for_save(operation_name="save")
        pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
        # The statement first: compiling it runs the fields' pre_save on obj (auto_now_add sets the time again), and
        # the values stored must be the ones obj keeps.
        sql, returning = self._statement(obj, using)
        values = [field.get_db_prep_save(field.pre_save(obj, True), connection=connection_) for field in self.fields]
        pk_field = model._meta.pk
        with transaction.mark_for_rollback_on_error(using), _cursor(using) as cursor:
            cursor.execute(sql, values)
            if returning:
                pk = cursor.fetchone()[0]
            else:
                pk = connection_.ops.last_insert_id(cursor, model._meta.db_table, pk_field.column)
        setattr(obj, pk_field.attname, pk)
        obj._state.adding, obj._state.db = False, using
        post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using)
        return obj
