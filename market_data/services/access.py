"""Who may change a team's data: the roles each kind of write needs, and what the Data page offers a user."""

from accounts.models import Team, User
from accounts.selectors import membership_get
from accounts.services import OWNERS, WRITERS, membership_allows

DATA_WRITERS = WRITERS  # fetch, upload, change the watch-list
KEY_MANAGERS = OWNERS  # set and remove the team's provider keys


def data_access(*, user: User, team: Team | None) -> dict[str, bool]:
    """Which of the Data page's forms the user gets: `can_write` (fetch, upload, watch-list) and `is_owner` (keys).

    The same roles the services require, so a form is shown exactly when submitting it is allowed."""
    membership = membership_get(user=user, team=team) if team else None
    return {
        "can_write": membership_allows(membership=membership, roles=DATA_WRITERS),
        "is_owner": membership_allows(membership=membership, roles=KEY_MANAGERS),
    }
