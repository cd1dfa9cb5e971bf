"""Which team a request acts for (accounts.selectors.membership_for_user): the same answer whether the user's
memberships were read with the user (the API's JWT authentication, user_with_memberships: no query more) or are
looked up on their own (a page's session user); and the ids of their teams the same way."""

import pytest

from accounts.models import Membership, User
from accounts.selectors import membership_for_user, team_ids_for_user, user_with_memberships

from ..factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """dana in Zeta (viewer) and Alpha (owner), erin in no team; Beta exists, with frank only."""
    dana, erin = UserFactory(username="dana"), UserFactory(username="erin")
    zeta, alpha, beta = (TeamFactory(name=name, slug=name.lower()) for name in ("Zeta", "Alpha", "Beta"))
    MembershipFactory(user=dana, team=zeta, role="viewer")
    MembershipFactory(user=dana, team=alpha, role="owner")
    MembershipFactory(user__username="frank", team=beta, role="owner")
    return dana, erin


def _answer(membership: Membership | None):
    return None if membership is None else (membership.user_id, membership.team.slug, membership.role)


@pytest.mark.parametrize("slug", [None, "", "alpha", "zeta", "beta", "nope", "ALPHA", 7])
def test_read_with_the_user_or_on_their_own_memberships_give_the_same_team(people, slug, django_assert_num_queries):
    for person in people:
        expected = _answer(membership_for_user(user=User.objects.get(pk=person.pk), slug=slug))
        with django_assert_num_queries(1):
            loaded = user_with_memberships(id_field="id", value=person.pk)
        with django_assert_num_queries(0):
            assert _answer(membership_for_user(user=loaded, slug=slug)) == expected
    dana, erin = people
    default = {
        None: ("alpha", "owner"),
        "": ("alpha", "owner"),
        "alpha": ("alpha", "owner"),
        "zeta": ("zeta", "viewer"),
    }
    assert _answer(membership_for_user(user=dana, slug=slug)) == (
        (dana.pk, *default[slug]) if slug in default else None  # first by name; never another's team
    )
    assert membership_for_user(user=erin, slug=slug) is None


def test_the_loaded_user_is_the_stored_user_and_an_unknown_id_is_none(people):
    dana, _ = people
    loaded = user_with_memberships(id_field="id", value=dana.pk)
    stored = User.objects.get(pk=dana.pk)
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(loaded, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert [m.team.name for m in loaded.memberships_loaded] == ["Alpha", "Zeta"]
    assert all(m.user is loaded for m in loaded.memberships_loaded)
    assert user_with_memberships(id_field="id", value=10**9) is None


@pytest.mark.parametrize("slug", [None, "", "alpha", "zeta", "beta", "nope"])
def test_team_ids_read_with_the_user_or_on_their_own_are_the_same(people, slug, django_assert_num_queries):
    for person in people:
        expected = team_ids_for_user(user=User.objects.get(pk=person.pk), slug=slug)
        loaded = user_with_memberships(id_field="id", value=person.pk)
        with django_assert_num_queries(0):
            assert team_ids_for_user(user=loaded, slug=slug) == expected
    dana, erin = people
    assert len(team_ids_for_user(user=dana, slug=slug)) == {"alpha": 1, "zeta": 1, "beta": 0, "nope": 0}.get(slug, 2)
    assert team_ids_for_user(user=erin, slug=slug) == []
