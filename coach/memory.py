"""The team's memory: messages indexed by topic (rows taken from structured data: tool inputs, proposals, trial
results) and searched with the database's full-text search (PostgreSQL's to_tsvector / websearch_to_tsquery;
SQLite's FTS5 table on the embedded default, see migration 0007). The coach reads it with the search_memory tool."""

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Team

from .models import Message, Topic

TOPIC_FIELDS = {"model": Topic.Kind.MODEL, "metric": Topic.Kind.METRIC}


def topics_of_turns(turns: list[dict]) -> set[tuple[str, str]]:
    """(kind, value) pairs named by the tool_use inputs of a reply's assistant turns."""
    found: set[tuple[str, str]] = set()
    for turn in turns:
        if turn.get("role") != "assistant":
            continue
        for block in turn.get("content") or []:
            tool_input = block.get("input") if block.get("type") == "tool_use" else None
            if not isinstance(tool_input, dict):
                continue
            for name, kind in TOPIC_FIELDS.items():
                if isinstance(tool_input.get(name), str) and tool_input[name]:
                    found.add((kind, tool_input[name][:100]))
            for key in tool_input.get("models") or []:
                if isinstance(key, str):
                    found.add((Topic.Kind.MODEL, key[:100]))
            data = tool_input.get("data") if isinstance(tool_input.get("data"), dict) else tool_input
            if isinstance(data.get("symbol"), str) and data["symbol"]:
                found.add((Topic.Kind.SYMBOL, data["symbol"][:100]))
            ids = tool_input.get("ids") if isinstance(tool_input.get("ids"), list) else [tool_input.get("id")]
            found |= {(Topic.Kind.TRIAL, str(i)) for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    return found


def topics_store(*, message: Message, team: Team, topics: set[tuple[str, str]]) -> None:
    Topic.objects.bulk_create(
        [Topic(team=team, message=message, kind=kind, value=value) for kind, value in sorted(topics)],
        ignore_conflicts=True,
    )


def _fts5_query(text: str) -> str:
    """The words of a search as FTS5 string literals (any FTS5 syntax in the text is taken literally)."""
    words = [word.replace('"', '""') for word in text.split() if word.strip('"')]
    return " OR ".join(f'"{word}"' for word in words)


def memory_search(*, team: Team, query: str, topics: dict | None = None, limit: int = 8) -> QuerySet[Message]:
    """The team's messages matching `query` (full-text) and every topic given, best match first."""
    messages = Message.objects.filter(conversation__team=team).select_related("conversation")
    for kind, value in (topics or {}).items():
        messages = messages.filter(topics__kind=kind, topics__value__iexact=value)
    query = (query or "").strip()
    if query:
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            search = SearchQuery(query, config="english", search_type="websearch")
            messages = (
                messages.annotate(rank=SearchRank(SearchVector("text", config="english"), search))
                .filter(rank__gt=0)
                .order_by("-rank", "-created_at")
            )
        elif connection.vendor == "sqlite":
            matched = RawSQL(
                "SELECT rowid FROM coach_message_fts WHERE coach_message_fts MATCH %s", [_fts5_query(query)]
            )
            messages = messages.filter(pk__in=matched).order_by("-created_at")
        else:
            messages = messages.filter(text__icontains=query).order_by("-created_at")
    else:
        messages = messages.order_by("-created_at")
    return messages.distinct()[:limit] if topics else messages[:limit]
