"""Template filters that show metrics by their metadata (trials/figures.py): `{{ value|figure:"sharpe" }}`."""

from django import template

from trials.figures import figure_for, figure_format

register = template.Library()


@register.filter
def figure(value, key: str) -> str:
    return figure_format(key, value)


@register.filter
def figure_label(key: str) -> str:
    return figure_for(key).label


@register.filter
def figure_definition(key: str) -> str:
    return figure_for(key).definition


@register.filter
def get_item(mapping, key):
    """mapping[key], or None: metric columns are chosen at run time."""
    return (mapping or {}).get(key)
