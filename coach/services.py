"""Everything the coach writes or decides: starting conversations, taking a user's message (an Ask, answered by a
Celery task), asking Claude with the SDK's streaming and tool use (proposals and look-ups arrive as parsed tool
input, never scraped from prose), storing the reply and its proposals all at once, and launching or dismissing
proposals through trials.services.trial_create."""

import json
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Team, User
from accounts.selectors import membership_get
from accounts.services import OWNERS, PermissionDenied, membership_allows, membership_require
from mltrainer_site.broker import BrokerDown, send_task
from models_catalog.selectors import definition_list
from observability.metrics import record_coach_retention, record_coach_tokens
from trials.models import Study, Trial
from trials.services import trial_create
from trials.studies import study_create

from . import events, memory, prompt, selectors, tools
from .models import Ask, Conversation, Goal, Message, Proposal, Summary, Usage

if TYPE_CHECKING:  # the SDK takes seconds to import: it loads at the first reply (in the worker)
    import anthropic

logger = logging.getLogger(__name__)

MAX_TEXT = 10_000
# An ask left running this long lost its worker (the task's own requests time out well before).
ASK_STALE_AFTER = timedelta(minutes=15)


class CoachError(Exception):
    """The coach could not answer; the message says why and is safe to show (it never holds the key)."""


class CoachNotConfigured(CoachError):
    def __init__(self):
        super().__init__("The AI coach is not configured: set ANTHROPIC_API_KEY")


class CoachUnavailable(CoachError):
    """Anthropic refused or failed the request; `retryable` when trying again later may work."""

    def __init__(self, message: str, *, retryable: bool):
        self.retryable = retryable
        super().__init__(message)


class CoachInputInvalid(CoachError):
    pass


class CoachBusy(CoachError):
    """The conversation is already waiting for a reply: one message at a time, so the history stays in order."""


class CoachBudgetExceeded(CoachError):
    """The team used its monthly token budget; says the budget, what was used and when it resets."""

    def __init__(self, *, budget: int, used: int, resets_at):
        self.budget, self.used, self.resets_at = budget, used, resets_at
        super().__init__(
            f"the team's coach budget of {budget:,} tokens this month is used up ({used:,} used); "
            f"it resets on {resets_at:%Y-%m-%d %H:%M} UTC"
        )


class ProposalConflict(Exception):
    """The proposal is not in a state that allows this (already launched, dismissed, or invalid)."""


class AskConflict(Exception):
    """The message is not in a state that allows this (only a failed one is retried or discarded)."""


# --- Access ------------------------------------------------------------------------------------------------


def coach_configured() -> bool:
    return bool(settings.ANTHROPIC_API_KEY)


def can_write(*, user: User, team: Team) -> bool:
    """Whether the page shows the message box and the launch buttons (accounts.services.membership_allows)."""
    return membership_allows(membership=membership_get(user=user, team=team))


def is_owner(*, user: User, team: Team) -> bool:
    return membership_allows(membership=membership_get(user=user, team=team), roles=OWNERS)


# --- Conversations ------------------------------------------------------------------------------------------


def conversation_start(
    *, team: Team, user: User, goal: str, title: str = "", team_goal: "Goal | None" = None
) -> Conversation:
    membership_require(user=user, team=team, action="talk to the coach")
    if team_goal is not None and team_goal.team_id != team.pk:
        raise CoachInputInvalid("that goal is another team's")
    if team_goal is not None and not (goal or "").strip():
        goal = team_goal.objective
    goal, title = (goal or "").strip(), (title or "").strip()
    if len(goal) > MAX_TEXT:
        raise CoachInputInvalid(f"the goal must be at most {MAX_TEXT} characters")
    if not title:
        first_line = goal.splitlines()[0] if goal else ""
        title = (first_line[:80] + ("…" if len(first_line) > 80 else "")) or "Conversation with the coach"
    return Conversation.objects.create(team=team, user=user, goal=goal, title=title[:200], team_goal=team_goal)


# --- Goals ------------------------------------------------------------------------------------------------

GOAL_NUMBERS = ("sharpe_min", "max_drawdown_min", "dsr_min")


