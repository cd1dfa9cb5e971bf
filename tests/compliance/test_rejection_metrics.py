"""Every compliance refusal is counted by rule in /metrics."""

import pytest

from compliance.models import InstrumentRule

from ..observability.helpers import TOKEN, scrape, value

pytestmark = pytest.mark.django_db


def test_a_refused_submission_increments_the_rule_counter(bundled, alice, api_as, trial_payload, client, settings):
    settings.METRICS_TOKEN = TOKEN
    before = value(scrape(client), "mltrainer_compliance_rejections_total", rule="instruments")
    InstrumentRule.objects.create(mode="deny", patterns="SPX", reason="index not approved")
    response = api_as(alice).post("/api/trials/", trial_payload, format="json")
    assert response.status_code == 400
    assert [r["rule"] for r in response.json()["compliance"]] == ["instruments"]
    after = value(scrape(client), "mltrainer_compliance_rejections_total", rule="instruments")
    assert after == before + 1
