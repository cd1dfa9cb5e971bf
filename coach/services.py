"""Everything the coach writes or decides: starting conversations, asking Claude (Messages API with the
propose_trial tool, so proposals arrive as parsed tool input, never scraped from prose), storing its proposals
after validation, and launching or dismissing them through trials.services.trial_create."""

import json
import logging
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.selectors import membership_get
from accounts.services import membership_require
from compliance.services import gateway_check, spec_with_free_text
from models_catalog.selectors import definition_list
from trials.models import Trial
from trials.services import TrialSpecInvalid, trial_create, trial_spec_clean

from . import prompt, selectors
from .models import Conversation, Message, Proposal

if TYPE_CHECKING:  # the SDK takes seconds to import: the web process loads it at its first coach request
    import anthropic

logger = logging.getLogger(__name__)

MAX_TEXT = 10_000
# Requests per user message: the first answer, then follow-ups answering its tool calls (the coach may correct an
# invalid proposal). Bounded so a reply cannot loop.
MAX_REQUESTS = 3
SPEC_FIELDS = ("name", "model", "params", "data", "validation", "seed")


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


class ProposalConflict(Exception):
    """The proposal is not in a state that allows this (already launched, dismissed, or invalid)."""


# --- Access ------------------------------------------------------------------------------------------------


def coach_configured() -> bool:
    return bool(settings.ANTHROPIC_API_KEY)


def can_write(*, user: User, team: Team) -> bool:
    membership = membership_get(user=user, team=team)
    return membership is not None and membership.can_write


# --- Conversations ------------------------------------------------------------------------------------------


def conversation_start(*, team: Team, user: User, goal: str, title: str = "") -> Conversation:
    membership_require(user=user, team=team, action="talk to the coach")
    goal, title = (goal or "").strip(), (title or "").strip()
    if len(goal) > MAX_TEXT:
        raise CoachInputInvalid(f"the goal must be at most {MAX_TEXT} characters")
    if not title:
        first_line = goal.splitlines()[0] if goal else ""
        title = (first_line[:80] + ("…" if len(first_line) > 80 else "")) or "Conversation with the coach"
    return Conversation.objects.create(team=team, user=user, goal=goal, title=title[:200])


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
    """Consecutive turns of one role become one (a reply that hit MAX_REQUESTS ends with a tool_result turn, and the
    next user message follows it); tool_result blocks stay first, as the API requires."""
    merged: list[dict] = []
    for turn in turns:
        if merged and merged[-1]["role"] == turn["role"]:
            merged[-1] = {"role": turn["role"], "content": [*merged[-1]["content"], *turn["content"]]}
        else:
            merged.append({"role": turn["role"], "content": list(turn["content"])})
    return merged


def _history(conversation: Conversation) -> list[dict]:
    turns = (
        Message.objects.filter(conversation=conversation).order_by("created_at", "id").values_list("turns", flat=True)
    )
    return [turn for message_turns in turns for turn in message_turns]


def system_prompt_for(*, conversation: Conversation, user: User) -> str:
    team = conversation.team
    return prompt.system_prompt(
        catalog=[definition.as_dict() for definition in definition_list()],
        datasets=selectors.datasets_for_team(team=team),
        goal=conversation.goal,
        trials=selectors.recent_trials_for_team(user=user, team=team),
    )


def _judge(*, team: Team, user: User, tool_input: object) -> dict:
    """A proposal from one propose_trial call: validated, previewed by the compliance gateway, and the answer for
    the model. Reads only: the gateway's decision is not recorded (the launch is judged and recorded again)."""
    if not isinstance(tool_input, dict):
        errors = {"non_field_errors": "the tool input must be an object"}
        return {"payload": {}, "rationale": "", "errors": errors, "compliance": [], "valid": False}
    payload = {name: tool_input[name] for name in SPEC_FIELDS if name in tool_input}
    rationale = tool_input.get("rationale")
    rationale = rationale.strip() if isinstance(rationale, str) else ""
    try:
        spec = trial_spec_clean(team=team, payload=payload)
    except TrialSpecInvalid as exc:
        return {"payload": payload, "rationale": rationale, "errors": exc.errors, "compliance": [], "valid": False}
    spec.pop("family")
    with transaction.atomic():  # quota checks lock rows until this ends; nothing is written
        verdict = gateway_check(
            spec=spec_with_free_text(spec=spec, payload={"notes": rationale}), user=user, team=team, stage="submit"
        )
    compliance = [violation.as_dict() for violation in verdict.violations]
    return {"payload": spec, "rationale": rationale, "errors": {}, "compliance": compliance, "valid": True}


def _tool_result(block_id: str, judged: dict) -> dict:
    if not judged["valid"]:
        text = (
            "Not stored as launchable: the spec is invalid. Errors by field: "
            + json.dumps(judged["errors"])
            + ". Correct it and propose again if it is still worth running."
        )
        return {"type": "tool_result", "tool_use_id": block_id, "content": text, "is_error": True}
    text = "Proposal stored; the user will decide whether to launch it. Normalised spec: " + json.dumps(
        judged["payload"], sort_keys=True
    )
    if judged["compliance"]:
        reasons = "; ".join(v["message"] for v in judged["compliance"])
        text += f". Warning: the compliance gateway would refuse it as it stands: {reasons}"
    return {"type": "tool_result", "tool_use_id": block_id, "content": text}


