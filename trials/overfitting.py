"""Overfitting guards that need more than one trial: the deflated Sharpe ratio of every trial of a research
question, and the probability of backtest overfitting of a study. Both run in the worker (trials.tasks), never
in a request.

A research question is one team's trials of the same symbol, target, horizon and date range: whatever the model,
parameters, costs or validation, they are attempts at the same thing, so the best of them is deflated by how
many there were (N counts every trial of the question, whatever its status or who launched it, and every
submission of it the compliance gateway refused).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from compliance.models import Decision

from . import metrics as m
from .metric_index import metrics_index
from .models import Study, Trial
from .queue import question_send_refresh
from .selectors import prediction_columns

if TYPE_CHECKING:  # loaded by the web too (the trials app's signal listeners): pandas where it is used
    import pandas as pd

logger = logging.getLogger(__name__)

QUESTION = ("symbol", "target", "horizon", "start", "end")
PBO_MIN_EVALUATIONS = 8
PBO_PARTITIONS = 16


def question_of(trial: Trial) -> dict:
    data = trial.data or {}
    return {
        "team_id": trial.team_id,
        "symbol": data.get("symbol"),
        "target": trial.target,
        "horizon": data.get("horizon"),
        "start": data.get("start"),
        "end": data.get("end"),
    }


def _data_filter(prefix: str, question: dict) -> dict:
    return {f"{prefix}__{name}": question[name] for name in ("symbol", "horizon", "start", "end")}


def question_trials(*, question: dict):
    """Every trial of the question, any status (not team-scoped for a user: the caller holds the team id)."""
    return Trial.objects.filter(
        team_id=question["team_id"], target=question["target"], **_data_filter("data", question)
    )


def _refused(question: dict) -> int:
    """Submissions of the question the compliance gateway refused: they have no trial row. (A study's refused
    evaluation, `automated`, is kept as a rejected trial, so it is counted there, once.)"""
    return Decision.objects.filter(
        team_id=question["team_id"],
        trial_id__isnull=True,
        automated=False,
        stage=Decision.Stage.SUBMIT,
        outcome=Decision.Outcome.REJECTED,
        spec__data__target=question["target"],
        **_data_filter("spec__data", question),
    ).count()


def question_size(*, question: dict) -> int:
    """N: the question's trials plus its refused submissions."""
    return question_trials(question=question).count() + _refused(question)


def question_refresh(*, question: dict) -> int:
    """Recompute `dsr` and `trials_in_question` of every succeeded trial of the question; returns how many.

    Idempotent; the question's rows are locked so two refreshes cannot interleave and leave an older N."""
    with transaction.atomic():
        rows = list(
            question_trials(question=question)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", "status", "return_moments", "metrics", "team_id", "model_key")
        )
        trials = len(rows) + _refused(question)
        sharpes = [moments["sharpe"] for _, _, moments, *_ in rows if moments]
        now = timezone.now()
        updates = [
            Trial(
                pk=pk,
                metrics={
                    **(metrics or {}),
                    "dsr": m.clean({"dsr": m.deflated_sharpe(moments, sharpes, trials)})["dsr"],
                    "trials_in_question": trials,
                },
                dsr_computed_at=now,
                team_id=team_id,
                model_key=model_key,
            )
            for pk, status, moments, metrics, team_id, model_key in rows
            if moments and status == Trial.Status.SUCCEEDED
        ]
        Trial.objects.bulk_update(updates, ["metrics", "dsr_computed_at"], batch_size=500)
        metrics_index(trials=updates)
    logger.info("research question %s: DSR of %s trials recomputed (N=%s)", question, len(updates), trials)
    return len(updates)


def question_refresh_enqueue(*, trial: Trial) -> None:
    """After commit, ask a worker to recompute the DSR of the trial's question (it changed: one more trial)."""
    question = question_of(trial)
    transaction.on_commit(lambda: question_send_refresh(question=question))


def question_refresh_after_trial(*, trial: Trial, new_status: str, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener: a trial of the question ended (succeeded, failed, was
    cancelled or refused), so its question's DSR and N are recomputed, in a worker."""
    if new_status in Trial.FINISHED:
        question_refresh_enqueue(trial=trial)


# --- Studies: probability of backtest overfitting ------------------------------------------------------------


def study_returns(*, study: Study) -> pd.DataFrame:
    """Per-bar net returns of the study's succeeded evaluations: one column per trial, on the dates all share."""
    import pandas as pd

    trials = list(study.trials.filter(status=Trial.Status.SUCCEEDED).values_list("pk", flat=True))
    columns = prediction_columns(trial_ids=trials, columns=("net_return",))
    if not columns:
        return pd.DataFrame()
    frame = pd.DataFrame({trial_id: columns[trial_id]["net_return"] for trial_id in sorted(columns)})
    return frame.sort_index().dropna()


def study_pbo_refresh(*, study_id: int) -> float | None:
    """Compute the study's PBO by CSCV once it has at least 8 succeeded evaluations, again whenever more finish."""
    study = Study.objects.filter(pk=study_id).first()
    if study is None:
        return None
    finished = study.trials.filter(status=Trial.Status.SUCCEEDED).count()
    if finished < PBO_MIN_EVALUATIONS or finished == study.pbo_evaluations:
        return study.pbo
    returns = study_returns(study=study)
    pbo = None
    if returns.shape[1] >= PBO_MIN_EVALUATIONS and len(returns) >= 2 * PBO_PARTITIONS:
        pbo = m.pbo_cscv(returns.to_numpy(), PBO_PARTITIONS)["pbo"]
    Study.objects.filter(pk=study_id).update(pbo=pbo, pbo_evaluations=finished, pbo_computed_at=timezone.now())
    return pbo
