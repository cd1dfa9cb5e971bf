"""Browser tests: Debian's Chromium, driven by Playwright, against a real daphne and a real Celery worker.

The server and the worker are separate processes on the run's test database, broker queue and channel prefix
(tests/settings.py, MLTRAINER_TEST_RUN). The data the pages show is made once for the whole package and committed,
so the server sees it; the package's teardown empties the database again and reloads the bundled history.
Every page a test opens fails the test on a console error, an uncaught exception or a failed request, and main
pages are saved as screenshots under var/screenshots/.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
]
PASSWORD = "browser-pw-123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout} s")


@dataclass
class Site:
    url: str
    users: dict
    teams: dict
    trials: dict = field(default_factory=dict)
    claude: object = None  # the fake Messages API the server and the worker talk to (tests/fakes/fake_anthropic.py)


def _make_cast():
    from accounts.models import Membership, Team, User

    teams = {
        "a": Team.objects.create(name="Team A", slug="team-a"),
        "b": Team.objects.create(name="Team B", slug="team-b"),
    }
    users = {}
    for name, team, role in (("alice", "a", "owner"), ("bob", "a", "member"), ("victor", "a", "viewer"),
                             ("charlie", "b", "owner")):  # fmt: skip
        users[name] = User.objects.create_user(username=name, password=PASSWORD)
        Membership.objects.create(user=users[name], team=teams[team], role=role)
    return users, teams


def _run_now(team, user, payload) -> int:
    """A trial created and executed in this process (the worker is for the trials the tests launch)."""
    from trials.services import trial_create, trial_execute

    trial = trial_create(team=team, user=user, payload=payload)
    trial_execute(trial_id=trial.pk)
    return trial.pk


def _failed_trial(team, user, payload) -> int:
    """A trial that fails in the worker: too few rows for its folds (or, should submission learn to refuse that,
    the same failure recorded as the worker would)."""
    from django.utils import timezone

    from trials.models import Trial
    from trials.services import TrialSpecInvalid

    try:
        return _run_now(team, user, payload)
    except TrialSpecInvalid as exc:
        now = timezone.now()
        trial = Trial.objects.create(
            team=team, created_by=user, name=payload["name"], model_key=payload["model"], target="direction",
            params=payload["params"], data=payload["data"], validation=payload["validation"],
            status=Trial.Status.FAILED, error=f"ValueError: {exc}", started_at=now, finished_at=now,
        )  # fmt: skip
        return trial.pk


SPEC = {
    "model": "logistic_regression",
    "params": {"C": 0.5},
    "data": {"symbol": "SPX", "start": "2009-01-01", "end": "2016-12-31", "target": "direction", "horizon": 1},
    "validation": {"scheme": "walk_forward", "folds": 4, "gap": 1},
    "seed": 0,
}


def _make_trials(users, teams) -> dict:
    import copy

    from trials.models import Trial

    alice, team_a = users["alice"], teams["a"]
    trials = {"logistic": _run_now(team_a, alice, {**copy.deepcopy(SPEC), "name": "logistic C=0.5"})}
    stronger = copy.deepcopy(SPEC) | {"name": "logistic C=2", "params": {"C": 2.0}}
    stronger["validation"]["folds"] = 5
    trials["second"] = _run_now(team_a, users["bob"], stronger)
    volatility = copy.deepcopy(SPEC) | {"name": "garch", "model": "garch_1_1", "params": {}}
    volatility["data"]["target"] = "volatility"
    trials["volatility"] = _run_now(team_a, alice, volatility)
    failing = copy.deepcopy(SPEC) | {"name": "too short"}
    failing["data"].update(start="2018-10-01", end="2018-12-31")
    failing["validation"]["folds"] = 10
    trials["failed"] = _failed_trial(team_a, alice, failing)
    trials["outsider"] = _run_now(teams["b"], users["charlie"], {**copy.deepcopy(SPEC), "name": "team B's"})
    # A study the worker runs while the tests go on: Optuna proposes, each evaluation is an ordinary trial.
    from trials.studies import study_create

    study = {"model": "logistic_regression", "metric": "sharpe", "budget": 3, "parallelism": 1, "name": "tune C"}
    study.update(data=SPEC["data"], validation={"folds": 3, "gap": 1})
    trials["study"] = study_create(team=team_a, user=alice, payload=study).pk
    # A trial that stays unfinished: its page keeps a live socket open. Waiting for a second owner's approval, so no
    # worker runs it (a queued one would be picked by the fair-share queue as soon as a slot is free).
    waiting = Trial.objects.get(pk=trials["logistic"])
    waiting.pk, waiting.status, waiting.name, waiting.progress, waiting.folds = (
        None,
        Trial.Status.PENDING_APPROVAL,
        "waiting",
        0,
        [],
    )
    waiting.metrics, waiting.started_at, waiting.finished_at, waiting.enqueued_at = {}, None, None, None
    waiting.save()
    trials["waiting"] = waiting.pk
    # Enough rows for a second page of the trial list: copies of the first trial, cancelled before they ran.
    template = Trial.objects.get(pk=trials["logistic"])
    Trial.objects.bulk_create(
        Trial(team=team_a, created_by=alice, name=f"queued copy {n:02d}", model_key=template.model_key,
              family=template.family, target=template.target, params=template.params, data=template.data,
              validation=template.validation, status=Trial.Status.CANCELLED)
        for n in range(55)
    )  # fmt: skip
    return trials


@pytest.fixture(scope="package")
def site(django_db_setup, django_db_blocker):
    from market_data.services import bundled_load
    from mltrainer_site.celery import app as celery_app
    from tests.fakes.fake_anthropic import VALID_KEY, FakeAnthropic

    claude = FakeAnthropic().start()
    # Playwright's sync API keeps an event loop in this thread; the test process's own ORM reads stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    port = _free_port()
    env = {**os.environ, "MLTRAINER_TEST_RUN": str(settings.MLTRAINER_TEST_RUN), "MLTRAINER_TEST_SERVER": "1"}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", OMP_NUM_THREADS="1")
    env.update(ANTHROPIC_API_KEY=VALID_KEY, ANTHROPIC_BASE_URL=claude.base_url)
    logs = ROOT / "var" / "browser-tests"
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    with django_db_blocker.unblock():
        if not _has_bundled():
            bundled_load()
        users, teams = _make_cast()
        daphne = ["daphne", "-b", "127.0.0.1", "-p", str(port), "mltrainer_site.asgi:application"]
        worker = ["celery", "-A", "mltrainer_site", "worker", "--pool=solo", "--loglevel=WARNING"]
        for name, args in (("daphne", daphne), ("worker", [*worker, "--without-mingle", "--without-gossip"])):
            with (logs / f"{name}.log").open("w") as log:  # the child keeps its own copy of the descriptor
                processes.append(subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=log,
                                                  stderr=subprocess.STDOUT))  # fmt: skip
        try:
            trials = _make_trials(users, teams)
            url = f"http://127.0.0.1:{port}"
            _wait(lambda: _answers(url + "/login/"), "daphne")  # a page, so the first test's is not the cold one
            _wait(lambda: bool(celery_app.control.ping(timeout=0.5)), "the Celery worker")
            yield Site(url=url, users=users, teams=teams, trials=trials, claude=claude)
        finally:
            claude.stop()
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            _end_other_sessions()
            _delete_what_the_package_made()


def _delete_what_the_package_made() -> None:
    """Back to the state the package found (the bundled history and nothing else), faster than a flush and
    reloading the history. Decisions refuse DELETE (the audit trail is immutable) but not TRUNCATE, as in a flush."""
    from django.contrib.sessions.models import Session
    from django.core.management.color import no_style
    from django.db import connection

    from accounts.models import Team, User
    from compliance.models import Decision
    from trials.models import Study, Trial

    Trial.objects.all().delete()
    Study.objects.all().delete()
    Team.objects.all().delete()
    User.objects.all().delete()
    Session.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(no_style(), [Decision._meta.db_table]):
            cursor.execute(statement)


def _end_other_sessions() -> None:
    """Let the test database be dropped: end the sessions the server, the worker or this process's pool still
    hold on it (a pooled connection lent to another context of this process is not closed by closing the pool).

    Only this run's own test database (tests/settings.py names it after MLTRAINER_TEST_RUN): other runs on the
    same server, and any database that is not a test database, are never touched."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    own = settings.DATABASES["default"]["TEST"]["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (current,) = cursor.fetchone()
        if current != own or not own.startswith("test_mltrainer_"):
            raise RuntimeError(f"refusing to end sessions on {current!r}: not this run's test database {own!r}")
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND datname = current_database() AND pid <> pg_backend_pid()",
            [own],
        )