def coach_reply(*, conversation: Conversation, user: User, text: str) -> Message:
    """Send the user's message with the conversation so far and store the coach's reply and its proposals.

    The user message and the reply are stored together, only once every request succeeded: a failure leaves the
    conversation as it was. Raises CoachNotConfigured, CoachUnavailable, CoachInputInvalid or PermissionDenied."""
    team = conversation.team
    membership_require(user=user, team=team, action="talk to the coach")
    text = (text or "").strip()
    if not text:
        raise CoachInputInvalid("write a message for the coach")
    if len(text) > MAX_TEXT:
        raise CoachInputInvalid(f"a message must be at most {MAX_TEXT} characters")
    if not coach_configured():
        raise CoachNotConfigured()

    user_turn = {"role": "user", "content": [{"type": "text", "text": text}]}
    history = _history(conversation) + [user_turn]
    system = system_prompt_for(conversation=conversation, user=user)
    tools = [prompt.propose_trial_tool(max_folds=settings.TRIAL_MAX_FOLDS)]
    client = _client()
    import anthropic  # loaded by _client already: only the exception classes

    turns: list[dict] = []
    judged_calls: list[tuple[str, dict]] = []
    texts: list[str] = []
    usage = {"input_tokens": 0, "output_tokens": 0, "requests": 0}
    model = settings.COACH_MODEL
    for _ in range(MAX_REQUESTS):
        try:
            response = client.messages.create(
                model=settings.COACH_MODEL,
                max_tokens=settings.COACH_MAX_TOKENS,
                system=system,
                messages=cast(list[Any], _merge_turns(history + turns)),
                tools=cast(list[Any], tools),
            )
        except anthropic.APIError as exc:
            error = _api_error(exc)
            logger.warning("coach: Anthropic request failed for conversation %s: %s", conversation.pk, error)
            raise error from None
        model = response.model
        usage["requests"] += 1
        usage["input_tokens"] += response.usage.input_tokens
        usage["output_tokens"] += response.usage.output_tokens
        turns.append({"role": "assistant", "content": [block.to_dict(mode="json") for block in response.content]})
        texts += [block.text for block in response.content if block.type == "text" and block.text.strip()]
        if response.stop_reason == "max_tokens":
            texts.append(f"(The reply was cut at {settings.COACH_MAX_TOKENS} tokens: COACH_MAX_TOKENS.)")
        calls = [block for block in response.content if block.type == "tool_use"]
        if not calls:
            break
        results = []
        for block in calls:
            if block.name != prompt.TOOL_NAME:
                results.append(
                    {"type": "tool_result", "tool_use_id": block.id, "content": "unknown tool", "is_error": True}
                )
                continue
            judged = _judge(team=team, user=user, tool_input=block.input)
            judged_calls.append((block.id, judged))
            results.append(_tool_result(block.id, judged))
        # Every tool_use is answered in the history, even after the last request, so the next message is valid.
        turns.append({"role": "user", "content": results})

    with transaction.atomic():
        Message.objects.create(
            conversation=conversation, role=Message.Role.USER, user=user, text=text, turns=[user_turn]
        )
        reply = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            text="\n\n".join(texts),
            turns=turns,
            model=model,
            usage=usage,
        )
        Proposal.objects.bulk_create(
            Proposal(
                conversation=conversation,
                message=reply,
                tool_use_id=block_id,
                payload=judged["payload"],
                rationale=judged["rationale"],
                status=Proposal.Status.PROPOSED if judged["valid"] else Proposal.Status.INVALID,
                errors=judged["errors"],
                compliance=judged["compliance"],
            )
            for block_id, judged in judged_calls
        )
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    logger.info(
        "coach: reply %s in conversation %s (%s proposals, %s requests)",
        reply.pk,
        conversation.pk,
        len(judged_calls),
        usage["requests"],
    )
    return reply


# --- Proposals ----------------------------------------------------------------------------------------------


def proposal_launch(*, proposal: Proposal, user: User) -> Trial:
    """One click: create the proposed trial through trial_create, so it is validated again and judged by the
    compliance gateway with the coach's rationale (as notes) and the conversation's goal as free text.

    The proposal is marked launched in the transaction that stores the trial, by a conditional update: of two
    concurrent clicks one launches, the other stores nothing and gets ProposalConflict.
    Raises PermissionDenied, ProposalConflict, TrialSpecInvalid or ComplianceRejected (the proposal stays
    proposed; the refusal is in the audit trail)."""
    conversation = proposal.conversation
    membership_require(user=user, team=conversation.team, action="launch trials")
    proposal.refresh_from_db()
    if proposal.status != Proposal.Status.PROPOSED:
        raise ProposalConflict(f"proposal {proposal.pk} is {proposal.status}: only a proposed trial can be launched")

    def mark_launched(trial: Trial) -> None:
        if not Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.PROPOSED).update(
            status=Proposal.Status.LAUNCHED, trial=trial
        ):
            raise ProposalConflict(f"proposal {proposal.pk} was launched or dismissed meanwhile")

    payload = {**proposal.payload, "notes": proposal.rationale, "goal": conversation.goal}
    trial = trial_create(team=conversation.team, user=user, payload=payload, on_stored=mark_launched)
    proposal.refresh_from_db()
    logger.info("coach: proposal %s launched as trial %s", proposal.pk, trial.pk)
    return trial


def proposal_dismiss(*, proposal: Proposal, user: User) -> Proposal:
    membership_require(user=user, team=proposal.conversation.team, action="dismiss proposals")
    dismissed = Proposal.objects.filter(
        pk=proposal.pk, status__in=[Proposal.Status.PROPOSED, Proposal.Status.INVALID]
    ).update(status=Proposal.Status.DISMISSED)
    proposal.refresh_from_db()
    if not dismissed:
        raise ProposalConflict(f"proposal {proposal.pk} is {proposal.status}: it cannot be dismissed")
    return proposal
