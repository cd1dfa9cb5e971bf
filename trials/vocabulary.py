"""The words the pages' templates and JavaScript share with the Python code, held once (no Django here).

Templates read them as `vocabulary` (trials.context_processors.vocabulary); JavaScript reads the same dictionary
from the `<script type="application/json" id="vocabulary">` that base.html writes with `json_script` (no inline
code, so a Content-Security-Policy without 'unsafe-inline' holds): `JSON.parse(document.getElementById(
"vocabulary").textContent)`.
"""

from models_catalog.definition import TARGETS

# A trial in one of these has ended: nothing moves it any more (trials/lifecycle.py).
FINISHED_STATUSES = ("succeeded", "failed", "cancelled", "rejected")
# What a coach proposal can be (coach.models.Proposal.Status; a test keeps the two equal).
PROPOSAL_STATES = ("proposed", "launched", "invalid", "dismissed")
# What a trial spec means when it leaves a field out (the forms' initial values, the coach's proposal cards).
SPEC_DEFAULTS = {"target": "direction", "horizon": 1, "folds": 5, "gap": 1, "seed": 0, "scheme": "walk_forward"}


def vocabulary() -> dict:
    return {
        "targets": list(TARGETS),
        "finished_statuses": list(FINISHED_STATUSES),
        "proposal_states": list(PROPOSAL_STATES),
        "spec_defaults": dict(SPEC_DEFAULTS),
    }
