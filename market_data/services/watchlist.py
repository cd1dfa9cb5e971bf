"""The watch-list: series a team keeps fresh; the beat schedule fetches whatever dates each one is missing."""

from datetime import date

from accounts.models import Team, User
from accounts.services import membership_require

from ..errors import FetchInvalid
from ..models import FetchJob, WatchItem
from . import fetching
from .access import DATA_WRITERS


def watch_item_add(
    *,
    team: Team,
    user: User,
    source: str,
    symbol: str,
    start: date | None,
    multiplier: int = 1,
    timespan: str = "day",
    adjusted: bool = True,
) -> WatchItem:
    membership_require(user=user, team=team, roles=DATA_WRITERS, action="change the watch-list")
    symbol = (symbol or "").strip().upper()
    _, options, errors = fetching.series_request_clean(
        source=source,
        symbol=symbol,
        start=start,
        end=start,
        multiplier=multiplier,
        timespan=timespan,
        adjusted=adjusted,
    )
    errors.pop("end", None)
    if errors:
        raise FetchInvalid(errors)
    identity = {"source": source, "symbol": symbol, **options}
    if WatchItem.objects.filter(team=team, **identity).exists():
        raise FetchInvalid({"symbol": f"{symbol} is already on {team.name}'s watch-list"})
    return WatchItem.objects.create(team=team, created_by=user, start=start, **identity)


def watch_item_remove(*, item: WatchItem, user: User) -> None:
    membership_require(user=user, team=item.team, roles=DATA_WRITERS, action="change the watch-list")
    item.delete()


def watchlist_refresh(*, team: Team | None = None) -> list[FetchJob]:
    """Fetch what every watched series (of one team, or all) is missing up to today, one job per series.

    Runs the jobs here, one after another; an item whose previous job is still queued or running is skipped."""
    items = WatchItem.objects.select_related("team").order_by("team_id", "source", "symbol")
    if team is not None:
        items = items.filter(team=team)
    fetching.fetch_job_reap_stale()
    busy = set(
        FetchJob.objects.filter(
            watch_item__in=items, status__in=[FetchJob.Status.QUEUED, FetchJob.Status.RUNNING]
        ).values_list("watch_item_id", flat=True)
    )
    today = fetching.today_in_new_york()
    jobs = []
    for item in items:
        if item.pk in busy:
            continue
        job = FetchJob.objects.create(
            team=item.team,
            user=None,
            source=item.source,
            symbol=item.symbol,
            start=item.start,
            end=max(today, item.start),
            multiplier=item.multiplier,
            timespan=item.timespan,
            adjusted=item.adjusted,
            watch_item=item,
        )
        fetching.fetch_job_run(job_id=job.pk)
        job.refresh_from_db()
        jobs.append(job)
    return jobs
