"""The words the pages' templates and JavaScript share with the Python code, held once (no Django here).

Templates read them as `vocabulary` (trials.context_processors.vocabulary); JavaScript reads the same dictionary
from the `<script type="application/json" id="vocabulary">` that base.html writes with `json_script` (no inline
code, so a Content-Security-Policy without 'unsafe-inline' holds): `JSON.parse(document.getElementById(
"vocabulary").textContent)`.
"""

from typing import Any

from models_catalog.definition import TARGETS

# Every status of a trial (trials.models.Trial.Status; a test keeps the two equal). Templates compare with
# `vocabulary.status.<name>`, scripts with `vocabulary.status[name]`, never with a string of their own.
TRIAL_STATUSES = ("pending_approval", "queued", "running", "succeeded", "failed", "cancelled", "rejected")
# A trial in one of these has ended: nothing moves it any more (trials/lifecycle.py).
FINISHED_STATUSES = ("succeeded", "failed", "cancelled", "rejected")
# What a coach proposal can be (coach.models.Proposal.Status; a test keeps the two equal).
PROPOSAL_STATES = ("proposed", "launched", "invalid", "dismissed")
# What a message sent to the coach can be (coach.models.Ask.Status; a test keeps the two equal).
ASK_STATES = ("queued", "running", "answered", "failed", "discarded")
# What a trial spec means when it leaves a field out: trials.services.trial_spec_clean fills a missing field with
# its value here, and the forms' initial values and the coach's proposal cards show the same.
SPEC_DEFAULTS: dict[str, Any] = {
    "target": "direction",
    "horizon": 1,
    "scheme": "walk_forward",
    "folds": 5,
    "gap": 1,
    "embargo": 0,
    "groups": 6,
    "test_groups": 2,
    "seed": 0,
    "repeats": 1,
    "positions": "long_flat",
    "commission_bps": 0,
    "slippage_bps": 0,
}


def vocabulary() -> dict:
    return {
        "targets": list(TARGETS),
        "status": {status: status for status in TRIAL_STATUSES},
        "finished_statuses": list(FINISHED_STATUSES),
        "proposal_states": list(PROPOSAL_STATES),
        # By name, for templates and scripts that test one state: vocabulary.proposal.launched.
        "proposal": {state: state for state in PROPOSAL_STATES},
        "ask": {state: state for state in ASK_STATES},
        "spec_defaults": dict(SPEC_DEFAULTS),
    }
