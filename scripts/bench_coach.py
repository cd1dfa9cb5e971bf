"""`make bench`, coach part: the time from sending a message to the first streamed token, against the local fake of
the Messages API (tests/fakes/fake_anthropic.py, which answers at once: everything measured is the platform's).

A throwaway system like make run's (benchkit: SQLite, embedded Redis, the production web server and one Celery
worker as separate processes). A client holds /ws/coach/<id>/ open with a Bearer token, POSTs a message (202) and
times the first `token` event; the fake records when the worker's request reached it, which splits the figure into
"POST -> Anthropic request" (the web request, the broker, the task, the history and prompt) and "Anthropic's first
event -> browser" (the worker, the Redis channel layer, the consumer)."""

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
import benchkit  # noqa: E402

from tests.fakes.fake_anthropic import VALID_KEY, FakeAnthropic, text  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_COACH_MESSAGES", "15"))


async def _measure(system, token: str, conversation: int, claude: FakeAnthropic) -> list[tuple[float, float]]:
    import httpx
    import websockets

    url = system.base.replace("http://", "ws://") + f"/ws/coach/{conversation}/"
    samples = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as socket:
        json.loads(await socket.recv())  # the state event
        async with httpx.AsyncClient(base_url=system.base, timeout=60) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            for n in range(MESSAGES + 1):  # the first one warms the worker (the SDK's import, connections)
                claude.reply(text("A short answer, streamed."))
                sent = time.monotonic()
                posted = await client.post(f"/api/coach/conversations/{conversation}/messages/", json={"text": f"#{n}"})
                assert posted.status_code == 202, posted.text
                first = None
                while True:
                    event = json.loads(await asyncio.wait_for(socket.recv(), timeout=60))
                    if event["type"] == "token" and first is None:
                        first = time.monotonic()
                    if event["type"] in ("done", "error"):
                        assert event["type"] == "done", event
                        break
                reached = claude.requests[-1]["received_at"]
                if n:
                    samples.append((first - sent, reached - sent))
    return samples


def main() -> None:
    with FakeAnthropic() as claude:
        system = benchkit.System(
            "sqlite", extra_env={"ANTHROPIC_API_KEY": VALID_KEY, "ANTHROPIC_BASE_URL": claude.base_url,
                                 "RATE_COACH_PER_USER": "0", "RATE_COACH_PER_TEAM": "0"},
        )  # fmt: skip
        try:
            system.setup("bench")
            system.start_web()
            system.start_worker(concurrency=1)
            client = system.client("bench")
            conversation = client.post("/api/coach/conversations/", json={"goal": "bench"}).json()["id"]
            token = client.headers["Authorization"].split()[1]
            samples = asyncio.run(_measure(system, token, conversation, claude))
        except BaseException:
            print(system.errors())
            raise
        finally:
            system.stop()
    first = [s[0] * 1000 for s in samples]
    reached = [s[1] * 1000 for s in samples]
    median = statistics.median(first)
    verdict = "met" if median < 100 else "missed"
    spread = f"best {min(first):.1f}, worst {max(first):.1f}"
    print(f"coach: message sent -> first streamed token, median of {len(first)}: {median:6.1f} ms "
          f"({spread}; target < 100 ms of platform overhead: {verdict})")  # fmt: skip
    relay = statistics.median(f - r for f, r in zip(first, reached, strict=True))
    print(
        f"  of which POST -> the worker's request reaching Anthropic: {statistics.median(reached):6.1f} ms; "
        f"Anthropic's first event -> the socket: {relay:6.1f} ms"
    )


if __name__ == "__main__":
    main()