def goal_clean(data: dict) -> dict:
    """A goal's fields from a form or the API; CoachInputInvalid naming the first bad one."""
    objective = str(data.get("objective") or "").strip()
    if not objective or len(objective) > MAX_TEXT:
        raise CoachInputInvalid(f"the objective must be 1 to {MAX_TEXT} characters")
    clean: dict = {"objective": objective}
    for name in GOAL_NUMBERS:
        raw = data.get(name)
        try:
            clean[name] = None if raw in (None, "") else float(str(raw))
        except (TypeError, ValueError):
            raise CoachInputInvalid(f"{name} must be a number") from None
    symbols = data.get("symbols") or []
    if isinstance(symbols, str):
        symbols = [part.strip() for part in symbols.split(",") if part.strip()]
    if not isinstance(symbols, list) or not all(isinstance(x, str) and 0 < len(x) <= 64 for x in symbols):
        raise CoachInputInvalid("symbols must be a list of dataset keys such as SPX, IXIC")
    clean["symbols"] = symbols
    for name in ("start", "end"):
        raw = data.get(name)
        try:
            clean[name] = None if raw in (None, "") else date.fromisoformat(str(raw))
        except ValueError:
            raise CoachInputInvalid(f"{name} must be a date (YYYY-MM-DD)") from None
    if clean["start"] and clean["end"] and clean["start"] >= clean["end"]:
        raise CoachInputInvalid("end must be after start")
    budget = data.get("trial_budget")
    try:
        clean["trial_budget"] = None if budget in (None, "") else int(str(budget))
    except (TypeError, ValueError):
        raise CoachInputInvalid("trial_budget must be a whole number") from None
    if clean["trial_budget"] is not None and not 1 <= clean["trial_budget"] <= 10_000:
        raise CoachInputInvalid("trial_budget must be from 1 to 10000")
    return clean


def goal_create(*, team: Team, user: User, data: dict) -> Goal:
    membership_require(user=user, team=team, action="set goals")
    return Goal.objects.create(team=team, created_by=user, **goal_clean(data))


def goal_update(*, goal: Goal, user: User, data: dict) -> Goal:
    membership_require(user=user, team=goal.team, action="edit goals")
    fields = goal_clean(data)
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.save(update_fields=[*fields, "updated_at"])
    return goal


def goal_autopilot_set(*, goal: Goal, user: User, on: bool) -> Goal:
    """An owner lets the goal run by itself, or presses Stop."""
    membership_require(user=user, team=goal.team, action="run a goal on autopilot", roles=OWNERS)
    if on:
        Goal.objects.filter(pk=goal.pk).update(
            autopilot=True, autopilot_by=user, autopilot_failures=0, autopilot_stopped=""
        )
    else:
        Goal.objects.filter(pk=goal.pk).update(autopilot=False, autopilot_stopped=f"stopped by {user.username}")
    goal.refresh_from_db()
    return goal


def _autopilot_stop(goal: Goal, reason: str) -> None:
    Goal.objects.filter(pk=goal.pk, autopilot=True).update(autopilot=False, autopilot_stopped=reason[:300])
    logger.info("coach: autopilot of goal %s stopped: %s", goal.pk, reason)


def autopilot_failure(*, goal: Goal, failed: bool) -> None:
    """Count one of the autopilot's trials: N failures in a row stop it, a success resets the count."""
    if not failed:
        Goal.objects.filter(pk=goal.pk).update(autopilot_failures=0)
        return
    Goal.objects.filter(pk=goal.pk).update(autopilot_failures=F("autopilot_failures") + 1)
    goal.refresh_from_db()
    if goal.autopilot_failures >= settings.COACH_AUTOPILOT_MAX_FAILURES:
        _autopilot_stop(goal, f"{goal.autopilot_failures} of its trials failed in a row")


