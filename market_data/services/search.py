"""Looking series up at a provider (tickers, FRED series...) through the team's key."""

from accounts.models import Team

from ..errors import FetchInvalid
from .keys import provider_connect


def provider_search(*, team: Team, source: str, query: str, limit: int = 20) -> list[dict]:
    """Series of `source` matching `query`, each with at least "symbol" and "name", through the team's key."""
    query = (query or "").strip()
    if not query:
        raise FetchInvalid({"q": "is required: part of a ticker, a company or a series title"})
    provider, client = provider_connect(team=team, source=source)
    return provider.search(client, query=query, limit=limit)
