"""What the database and the services must never receive: NUL bytes, lone surrogates, and JSON nested too deep.

PostgreSQL refuses NUL in text and psycopg cannot encode a lone surrogate (a JSON "\\ud800"): either would surface as
a 500 deep inside a view, or, worse, inside a response that has already started streaming. Everything that comes
in is checked once, here, so a request carrying one gets a 400 naming the field before any view runs.
"""

import re

MAX_JSON_DEPTH = 64
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    found = _BAD_CHARACTER.search(value)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains a lone UTF-16 surrogate"


def json_problem(data: object, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """The first problem in parsed JSON, naming where it is (`data.symbol`, `items[2]`), or None.

    Walks with an explicit stack, so a deep document costs no recursion."""
    stack: list[tuple[object, str, int]] = [(data, "", 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict | list) and depth > max_depth:
            return f"JSON is nested more than {max_depth} levels deep"
        if isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                if problem:
                    return f"a field name in {where or 'the body'} {problem}"
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return f"{where or 'the body'} {problem}"
    return None
