"""The sources a data-source rule can approve, and the live ones, come from the provider registry: a provider
registered once (market_data/providers/) is approvable and counts as live, with no change to compliance."""

import pytest
from django.core.exceptions import ValidationError

from compliance.models import DataSourceRule, data_sources, live_sources
from market_data import providers
from market_data.providers import DataProvider


class DropFolderProvider(DataProvider):
    source = "drop"
    label = "Drop folder"
    symbol_hint = "a file name"
    default_base_url = ""
    live = False  # files an operator drops in: not a moving feed

    def connect(self, **kwargs):
        raise NotImplementedError

    describe = fetch = search = connect


@pytest.fixture
def drop_folder():
    provider = providers.register(DropFolderProvider())
    yield provider
    providers.unregister("drop")


def test_the_shipped_sources():
    assert data_sources() == ("bundled", "polygon", "fred", "upload")
    assert live_sources() == ("polygon", "fred")


def test_a_registered_provider_is_a_source_a_rule_can_approve(drop_folder):
    assert data_sources() == ("bundled", "polygon", "fred", "drop", "upload")
    assert "drop" not in live_sources()
    rule = DataSourceRule(reason="vendor files only", sources="bundled,\nDROP")
    rule.full_clean()
    assert rule.approved == ["bundled", "drop"]


def test_an_unknown_source_is_refused_naming_the_known_ones():
    rule = DataSourceRule(reason="typo", sources="bundled, polgon")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict["sources"] == [
        "unknown source polgon: the sources are bundled, polygon, fred, upload"
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_what_each_rule_approved():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("compliance", "0004_promotion_approval_rule")]  # then forward through 0005_data_source_rule_sources
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps.get_model("compliance", "DataSourceRule")
        live = old.objects.create(reason="vendors", allow_bundled=True, allow_polygon=True, allow_fred=True)
        nothing = old.objects.create(reason="closed", allow_bundled=False)
        uploads = old.objects.create(reason="files", allow_upload=True)
    finally:  # every app back to its latest migration (going back to 0004 also unapplied what depends on it)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    fresh = MigrationExecutor(connection)
    assert not fresh.migration_plan(fresh.loader.graph.leaf_nodes()), "the test left migrations unapplied"
    approved = {rule.pk: rule.approved for rule in DataSourceRule.objects.all()}
    assert approved == {live.pk: ["bundled", "polygon", "fred"], nothing.pk: [], uploads.pk: ["bundled", "upload"]}
