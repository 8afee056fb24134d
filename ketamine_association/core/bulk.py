"""Many plain rows into one table in one statement: the batch writes of a large import.

`Model.objects.bulk_create` builds a model instance for every row and prepares every field
of it in Python, which costs more than the insert itself for narrow rows written by the
thousand (an import's findings and tag links). `insert_rows` takes values that are already
what the database stores (ints, strings, None) and hands them to the driver at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """INSERT each of `rows` (values in the order of `fields`, model field names) into
    `model`'s table; the number of rows written. Values are not converted: give what the
    column stores (a foreign key's id, not the object)."""
    rows = [tuple(row) for row in rows]
    if not rows:
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)