def autopilot_launch(*, conversation: Conversation, reply: Message) -> list[Trial]:
    """After a reply in a goal's conversation on autopilot: launch its valid trial proposals, each through
    trial_create and the compliance gateway as the owner who turned the autopilot on, marked automated in the
    audit trail; stop at the goal's trial budget."""
    from compliance.services import ComplianceRejected
    from trials.services import TrialSpecInvalid

    goal = conversation.team_goal
    if goal is None:
        return []
    launched = []
    for proposal in reply.proposals.filter(status=Proposal.Status.PROPOSED, kind=Proposal.Kind.TRIAL):
        goal.refresh_from_db()
        if not goal.autopilot or goal.autopilot_by is None:
            break
        used = Proposal.objects.filter(conversation__team_goal=goal, trial__isnull=False).count()
        if goal.trial_budget is not None and used >= goal.trial_budget:
            _autopilot_stop(goal, f"the trial budget of {goal.trial_budget} is used")
            break
        try:
            launched.append(proposal_launch(proposal=proposal, user=goal.autopilot_by, automated=True))
        except (ComplianceRejected, TrialSpecInvalid, PermissionDenied, ProposalConflict) as exc:
            logger.info("coach: autopilot of goal %s could not launch proposal %s: %s", goal.pk, proposal.pk, exc)
            autopilot_failure(goal=goal, failed=True)
    goal.refresh_from_db()
    used = Proposal.objects.filter(conversation__team_goal=goal, trial__isnull=False).count()
    if goal.autopilot and goal.trial_budget is not None and used >= goal.trial_budget:
        _autopilot_stop(goal, f"the trial budget of {goal.trial_budget} is used")
    return [trial for trial in launched if isinstance(trial, Trial)]


def autopilot_continue(*, conversation: Conversation) -> Ask | None:
    """After a trial result in a goal's conversation on autopilot: ask the coach for the next step itself."""
    goal = conversation.team_goal
    if goal is None:
        return None
    goal.refresh_from_db()
    if not goal.autopilot or goal.autopilot_by is None:
        return None
    try:
        return ask_create(
            conversation=conversation,
            user=goal.autopilot_by,
            text="(autopilot) The result above is in. Propose the next trial towards the goal, or say why not.",
        )
    except (CoachError, PermissionDenied) as exc:
        logger.info("coach: autopilot of goal %s did not continue: %s", goal.pk, exc)
        return None


# --- Asking: the message is stored at once, a worker answers it ------------------------------------------------


def _text_clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CoachInputInvalid("write a message for the coach")
    if len(text) > MAX_TEXT:
        raise CoachInputInvalid(f"a message must be at most {MAX_TEXT} characters")
    return text


def _fail(ask_id: int, message: str, *, source: tuple[str, ...]) -> bool:
    """Mark an ask failed (from one of `source`) and say so on its conversation's socket."""
    ask = Ask.objects.filter(pk=ask_id).first()
    if ask is None or not Ask.objects.filter(pk=ask_id, status__in=source).update(
        status=Ask.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    ):
        return False
    events.send(conversation_id=ask.conversation_id, payload={"type": "error", "ask": ask_id, "message": message})
    return True


def _send_answer(ask_id: int) -> None:
    """Queue the answer once the transaction commits; with the broker down the ask fails at once (retryable)."""

    def send() -> None:
        try:
            send_task("coach.tasks.answer_ask", args=[ask_id])
        except BrokerDown as exc:
            logger.warning("coach: broker unreachable, ask %s not sent: %s", ask_id, exc)
            _fail(ask_id, "The workers could not be reached (the broker is down); try again", source=("queued",))

    transaction.on_commit(send)


def _claim_conversation(conversation: Conversation) -> None:
    """Lock the conversation and refuse a second message while one waits for its reply (a running ask whose
    worker died long ago is failed instead, so the conversation is never stuck)."""
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    stale = timezone.now() - ASK_STALE_AFTER
    for ask in Ask.objects.filter(conversation=conversation, status=Ask.Status.RUNNING, started_at__lt=stale):
        _fail(ask.pk, "The worker answering this message stopped; try again", source=(Ask.Status.RUNNING,))
    if Ask.objects.filter(conversation=conversation, status__in=[Ask.Status.QUEUED, Ask.Status.RUNNING]).exists():
        raise CoachBusy("the coach is still answering the last message in this conversation; wait for it")


