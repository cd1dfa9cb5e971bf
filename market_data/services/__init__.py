"""Everything that writes or decides about market data, one module per seam:

- datasets: storing series all-or-nothing with provenance and a SHA-256; the bundled history;
- keys: teams' provider keys and the rate-limited clients opened with them;
- fetching: fetch jobs that bring only a series' missing dates in, through any registered provider;
- watchlist: series a team keeps fresh on a schedule;
- uploads: validated CSV files;
- search: looking series up at a provider;
- access: the roles each of these needs.

Import from here (`from market_data.services import fetch_job_create`); the modules are the implementation.
"""

from ..errors import FetchInvalid
from .access import data_access
from .datasets import BUNDLED, bundled_load, dataset_publication_lag_set, dataset_store
from .fetching import (
    STALE_FETCH_JOB_AFTER,
    dataset_fetch,
    fetch_job_create,
    fetch_job_enqueue,
    fetch_job_reap_stale,
    fetch_job_run,
    today_in_new_york,
)
from .keys import api_key_for, provider_connect, provider_for, team_api_key_delete, team_api_key_set
from .search import provider_search
from .uploads import dataset_upload
from .watchlist import watch_item_add, watch_item_remove, watchlist_refresh

__all__ = [
    "BUNDLED",
    "STALE_FETCH_JOB_AFTER",
    "FetchInvalid",
    "api_key_for",
    "bundled_load",
    "data_access",
    "dataset_fetch",
    "dataset_publication_lag_set",
    "dataset_store",
    "dataset_upload",
    "fetch_job_create",
    "fetch_job_enqueue",
    "fetch_job_reap_stale",
    "fetch_job_run",
    "provider_connect",
    "provider_for",
    "provider_search",
    "team_api_key_delete",
    "team_api_key_set",
    "today_in_new_york",
    "watch_item_add",
    "watch_item_remove",
    "watchlist_refresh",
]
