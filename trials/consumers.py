"""WebSocket /ws/trials/<id>/: checks access, joins the trial's group, forwards its events."""

from accounts.consumers import GroupWatchConsumer, user_active

from .events import group_name, trial_event
from .selectors import trial_get, trial_list


class TrialConsumer(GroupWatchConsumer):
    url_kwarg = "trial_id"

    def group_of(self, object_id: int) -> str:
        return group_name(object_id)

    def current_state(self, user, object_id: int) -> dict | None:
        trial = trial_get(user=user, trial_id=object_id)
        return None if trial is None else trial_event(trial, kind="trial.state")

    def still_allowed(self, user, object_id: int) -> bool:
        return user_active(user) and trial_list(user=user).filter(pk=object_id).exists()

    async def trial_event(self, event):
        await self.forward(event)