def budget_check(*, team: Team) -> None:
    """Before a message is asked (or asked again): refuse once the team's monthly token budget is used up."""
    usage = selectors.usage_this_month(team=team)
    if usage["budget"] is not None and usage["used"] >= usage["budget"]:
        raise CoachBudgetExceeded(budget=usage["budget"], used=usage["used"], resets_at=usage["resets_at"])


def usage_record(*, conversation: Conversation, user: User, model: str, usage: Any) -> Usage:
    """One request's tokens, against the user and the team, counted in /metrics by team and model."""
    tokens = {
        "input": getattr(usage, "input_tokens", None) or 0,
        "output": getattr(usage, "output_tokens", None) or 0,
        "cache_read": getattr(usage, "cache_read_input_tokens", None) or 0,
        "cache_creation": getattr(usage, "cache_creation_input_tokens", None) or 0,
    }
    row = Usage.objects.create(
        team=conversation.team,
        user=user,
        conversation=conversation,
        model=model,
        input_tokens=tokens["input"],
        output_tokens=tokens["output"],
        cache_read_tokens=tokens["cache_read"],
        cache_creation_tokens=tokens["cache_creation"],
    )
    record_coach_tokens(team=conversation.team.slug, model=model, tokens=tokens)
    return row


def ask_create(*, conversation: Conversation, user: User, text: str) -> Ask:
    """Store the user's message and queue its answer. Raises PermissionDenied, CoachInputInvalid,
    CoachNotConfigured, CoachBudgetExceeded or CoachBusy; nothing is stored then."""
    membership_require(user=user, team=conversation.team, action="talk to the coach")
    text = _text_clean(text)
    if not coach_configured():
        raise CoachNotConfigured()
    budget_check(team=conversation.team)
    with transaction.atomic(durable=True):
        _claim_conversation(conversation)
        ask = Ask.objects.create(conversation=conversation, user=user, text=text)
        _send_answer(ask.pk)
    return ask


def ask_retry(*, ask: Ask, user: User) -> Ask:
    """One click: a failed message is asked again, as it was written."""
    membership_require(user=user, team=ask.conversation.team, action="talk to the coach")
    if not coach_configured():
        raise CoachNotConfigured()
    budget_check(team=ask.conversation.team)
    with transaction.atomic(durable=True):
        _claim_conversation(ask.conversation)
        if not Ask.objects.filter(pk=ask.pk, status=Ask.Status.FAILED).update(
            status=Ask.Status.QUEUED, error="", finished_at=None
        ):
            ask.refresh_from_db()
            raise AskConflict(f"message {ask.pk} is {ask.status}: only a failed message can be retried")
        _send_answer(ask.pk)
    ask.refresh_from_db()
    return ask


def ask_discard(*, ask: Ask, user: User) -> Ask:
    membership_require(user=user, team=ask.conversation.team, action="talk to the coach")
    if not Ask.objects.filter(pk=ask.pk, status=Ask.Status.FAILED).update(status=Ask.Status.DISCARDED):
        ask.refresh_from_db()
        raise AskConflict(f"message {ask.pk} is {ask.status}: only a failed message can be discarded")
    ask.refresh_from_db()
    return ask


