"""mltrainer_site.compiled_query: a queryset compiled once answers what the queryset answers, for other ids."""

import pytest
from django.db.models import F, Value

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


def _stored(obj) -> dict:
    """A row as read back from the database, without its id and the times the database set."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {k: v for k, v in vars(fresh).items() if k not in ("_state", "id", "created_at")}


def test_a_compiled_insert_stores_the_row_save_stores_and_sends_the_signals(alice, team_a, django_assert_num_queries):
    from django.db.models.signals import post_save, pre_save

    from compliance.models import Decision
    from mltrainer_site.compiled_query import CompiledInsert

    fields = dict(
        automated=False, user=alice, team=team_a, username="alice", team_slug="team-a", stage="submission",
        outcome="allowed", reasons=[{"rule": "r1", "message": "ünïcode ✓"}], rules=[3, 4],
        spec={"model": "ridge", "params": {"alpha": 0.5, "nested": [1, None, True]}},
    )  # fmt: skip
    signals: list[tuple[str, bool | None, int | None]] = []

    def on_pre(sender, instance, **kwargs):
        signals.append(("pre", None, instance.pk))

    def on_post(sender, instance, created, **kwargs):
        signals.append(("post", created, instance.pk))

    pre_save.connect(on_pre, sender=Decision)
    post_save.connect(on_post, sender=Decision)
    try:
        with django_assert_num_queries(1):
            compiled = CompiledInsert(Decision).insert(Decision(**fields))
        by_orm = Decision.objects.create(**fields)
    finally:
        pre_save.disconnect(on_pre, sender=Decision)
        post_save.disconnect(on_post, sender=Decision)
    assert compiled.pk is not None and compiled.pk != by_orm.pk and not compiled._state.adding
    assert compiled.created_at is not None  # auto_now_add, set as save() sets it
    assert _stored(compiled) == _stored(by_orm)
    assert signals == [("pre", None, None), ("post", True, compiled.pk), ("pre", None, None), ("post", True, by_orm.pk)]


def test_a_compiled_insert_of_an_expression_goes_through_save(alice, team_a):
    from django.db.models.functions import Upper

    from compliance.models import Decision
    from mltrainer_site.compiled_query import CompiledInsert

    decision = Decision(user=alice, team=team_a, username=Upper(Value("alice")), team_slug="team-a",
                        stage="submission", outcome="allowed", reasons=[], rules=[], spec={})  # fmt: skip
    CompiledInsert(Decision).insert(decision)
    assert Decision.objects.get(pk=decision.pk).username == "ALICE"


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_on_postgresql_compiled_statements_are_prepared_and_answer_the_same(alice, bob, team_a):
    """Once run 5 times on a connection (psycopg's threshold), a compiled query and a compiled insert run as
    statements prepared on the server, and give what they gave before; the ORM's own queries never are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from compliance.models import Decision
    from mltrainer_site.compiled_query import CompiledInsert

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    by_id = CompiledQuery(User.objects.filter(pk=HOLE), (HOLE,))
    insert = CompiledInsert(Decision)
    fields = dict(user=alice, team=team_a, username="alice", team_slug="team-a", stage="submission",
                  outcome="allowed", reasons=[{"rule": "r1"}], rules=[3], spec={"model": "ridge"})  # fmt: skip
    first = [by_id.first(user.pk) for user in (alice, bob)]
    stored = [insert.insert(Decision(**fields)) for _ in range(7)]
    for _ in range(5):
        assert [by_id.first(user.pk) for user in (alice, bob)] == first
        assert by_id.first(10**9) is None
    list(User.objects.filter(pk=alice.pk))
    with CaptureQueriesContext(connection) as logged:
        by_id.first(alice.pk)
    assert logged.captured_queries[0]["sql"] == by_id.sql.replace("%s", "$1")  # the query log still names it
    prepared = _prepared_statements()
    assert by_id.sql.replace("%s", "$1") in prepared
    assert any(statement.startswith('INSERT INTO "compliance_decision"') for statement in prepared)
    assert not any('"accounts_user"."id" = ' in statement and "$1" not in statement for statement in prepared)
    assert all(_stored(decision) == _stored(stored[0]) for decision in stored[1:])  # prepared or not, one row
