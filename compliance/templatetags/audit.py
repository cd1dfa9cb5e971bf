"""Template filters of the audit trail: what a submission asked for, in one line and in full."""

import json

from django import template

register = template.Library()


@register.filter
def spec_summary(spec) -> str:
    """`model on SYMBOL start → end, target, N folds` from a recorded spec (any part may be missing)."""
    spec = spec if isinstance(spec, dict) else {}
    data = spec.get("data") if isinstance(spec.get("data"), dict) else {}
    validation = spec.get("validation") if isinstance(spec.get("validation"), dict) else {}
    text = f"{spec.get('model') or '?'} on {data.get('symbol') or '?'}"
    if data.get("start") or data.get("end"):
        text += f" {data.get('start') or 'start'} → {data.get('end') or 'end'}"
    if data.get("target"):
        text += f", {data['target']}"
    if validation.get("folds"):
        text += f", {validation['folds']} folds"
    return text


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