def ask_answer(*, ask_id: int) -> None:
    """The worker's part: claim the ask, stream the reply to the conversation's socket, and store the user's
    message, the reply and its proposals in one transaction; on any failure store nothing and mark the ask failed
    (its text stays for a retry). Safe to run twice: only a queued ask is claimed."""
    if not Ask.objects.filter(pk=ask_id, status=Ask.Status.QUEUED).update(
        status=Ask.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    ):
        return
    ask = Ask.objects.select_related("conversation__team", "user").get(pk=ask_id)
    conversation = ask.conversation

    def emit(payload: dict) -> None:
        events.send(conversation_id=conversation.pk, payload={**payload, "ask": ask_id})

    try:
        if ask.user is None:
            raise PermissionDenied("the person who wrote this message no longer exists")
        membership_require(user=ask.user, team=conversation.team, action="talk to the coach")
        if not coach_configured():
            raise CoachNotConfigured()
        answer = _converse(conversation=conversation, user=ask.user, text=ask.text, emit=emit)
        reply = _store(ask=ask, answer=answer)
    except (CoachError, PermissionDenied) as exc:
        logger.warning("coach: ask %s in conversation %s failed: %s", ask_id, conversation.pk, exc)
        _fail(ask_id, str(exc), source=(Ask.Status.RUNNING,))
        return
    except Exception:
        # A bug, not Anthropic: the ask must not stay running, and the error goes to the logs and Celery.
        _fail(ask_id, "The coach failed unexpectedly; try again", source=(Ask.Status.RUNNING,))
        raise
    if conversation.team_goal_id is not None:
        autopilot_launch(conversation=conversation, reply=reply)
    for proposal in reply.proposals.all():
        emit({"type": "proposal", "proposal": events.proposal_payload(proposal)})
    emit({"type": "done", "message": {"id": reply.pk, "text": reply.text, "model": reply.model, "usage": reply.usage}})
    logger.info("coach: ask %s answered by message %s in conversation %s", ask_id, reply.pk, conversation.pk)


# --- Talking to Claude --------------------------------------------------------------------------------------


def _client() -> "anthropic.Anthropic":
    import anthropic

    return anthropic.Anthropic(
        api_key=settings.ANTHROPIC_API_KEY,
        base_url=settings.ANTHROPIC_BASE_URL or None,
        timeout=settings.COACH_TIMEOUT_SECONDS,
        max_retries=2,
    )


