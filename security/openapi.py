"""The error answers every API operation can give, added to the OpenAPI schema (a drf-spectacular postprocessing
hook, SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]), so clients and schemathesis know the 4xx shapes too.

Every operation: 400 (a NUL byte or lone surrogate in any input, JSON nested too deep, a field that fails
validation: `{"detail": ...}` or `{"<field>": [...]}`). Operations that need a login: 401 and 403. Operations on
an object named in the path: 404. A view documents its own other codes (409, 429) with @extend_schema; those,
and any code it already documents, are left as they are."""

from drf_spectacular.utils import OpenApiResponse

ERROR = {
    "type": "object",
    "description": "What went wrong, in words.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": 'The input refused: {"detail": "..."} for the request as a whole, or each field refused with '
    'its messages, e.g. {"name": ["Ensure this field has no more than 200 characters."]}.',
    "additionalProperties": True,
}
_DESCRIPTIONS = {
    "400": "The input is refused; the body says which part and why.",
    "401": "No valid credentials: log in at /api/auth/token/ and send the access token.",
    "403": "Logged in, but this user's role does not allow it (the body says why).",
    "404": "No such object, or not one of this user's teams' (the same answer: existence is not revealed).",
}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
# For a view's own @extend_schema(responses={...}):
CONFLICT = OpenApiResponse(_ERROR_REF, description="The object is not in a state that allows this (the body says why).")
RATE_LIMITED = OpenApiResponse(
    _ERROR_REF, description="Over the rate limit (security/limits.py); Retry-After says when to try again."
)
UNAUTHORIZED = OpenApiResponse(_ERROR_REF, description="The credentials or the token are not valid.")


def _response(code: str) -> dict:
    schema = "ValidationError" if code == "400" else "Error"
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def error_codes(*, path: str, operation: dict) -> list[str]:
    codes = ["400"]
    security = operation.get("security")
    if security and {} not in security:  # no security listed, or {} among it: anyone may call it
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    return codes


def document_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code in error_codes(path=path, operation=operation):
                responses.setdefault(code, _response(code))
    return result
