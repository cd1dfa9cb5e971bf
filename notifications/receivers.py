"""Listeners on other apps' signals that announce events: a trial succeeded or failed, a trial asks for approval,
an approval was decided, a study finished."""

from django.db import transaction
from django.urls import reverse

from trials.models import Study, Trial

from .models import Event
from .services import event_emit


def trial_finished(*, trial_id: int, old_status, new_status: str, trial: Trial, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener (after commit): a trial's end, or the four eyes' verdict."""
    finished = new_status in (Trial.Status.SUCCEEDED, Trial.Status.FAILED)
    decided = old_status == Trial.Status.PENDING_APPROVAL and new_status in (Trial.Status.QUEUED, Trial.Status.REJECTED)
    if not (finished or decided):
        return  # most moves (a claim, a cancel) announce nothing
    url = reverse("trial-detail", args=[trial_id])
    name = trial.name or f"{trial.model_key} on {trial.data.get('symbol')}"
    if finished:
        event = Event.TRIAL_SUCCEEDED if new_status == Trial.Status.SUCCEEDED else Event.TRIAL_FAILED
        sharpe = (trial.metrics or {}).get("sharpe")
        body = f"Sharpe {sharpe:.2f}" if isinstance(sharpe, float) else (trial.error or "")[:500]
        event_emit(team=trial.team, event=event, key=f"trial:{trial_id}:{new_status}", title=f"Trial {trial_id} "
                   f"({name}) {new_status}", body=body, url=url, data={"trial": trial_id})  # fmt: skip
    if decided:
        verdict = "approved" if new_status == Trial.Status.QUEUED else "rejected"
        event_emit(team=trial.team, event=Event.APPROVAL_DECIDED, key=f"trial:{trial_id}:approval",
                   title=f"Trial {trial_id} ({name}) {verdict}", body=trial.error if verdict == "rejected" else "",
                   url=url, data={"trial": trial_id, "verdict": verdict})  # fmt: skip


def study_finished(*, study_id: int, status: str, **_signal) -> None:
    """trials.studies.study_finished listener (after commit): the study ended, with its best value."""
    study = Study.objects.select_related("team").filter(pk=study_id).first()
    if study is None:
        return
    best = f"best {study.metric} {study.best_value:.4g}" if study.best_value is not None else "no evaluation scored"
    event_emit(team=study.team, event=Event.STUDY_FINISHED, key=f"study:{study.pk}:{status}",
               title=f"Study {study.pk} ({study.name or study.metric}) {status}", body=best,
               url=reverse("study-detail", args=[study.pk]),
               data={"study": study.pk, "status": status, "best_value": study.best_value})  # fmt: skip


def trial_created(*, sender, instance: Trial, created: bool, **_signal) -> None:
    """post_save on Trial: a trial born waiting for four eyes asks its team's owners (after commit)."""
    if not created or instance.status != Trial.Status.PENDING_APPROVAL:
        return
    trial = instance
    transaction.on_commit(
        lambda: event_emit(
            team=trial.team,
            event=Event.APPROVAL_REQUESTED,
            key=f"trial:{trial.pk}:requested",
            title=f"Trial {trial.pk} waits for approval",
            url=reverse("trial-detail", args=[trial.pk]),
            data={"trial": trial.pk},
        )  # fmt: skip
    )