def _api_error(exc: "anthropic.APIError") -> CoachUnavailable:
    """A message naming the problem, built from the status and Anthropic's error type: never from the request."""
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return CoachUnavailable(
            f"Anthropic did not answer within {settings.COACH_TIMEOUT_SECONDS} s, try again", retryable=True
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return CoachUnavailable("Could not reach Anthropic (connection failed), try again", retryable=True)
    if not isinstance(exc, anthropic.APIStatusError):
        return CoachUnavailable("Anthropic's answer could not be read", retryable=False)
    status = exc.status_code
    detail = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
    detail = detail if isinstance(detail, dict) else {}
    if status < 400:  # an SSE error event in a stream that had started (200)
        if detail.get("type") == "overloaded_error":
            return CoachUnavailable("Anthropic is overloaded (529, during the reply), try again", retryable=True)
        kind = str(detail.get("type") or "error")[:60]
        return CoachUnavailable(f"Anthropic's reply broke off ({kind}), try again", retryable=True)
    if status == 401:
        return CoachUnavailable("Anthropic rejected the API key (401): check ANTHROPIC_API_KEY", retryable=False)
    if status == 403:
        return CoachUnavailable("Anthropic refused access with this API key (403)", retryable=False)
    if status == 404:
        return CoachUnavailable(
            f"Anthropic does not offer the model {settings.COACH_MODEL!r} (404): check COACH_MODEL", retryable=False
        )
    if status == 429:
        return CoachUnavailable("Anthropic's rate limit was reached (429), try again in a minute", retryable=True)
    if status == 529:
        return CoachUnavailable("Anthropic is overloaded (529), try again", retryable=True)
    if status >= 500:
        return CoachUnavailable(f"Anthropic had an internal error ({status}), try again", retryable=True)
    message = str(detail.get("message") or "")[:300].replace(settings.ANTHROPIC_API_KEY, "[key]")
    return CoachUnavailable(
        f"Anthropic refused the request ({status}): {message or exc.__class__.__name__}", retryable=False
    )


def _merge_turns(turns: list[dict]) -> list[dict]:
    """Consecutive turns of one role become one (a reply that hit the round cap ends with a tool_result turn, and
    the next user message follows it); tool_result blocks stay first, as the API requires."""
    merged: list[dict] = []
    for turn in turns:
        if merged and merged[-1]["role"] == turn["role"]:
            merged[-1] = {"role": turn["role"], "content": [*merged[-1]["content"], *turn["content"]]}
        else:
            merged.append({"role": turn["role"], "content": list(turn["content"])})
    return merged


KEEP_VERBATIM = 4  # messages always replayed as they were, however long
SUMMARY_PREFIX = "[summary of the earlier conversation, written by you]"


def _estimate_tokens(turns: list[dict]) -> int:
    return len(json.dumps(turns)) // 4


def _history(conversation: Conversation, *, client=None, user: User | None = None, emit=None) -> list[dict]:
    """The turns to replay: the latest summary (as a user turn) and every message after it, verbatim. When these pass
    COACH_HISTORY_TOKEN_BUDGET and a client is given, the older messages are summarised by the coach first."""
    summary = Summary.objects.filter(conversation=conversation).order_by("-created_at", "-id").first()
    messages = Message.objects.filter(conversation=conversation).order_by("created_at", "id")
    if summary is not None:
        messages = messages.filter(pk__gt=summary.up_to_id)
    rows = list(messages.only("id", "role", "text", "turns", "feedback_trial_id"))
    head = [] if summary is None else [{"role": "user", "content": [{"type": "text", "text": summary.text}]}]
    turns = head + [turn for message in rows for turn in message.turns]
    if client is None or _estimate_tokens(turns) <= settings.COACH_HISTORY_TOKEN_BUDGET:
        return turns
    # Cut before a person's (or the platform's) message, keeping the last few: what follows starts with a user turn.
    cuts = [i for i, message in enumerate(rows) if message.role == Message.Role.USER and i <= len(rows) - KEEP_VERBATIM]
    if not cuts or cuts[-1] == 0:
        return turns
    older, kept = rows[: cuts[-1]], rows[cuts[-1] :]
    text = _summarise(client=client, conversation=conversation, user=user, previous=summary, older=older)
    made = Summary.objects.create(
        conversation=conversation, up_to=older[-1], text=f"{SUMMARY_PREFIX} {text}", messages=len(older)
    )
    if emit is not None:
        emit({"type": "tool", "name": "summarise", "input": {"messages": len(older)},
              "summary": f"summarised {len(older)} earlier messages to stay within the history budget"})  # fmt: skip
    return [{"role": "user", "content": [{"type": "text", "text": made.text}]}] + [
        turn for message in kept for turn in message.turns
    ]


def _summarise(*, client, conversation: Conversation, user: User | None, previous, older: list[Message]) -> str:
    """One request, no tools: the coach condenses the older messages (their text, tool steps left out)."""
    lines = [previous.text] if previous is not None else []
    for message in older:
        who = "Trial result" if message.feedback_trial_id else "Team" if message.role == Message.Role.USER else "Coach"
        if message.text:
            lines.append(f"{who}: {message.text}")
    request = {
        "model": settings.COACH_MODEL,
        "max_tokens": min(settings.COACH_MAX_TOKENS, 1024),
        "system": "You condense a research conversation between a quant team and its AI coach.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": (
            "Summarise this conversation so far for your own later use: the goal, what was tried, the figures that "
            "came back (keep trial numbers, Sharpe, DSR), what failed and why, and what was planned next. At most "
            "300 words.\n\n" + "\n\n".join(lines))}]}],
    }  # fmt: skip
    response = _stream_one(client=client, request=request, emit=lambda _payload: None)
    if user is not None:
        usage_record(conversation=conversation, user=user, model=response.model, usage=response.usage)
    return " ".join(block.text for block in response.content if block.type == "text").strip()


def system_prompt_for(*, conversation: Conversation, user: User) -> str:
    team = conversation.team
    team_goal = conversation.team_goal
    return prompt.system_prompt(
        catalog=[definition.as_dict() for definition in definition_list()],
        datasets=selectors.datasets_for_team(team=team),
        goal=conversation.goal,
        trials=selectors.recent_trials_for_team(user=user, team=team),
        goal_progress=(
            prompt.goal_section(goal=team_goal, progress=selectors.goal_progress(goal=team_goal, user=user))
            if team_goal is not None
            else ""
        ),
    )


def _usage_add(total: dict, usage: Any) -> None:
    total["requests"] += 1
    for name in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        total[name] += getattr(usage, name, None) or 0


