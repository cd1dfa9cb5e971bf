"""The signal other apps hang reactions to new data on (the registry's live signals).

`dataset_rows_changed` is sent once the transaction that stored a dataset's rows commits: a fetch (on demand or by
the watch-list) that added bars, an upload, a replace. kwargs: dataset_id (int), team_id (int | None: shared data),
key (str). Listeners run in the process that stored the rows, after commit, through send_robust: one that raises is
logged and stops nothing. They must be cheap (send a task) and idempotent (the same rows may be announced twice).
"""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

dataset_rows_changed = Signal()


def rows_changed_announce(*, dataset_id: int, team_id: int | None, key: str) -> None:
    def send() -> None:
        for receiver, result in dataset_rows_changed.send_robust(
            sender="market_data", dataset_id=dataset_id, team_id=team_id, key=key
        ):
            if isinstance(result, Exception):
                logger.error("dataset %s: listener %s failed", dataset_id, receiver, exc_info=result)

    transaction.on_commit(send)
