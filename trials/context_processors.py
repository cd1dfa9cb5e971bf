"""Template context for every page: the shared vocabulary (trials/vocabulary.py)."""

from .vocabulary import vocabulary as _vocabulary


def vocabulary(request) -> dict:
    return {"vocabulary": _vocabulary()}