def _stream_one(*, client: "anthropic.Anthropic", request: dict, emit) -> Any:
    """One streamed request: text goes out as token events while it arrives; returns the final message."""
    import anthropic  # loaded by _client already: only the exception classes

    try:
        with client.messages.stream(**request) as stream:
            for event in stream:
                if event.type == "text" and event.text:
                    emit({"type": "token", "text": event.text})
            return stream.get_final_message()
    except anthropic.APIError as exc:
        raise _api_error(exc) from None
    except ValueError:  # the SDK could not put a tool input's JSON together
        raise CoachUnavailable(
            "Anthropic's answer could not be read (a tool input was not JSON)", retryable=True
        ) from None


def _converse(*, conversation: Conversation, user: User, text: str, emit) -> dict:
    """Ask Claude, answering its tool calls until it stops calling them (at most COACH_MAX_TOOL_ROUNDS requests).
    Nothing is written here: what to store is returned."""
    user_turn = {"role": "user", "content": [{"type": "text", "text": text}]}
    client = _client()
    history = _history(conversation, client=client, user=user, emit=emit) + [user_turn]
    request: dict = {
        "model": settings.COACH_MODEL,
        "max_tokens": settings.COACH_MAX_TOKENS,
        "system": system_prompt_for(conversation=conversation, user=user),
        "tools": cast(list[Any], tools.definitions()),
    }
    context = tools.Context(team=conversation.team, user=user, conversation_id=conversation.pk)
    turns: list[dict] = []
    texts: list[str] = []
    usage = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "requests": 0,
    }
    model = settings.COACH_MODEL
    rounds = selectors.coach_settings_for(team=conversation.team).max_tool_rounds or settings.COACH_MAX_TOOL_ROUNDS
    for _ in range(rounds):
        response = _stream_one(client=client, request={**request, "messages": _merge_turns(history + turns)}, emit=emit)
        model = response.model
        _usage_add(usage, response.usage)
        usage_record(conversation=conversation, user=user, model=model, usage=response.usage)
        turns.append({"role": "assistant", "content": [block.to_dict(mode="json") for block in response.content]})
        texts += [block.text for block in response.content if block.type == "text" and block.text.strip()]
        if response.stop_reason == "max_tokens":
            texts.append(f"(The reply was cut at {settings.COACH_MAX_TOKENS} tokens: COACH_MAX_TOKENS.)")
        calls = [block for block in response.content if block.type == "tool_use"]
        if not calls:
            break
        results = []
        for block in calls:
            outcome = tools.tool_run(context=context, name=block.name, tool_input=block.input, block_id=block.id)
            emit({"type": "tool", "name": block.name, "input": block.input, "summary": outcome.summary})
            result = {"type": "tool_result", "tool_use_id": block.id, "content": outcome.content}
            if outcome.is_error:
                result["is_error"] = True
            results.append(result)
        # Every tool_use is answered in the history, even after the last request, so the next message is valid.
        turns.append({"role": "user", "content": results})
    return {"user_turn": user_turn, "turns": turns, "text": "\n\n".join(texts), "model": model, "usage": usage,
            "proposals": context.proposals}  # fmt: skip


def _store(*, ask: Ask, answer: dict) -> Message:
    conversation = ask.conversation
    with transaction.atomic():
        if not Ask.objects.select_for_update().filter(pk=ask.pk, status=Ask.Status.RUNNING).exists():
            raise CoachError("this message was answered or given up meanwhile")
        Message.objects.create(
            conversation=conversation, role=Message.Role.USER, user=ask.user, text=ask.text, turns=[answer["user_turn"]]
        )
        reply = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            text=answer["text"],
            turns=answer["turns"],
            model=answer["model"],
            usage=answer["usage"],
        )
        Proposal.objects.bulk_create(
            Proposal(
                conversation=conversation,
                message=reply,
                kind=judged.get("kind", Proposal.Kind.TRIAL),
                duplicate_of_id=judged.get("duplicate_of"),
                tool_use_id=block_id,
                payload=judged["payload"],
                rationale=judged["rationale"],
                status=Proposal.Status.PROPOSED if judged["valid"] else Proposal.Status.INVALID,
                errors=judged["errors"],
                compliance=judged["compliance"],
            )
            for block_id, judged in answer["proposals"]
        )
        memory.topics_store(message=reply, team=conversation.team, topics=memory.topics_of_turns(answer["turns"]))
        Ask.objects.filter(pk=ask.pk).update(status=Ask.Status.ANSWERED, reply=reply, finished_at=timezone.now())
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    return reply


