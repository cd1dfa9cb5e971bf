"""The Celery application; tasks live in each app's tasks.py."""

import os

from celery import Celery, signals
from kombu.transport import TRANSPORT_ALIASES

from observability import worker as worker_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltrainer_site.settings")

# redis:// and redis+socket:// (kombu's alias "redis") through our subclass of kombu's transport (kombu_redis.py).
TRANSPORT_ALIASES["redis"] = "mltrainer_site.kombu_redis:Transport"

app = Celery("mltrainer_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# `celery worker` only (not beat, not `celery inspect`): serve the pool's metrics on WORKER_METRICS_PORT.
signals.celeryd_init.connect(worker_metrics.start_worker_exporter, weak=False)
signals.worker_process_shutdown.connect(worker_metrics.mark_child_dead, weak=False)


@signals.worker_process_init.connect(weak=False)
def _train_at_lower_priority(**_) -> None:
    """Each pool process (where trials train) lowers its own CPU priority by WORKER_NICE; the worker's parent, which
    only takes messages and answers pings, keeps its own."""
    from django.conf import settings

    if settings.WORKER_NICE:
        os.nice(settings.WORKER_NICE)