def _has_bundled() -> bool:
    from market_data.models import Dataset

    return Dataset.objects.filter(key="SPX", team__isnull=True).exists()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="package")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageProblems:
    """Console errors, uncaught exceptions, failed requests and HTTP errors seen by a page."""

    def __init__(self, page):
        self.problems: list[str] = []
        self.allowed_status: set[tuple[str, int]] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message):
        # "Failed to load resource" repeats an HTTP error that _response already judged (some are expected: a 404).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _failed(self, request):
        # A navigation away cancels the page's pending requests (a live socket, a poll): not a failure of the page.
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response):
        if response.status >= 400:
            path = response.url.split("//", 1)[-1].split("/", 1)[-1]
            if ("/" + path.split("?")[0], response.status) not in self.allowed_status:
                self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def allow(self, path: str, status: int) -> None:
        self.allowed_status.add((path, status))


@dataclass
class Browser:
    """A logged-in (or anonymous) browser tab on the live site."""

    site: Site
    context: object
    page: object
    watch: PageProblems

    def go(self, path: str, *, status: int = 200):
        response = self.page.goto(self.site.url + path)
        assert response.status == status, f"{path}: HTTP {response.status}"
        self.page.wait_for_load_state("load")
        return response

    def wait_until(self, expression: str, *, timeout: float = 30) -> None:
        """Poll a JavaScript expression until it is true. Playwright's wait_for_function evaluates a string with
        eval inside the page, which the site's Content-Security-Policy forbids; page.evaluate is not subject to it."""
        deadline = time.monotonic() + timeout
        while not self._evaluate_across_reloads(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout} s: {expression}")
            self.page.wait_for_timeout(100)

    def _evaluate_across_reloads(self, expression: str):
        """The expression's value; false while the page is navigating (pages that reload themselves, like the
        coach's once a reply is stored, destroy the document an evaluation ran in)."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            return self.page.evaluate(expression)
        except PlaywrightError as exc:
            if "Execution context was destroyed" not in str(exc):
                raise
            return False

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_browser(site, chromium):
    """open_browser("alice", width=1280, dark=False) -> Browser; fails the test on any page problem."""
    opened = []

    def open_(username: str | None = "alice", *, width: int = 1280, dark: bool = False) -> Browser:
        context = chromium.new_context(
            viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light", accept_downloads=True
        )
        context.set_default_timeout(30_000)  # a shared 2-core machine; a pass takes far less
        page = context.new_page()
        browser = Browser(site=site, context=context, page=page, watch=PageProblems(page))
        if username:
            browser.go("/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(site.url + "/")
        opened.append(browser)
        return browser

    yield open_
    problems = [problem for browser in opened for problem in browser.watch.problems]
    for browser in opened:
        browser.context.close()
    assert problems == [], "\n".join(problems)
