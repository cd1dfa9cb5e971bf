"""mltrainer_site.compiled_query: a queryset compiled once answers what the queryset answers, for other ids."""

import pytest
from django.db.models import F

from accounts.models import Membership, User
from mltrainer_site.compiled_query import CompiledQuery

pytestmark = pytest.mark.django_db

HOLE = -(2**40) - 7


def test_a_model_query_gives_the_instance_the_orm_gives(alice, bob):
    by_id = CompiledQuery(User.objects.filter(pk=HOLE), (HOLE,))
    for user in (alice, bob):
        found = by_id.first(user.pk)
        expected = User.objects.get(pk=user.pk)
        assert isinstance(found, User) and found == expected and not found._state.adding
        assert {k: v for k, v in vars(found).items() if k != "_state"} == {
            k: v for k, v in vars(expected).items() if k != "_state"
        }
    assert by_id.first(10**9) is None


def test_a_values_query_gives_the_row_the_orm_gives(alice, bob, team_a):
    rows = Membership.objects.filter(user_id=HOLE).values("role", team_slug=F("team__slug")).order_by()[:1]
    compiled = CompiledQuery(rows, (HOLE,))
    assert compiled.first(alice.pk) == next(iter(rows.model.objects.filter(user=alice).values(
        "role", team_slug=F("team__slug"))))  # fmt: skip
    assert compiled.first(10**9) is None


def test_a_hole_must_be_exactly_one_parameter():
    with pytest.raises(ValueError, match="each hole"):
        CompiledQuery(User.objects.filter(pk=1), (HOLE,))
    with pytest.raises(ValueError, match="each hole"):
        CompiledQuery(User.objects.filter(pk=HOLE, pk__gte=HOLE), (HOLE,))


def test_a_model_query_joining_another_model_is_refused():
    with pytest.raises(ValueError, match="own columns"):
        CompiledQuery(Membership.objects.select_related("team").filter(user_id=HOLE), (HOLE,))
