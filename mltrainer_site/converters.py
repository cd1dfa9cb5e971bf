"""URL converters. `<id:...>` is a row id of at most 18 digits, so it fits PostgreSQL's bigint: a longer number is a
404, never a database error. Every route with an object id uses it, not `<int:...>`."""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
