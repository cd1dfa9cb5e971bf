"""The users of `make bench-load` (scripts/bench_concurrency.py runs this with locust, on loopback only).

Each user holds one keep-alive connection (locust's FastHttpUser: geventhttpclient, which costs the client a fifth
of requests' CPU; the client shares the 2 cores with the server, so a cheaper one leaves more of them to what is
measured) and browses as a person does: the trial list, trial detail pages, a list sorted by a metric, now and then
a CSV export of the team's trials. They share one access token (MLTRAINER_BENCH_TOKEN) that the driver got: 50
logins would be 50 deliberately slow password hashes, measured instead of browsing. MLTRAINER_BENCH_TRIALS (trial
ids, comma-separated) comes from the driver too; MLTRAINER_BENCH_MIX=detail makes every user read trial details
only.
"""

import os
import random

from locust import FastHttpUser, between, task

TOKEN = os.environ.get("MLTRAINER_BENCH_TOKEN", "")
TRIALS = [int(n) for n in os.environ.get("MLTRAINER_BENCH_TRIALS", "1").split(",")]
DETAIL_ONLY = os.environ.get("MLTRAINER_BENCH_MIX") == "detail"


class Researcher(FastHttpUser):
    concurrency = 1  # one connection per user, reused
    wait_time = between(0.0, 0.2) if not DETAIL_ONLY else between(0.0, 0.0)

    default_headers = {"Authorization": f"Bearer {TOKEN}"}

    @task(6)
    def trial_detail(self):
        self.client.get(f"/api/trials/{random.choice(TRIALS)}/", name="GET /api/trials/{id}/")

    @task(0 if DETAIL_ONLY else 3)
    def trial_list(self):
        self.client.get("/api/trials/?limit=50", name="GET /api/trials/?limit=50")

    @task(0 if DETAIL_ONLY else 1)
    def trial_list_by_metric(self):
        self.client.get("/api/trials/?limit=50&sort=-sharpe", name="GET /api/trials/?sort=-sharpe")

    @task(0 if DETAIL_ONLY else 1)
    def export(self):
        # Streamed: the figure is the time to the first byte, the body is read to its end (64 KiB at a time).
        answer = self.client.get("/api/trials/export.csv", name="GET /api/trials/export.csv", stream=True)
        while answer.stream.read(65536):
            pass

    @task(0 if DETAIL_ONLY else 1)
    def healthz(self):
        self.client.get("/healthz", name="GET /healthz")
