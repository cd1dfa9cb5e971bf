"""Web forms of the Data page: the same inputs the API takes, with the services' errors shown per field."""

from django import forms

from . import providers
from .models import Dataset

_DATE = forms.DateInput(attrs={"type": "date"})


class SeriesForm(forms.Form):
    """A provider series: what a fetch or a watch-list entry names."""

    source = forms.ChoiceField(choices=providers.choices)  # a callable: every registered provider
    symbol = forms.CharField(max_length=64, help_text="Polygon ticker (SPY, X:BTCUSD, I:SPX) or FRED series id")
    start = forms.DateField(widget=_DATE)
    multiplier = forms.IntegerField(initial=1, min_value=1, max_value=1000, required=False)
    timespan = forms.ChoiceField(choices=providers.timespan_choices, initial="day", required=False)
    adjusted = forms.BooleanField(initial=True, required=False, help_text="Polygon: split-adjusted bars")

    def series_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["multiplier"] = data.get("multiplier") or 1
        data["timespan"] = data.get("timespan") or "day"
        return data

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)


class FetchForm(SeriesForm):
    end = forms.DateField(widget=_DATE, required=False, help_text="empty: today")


class UploadForm(forms.Form):
    key = forms.CharField(max_length=64, help_text="the name trials will use, e.g. MYFUND")
    kind = forms.ChoiceField(choices=Dataset.Kind.choices)
    file = forms.FileField(help_text="CSV: date,open,high,low,close[,volume] for bars; date,value for a series")
