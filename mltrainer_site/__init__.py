"""mlTrainer project wiring: settings, URLs, ASGI and the Celery app."""

# The Celery app is not imported here: `celery -A mltrainer_site` finds mltrainer_site.celery by itself, and the
# web process imports Celery only when it sends a task (mltrainer_site.broker).