# --- Retention ----------------------------------------------------------------------------------------------


def conversation_prune(*, now=None) -> dict:
    """Delete the conversations untouched for COACH_RETENTION_DAYS with everything they hold (messages, topics,
    asks, proposals), except those whose proposals launched a trial or a study: a launched trial keeps the
    conversation that explains it. The audit trail (compliance decisions) and the token usage rows stay (usage
    loses its conversation link). Counted in /metrics. Returns {"conversations", "messages"} deleted."""
    days = settings.COACH_RETENTION_DAYS
    if not days:
        return {"conversations": 0, "messages": 0}
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = Conversation.objects.filter(updated_at__lt=cutoff).exclude(
        pk__in=Proposal.objects.filter(Q(trial__isnull=False) | Q(study__isnull=False)).values("conversation_id")
    )
    with transaction.atomic():
        ids = list(old.values_list("pk", flat=True))
        messages = Message.objects.filter(conversation_id__in=ids).count()
        Conversation.objects.filter(pk__in=ids).delete()
    record_coach_retention(conversations=len(ids), messages=messages)
    if ids:
        logger.info(
            "coach retention: deleted %s conversations (%s messages) older than %s days", len(ids), messages, days
        )
    return {"conversations": len(ids), "messages": messages}


# --- Proposals ----------------------------------------------------------------------------------------------


def proposal_launch(*, proposal: Proposal, user: User, automated: bool = False) -> Trial | Study:
    """One click: create the proposed trial through trial_create, so it is validated again and judged by the
    compliance gateway with the coach's rationale (as notes) and the conversation's goal as free text; or the
    proposed study through study_create (each of its evaluations is a trial judged by the gateway).

    The proposal is marked launched in the transaction that stores the trial (or study), by a conditional update: of
    two concurrent clicks one launches, the other stores nothing and gets ProposalConflict.
    Raises PermissionDenied, ProposalConflict, TrialSpecInvalid, StudySpecInvalid or ComplianceRejected (the proposal
    stays proposed; the refusal is in the audit trail)."""
    conversation = proposal.conversation
    membership_require(user=user, team=conversation.team, action="launch trials")
    proposal.refresh_from_db()
    if proposal.status != Proposal.Status.PROPOSED:
        raise ProposalConflict(f"proposal {proposal.pk} is {proposal.status}: only a proposed trial can be launched")

    def mark_launched(**made) -> None:
        if not Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.PROPOSED).update(
            status=Proposal.Status.LAUNCHED, **made
        ):
            raise ProposalConflict(f"proposal {proposal.pk} was launched or dismissed meanwhile")

    launched: Trial | Study
    if proposal.kind == Proposal.Kind.STUDY:
        with transaction.atomic():
            launched = study_create(team=conversation.team, user=user, payload=proposal.payload)
            mark_launched(study=launched)
    else:
        payload = {**proposal.payload, "notes": proposal.rationale, "goal": conversation.goal}
        launched = trial_create(
            team=conversation.team,
            user=user,
            payload=payload,
            on_stored=lambda trial: mark_launched(trial=trial),
            automated=automated,
        )
    proposal.refresh_from_db()
    logger.info("coach: proposal %s launched as %s %s", proposal.pk, proposal.kind, launched.pk)
    return launched


def proposal_dismiss(*, proposal: Proposal, user: User) -> Proposal:
    membership_require(user=user, team=proposal.conversation.team, action="dismiss proposals")
    dismissed = Proposal.objects.filter(
        pk=proposal.pk, status__in=[Proposal.Status.PROPOSED, Proposal.Status.INVALID]
    ).update(status=Proposal.Status.DISMISSED)
    proposal.refresh_from_db()
    if not dismissed:
        raise ProposalConflict(f"proposal {proposal.pk} is {proposal.status}: it cannot be dismissed")
    return proposal
