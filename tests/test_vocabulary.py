"""One vocabulary for Python, templates and JavaScript (trials/vocabulary.py)."""

import json
import re

import pytest
from django.test import Client

from coach.models import Ask, Proposal
from models_catalog.definition import TARGETS
from trials.models import Trial
from trials.vocabulary import ASK_STATES, FINISHED_STATUSES, PROPOSAL_STATES, SPEC_DEFAULTS

pytestmark = pytest.mark.django_db


def test_the_vocabulary_is_the_models_own():
    assert tuple(Trial.FINISHED) == FINISHED_STATUSES
    assert tuple(Proposal.Status.values) == PROPOSAL_STATES
    assert tuple(Ask.Status.values) == ASK_STATES


def test_every_page_carries_it_as_json_for_scripts(alice):
    client = Client()
    client.force_login(alice)
    page = client.get("/models/").content.decode()
    found = re.search(r'<script id="vocabulary" type="application/json">(.*?)</script>', page)
    assert found is not None
    assert json.loads(found.group(1)) == {
        "targets": list(TARGETS),
        "status": {status: status for status in Trial.Status.values},
        "finished_statuses": list(FINISHED_STATUSES),
        "proposal_states": list(PROPOSAL_STATES),
        "proposal": {state: state for state in PROPOSAL_STATES},
        "ask": {state: state for state in ASK_STATES},
        "spec_defaults": SPEC_DEFAULTS,
    }
    # The catalog's target filter is built from it.
    assert all(f'<option value="{target}" ' in page for target in TARGETS)


def test_no_script_repeats_the_finished_statuses():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    repeated = [
        str(path.relative_to(root))
        for path in [*root.glob("static/js/*.js"), *root.glob("*/static/*/*.js"), *root.glob("templates/**/*.html")]
        if '"succeeded", "failed", "cancelled", "rejected"' in path.read_text()
    ]
    assert repeated == []


def test_the_coach_page_names_no_proposal_or_message_state_itself():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in (root / "templates/coach/conversation.html", root / "coach/static/coach/coach.js"):
        source = path.read_text()
        for state in (*PROPOSAL_STATES, *ASK_STATES):
            assert f'"{state}"' not in source, f"{path.name} spells {state!r}: read it from the vocabulary"
