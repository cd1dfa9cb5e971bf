"""Feedback, the RD-Agent loop: when a trial launched from a proposal finishes, its result joins the conversation as
a message the coach reads on its next turn, with the figures that matter (out of sample, net of costs, deflated).

A `trials.lifecycle.trial_status_changed` listener (connected in CoachConfig.ready). It runs after the commit in the
process that finished the trial (the worker). The deflated Sharpe ratio of the trial's question is normally
recomputed by a follow-up task; when that has not happened yet, the listener runs the same recompute itself, so the
coach never sees a DSR that leaves this trial out. Idempotent: one feedback message per proposal's trial."""

import logging

from django.db import transaction

from trials.models import Trial
from trials.overfitting import question_of, question_refresh

from .memory import topics_store
from .models import Conversation, Goal, Message, Proposal, Topic
from .selectors import GOAL_TARGETS

logger = logging.getLogger(__name__)

FEEDBACK_MARK = "[trial result]"


def _figure(metrics: dict, name: str, fmt: str = "{:.3f}") -> str:
    value = metrics.get(name)
    return fmt.format(value) if isinstance(value, int | float) else "n/a"


def _against_goal(metrics: dict, goal: Goal | None) -> str:
    """The sentence on the goal's targets that are set: "Against the goal: net Sharpe 0.840 (target ≥ 1, not met)."."""
    parts = []
    for field, metric, label in GOAL_TARGETS:
        target = getattr(goal, field, None) if goal is not None else None
        if target is None:
            continue
        value = metrics.get(metric)
        if not isinstance(value, int | float):
            parts.append(f"{label} n/a (target ≥ {target:g})")
            continue
        shown = f"{value * 100:.1f} %" if metric == "max_drawdown" else f"{value:.3f}"
        wanted = f"{target * 100:g} %" if metric == "max_drawdown" else f"{target:g}"
        parts.append(f"{label} {shown} (target ≥ {wanted}, {'met' if value >= target else 'not met'})")
    return f" Against the goal: {'; '.join(parts)}." if parts else ""


def feedback_text(*, trial: Trial, proposal: Proposal, goal: Goal | None = None) -> str:
    name = trial.name or trial.model_key
    head = f'{FEEDBACK_MARK} Trial #{trial.pk} "{name}" (your proposal {proposal.pk}) {trial.status}.'
    if trial.status != Trial.Status.SUCCEEDED:
        return f"{head} {trial.error[:500]}".strip()
    metrics = trial.metrics or {}
    drawdown = metrics.get("max_drawdown")
    drawdown_text = f"{drawdown * 100:.1f} %" if isinstance(drawdown, int | float) else "n/a"
    return (
        f"{head} Out of sample, net of costs: Sharpe {_figure(metrics, 'sharpe')}, deflated Sharpe ratio (DSR) "
        f"{_figure(metrics, 'dsr')} over {metrics.get('trials_in_question', 'n/a')} trials in the question, max "
        f"drawdown {drawdown_text}, annual return {_figure(metrics, 'annual_return', '{:.2%}')}. The DSR, not the raw "
        "Sharpe ratio, is the figure to improve: a Sharpe that does not survive the deflation is likely luck."
        + _against_goal(metrics, goal)
    )


def trial_result_to_conversation(*, trial_id: int, new_status: str, **_signal) -> None:
    """trial_status_changed listener: a finished trial that a proposal launched reports back to its conversation."""
    if new_status not in Trial.FINISHED:
        return
    proposal = (
        Proposal.objects.filter(trial_id=trial_id, kind=Proposal.Kind.TRIAL).select_related("conversation").first()
    )
    if proposal is None:
        return
    trial = Trial.objects.get(pk=trial_id)
    if trial.status == Trial.Status.SUCCEEDED and (
        trial.dsr_computed_at is None or trial.dsr_computed_at < trial.finished_at
    ):
        question_refresh(question=question_of(trial))
        trial.refresh_from_db()
    text = feedback_text(trial=trial, proposal=proposal, goal=proposal.conversation.team_goal)
    with transaction.atomic():
        Conversation.objects.select_for_update().filter(pk=proposal.conversation_id).first()
        if Message.objects.filter(conversation_id=proposal.conversation_id, feedback_trial_id=trial_id).exists():
            return
        message = Message.objects.create(
            conversation_id=proposal.conversation_id,
            role=Message.Role.USER,
            user=None,
            text=text,
            turns=[{"role": "user", "content": [{"type": "text", "text": text}]}],
            feedback_trial_id=trial_id,
        )
        topics = {(Topic.Kind.TRIAL, str(trial_id)), (Topic.Kind.MODEL, trial.model_key)}
        topics.add((Topic.Kind.SYMBOL, str((trial.data or {}).get("symbol") or "")[:100]))
        topics_store(message=message, team=trial.team, topics={t for t in topics if t[1]})
    logger.info("coach: trial %s's result reported to conversation %s", trial_id, proposal.conversation_id)
    conversation = proposal.conversation
    if conversation.team_goal_id is not None:
        from .services import autopilot_continue, autopilot_failure

        goal = conversation.team_goal
        if goal is not None and goal.autopilot:
            autopilot_failure(goal=goal, failed=trial.status != Trial.Status.SUCCEEDED)
            autopilot_continue(conversation=conversation)
