"""Every index the schema keeps earns its writes: none is a leading part of another index on the same table.

An index on (team) beside one on (team, created_at) serves no query the second cannot, yet every insert writes both
(a submission wrote 17 index entries where 13 do the same work)."""

from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalog (the suite's database)"),
]

ROOT = Path(__file__).resolve().parent.parent.parent


def _our_models() -> list:
    """The project's models (its apps live at the repository's top level), not the libraries'."""
    return [
        model for config in apps.get_app_configs() if Path(config.path).parent == ROOT for model in config.get_models()
    ]


INDEXES = """
    SELECT i.relname, x.indisunique,
           array_agg(a.attname ORDER BY k.n), array_agg(CASE WHEN k.option & 1 = 1 THEN 'DESC' ELSE 'ASC' END
           ORDER BY k.n), array_agg(k.opclass ORDER BY k.n), x.indpred IS NOT NULL OR x.indexprs IS NOT NULL, am.amname
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_am am ON am.oid = i.relam
    CROSS JOIN LATERAL unnest(x.indkey, x.indoption, x.indclass) WITH ORDINALITY AS k(attnum, option, opclass, n)
    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE x.indrelid = %s::regclass
    GROUP BY i.relname, x.indisunique, x.indpred, x.indexprs, am.amname
"""


def _plain_indexes(table: str) -> dict[str, tuple[bool, tuple[tuple[str, str, int], ...]]]:
    """Btree indexes on plain columns (no expression, no WHERE): {name: (unique, ((column, order, opclass), ...))}."""
    with connection.cursor() as cursor:
        cursor.execute(INDEXES, [table])
        rows = cursor.fetchall()
    return {
        name: (unique, tuple(zip(columns, orders, opclasses, strict=True)))
        for name, unique, columns, orders, opclasses, special, method in rows
        if not special and method == "btree"
    }


def _covers(longer: tuple, shorter: tuple) -> bool:
    """`longer` serves every lookup and order `shorter` does: shorter's columns lead it, in the same directions (or
    all reversed, scanned backwards; a single column in either direction)."""
    lead = longer[: len(shorter)]
    if len(shorter) > len(longer) or [(c, k) for c, _, k in lead] != [(c, k) for c, _, k in shorter]:
        return False  # other columns, or another operator class (varchar_pattern_ops, for LIKE, is not the same)
    flip = {"ASC": "DESC", "DESC": "ASC"}
    orders = [o for _, o, _ in lead]
    return orders == [o for _, o, _ in shorter] or orders == [flip[o] for _, o, _ in shorter]


def redundant_indexes() -> list[str]:
    tables = sorted({model._meta.db_table for model in _our_models()})
    redundant = []
    for table in tables:
        indexes = _plain_indexes(table)
        for name, (unique, columns) in indexes.items():
            if unique:
                continue  # a constraint, not only a way in
            for other, (other_unique, longer) in indexes.items():
                tie_broken = len(longer) > len(columns) or other_unique or other < name
                if other != name and _covers(longer, columns) and tie_broken:
                    redundant.append(f"{table}.{name} {columns} is served by {other} {longer}")
    return redundant


def test_no_index_is_a_leading_part_of_another():
    found = redundant_indexes()
    assert found == [], "\n".join(found)


def test_the_check_finds_a_covered_index():
    """The check itself: an index on (team_id) beside the trial list's (team_id, created_at DESC, id DESC)."""
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX test_redundant_team ON "trials_trial" ("team_id")')
    assert any("test_redundant_team" in line and "trial_team_created" in line for line in redundant_indexes())


def test_every_declared_index_and_constraint_is_in_the_database():
    """Migrations build what the models declare. (Django's AlterField of a foreign key on PostgreSQL drops every
    index on its column, a partial unique constraint's too: registry's one production version per name was lost so
    until its migration put it back.)"""
    missing = []
    for model in _our_models():
        with connection.cursor() as cursor:
            present = set(connection.introspection.get_constraints(cursor, model._meta.db_table))
        declared = {item.name for item in [*model._meta.indexes, *model._meta.constraints]}
        missing += [f"{model._meta.db_table}.{name}" for name in sorted(declared - present)]
    assert missing == []


def test_a_trials_progress_and_heartbeat_are_written_in_place(alice, team_a, make_trial):
    """A fold's progress (folds, progress, heartbeat) and the heartbeat change no indexed column of a trial, and
    its pages keep a tenth free: PostgreSQL writes them as heap-only updates, not into each of its seven indexes
    (100 workers write five a trial and a heartbeat every 15 s). Fails while an index holds heartbeat_at."""
    from django.utils import timezone

    from trials.models import Trial

    trial = make_trial(alice, team_a)
    Trial.objects.filter(pk=trial.pk).update(status="running", started_at=timezone.now())

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'trials_trial'"
            )
            return cursor.fetchone()

    before = updates()
    for fold in range(5):
        Trial.objects.filter(pk=trial.pk, status="running").update(
            folds=[{"fold": fold}], progress=(fold + 1) / 5, heartbeat_at=timezone.now()
        )
        Trial.objects.filter(pk=trial.pk, status="running").update(heartbeat_at=timezone.now())
    after = updates()
    assert (after[0] - before[0], after[1] - before[1]) == (10, 10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'trials_trial'")
        assert cursor.fetchone()[0] == ["fillfactor=90"]
