"""DRF's JSON parser, refusing what would otherwise become a 500 further in (see security.inputs)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .inputs import MAX_JSON_DEPTH, json_problem


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep") from None
        problem = json_problem(data)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return data
