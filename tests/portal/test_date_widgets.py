"""Date inputs render ISO values (``<input type=date>`` rejects ``2026/12/01``)."""

import datetime as dt
import importlib
import inspect

import pytest
from django import forms
from django.utils import translation

from portal import widgets

FORM_MODULES = [
    "fees.forms",
    "voting.forms",
    "agreements.views",
    "households.roster_views",
]


def _forms():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def test_every_date_field_of_the_portal_uses_an_iso_widget():
    found = 0
    for cls in _forms():
        for field_name, field in cls.base_fields.items():
            if isinstance(field, forms.DateTimeField):
                assert isinstance(field.widget, widgets.DateTimeInput), (cls, field_name)
            elif isinstance(field, forms.DateField):
                assert isinstance(field.widget, widgets.DateInput | widgets.MonthInput), (
                    cls,
                    field_name,
                )
                found += 1
    assert found >= 8


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_payment_form_shows_its_date_in_iso(language):
    from fees.forms import PaymentForm

    with translation.override(language):
        html = str(PaymentForm(initial={"received_on": dt.date(2026, 12, 1)})["received_on"])
    assert 'type="date"' in html and 'value="2026-12-01"' in html


def test_month_and_datetime_inputs_render_iso_under_zh_hans():
    from fees.forms import BillingRunForm, FeeStandardForm

    with translation.override("zh-hans"):
        run = str(BillingRunForm(initial={"period_start": dt.date(2026, 12, 1)})["period_start"])
        std = str(FeeStandardForm(initial={"valid_to": dt.date(2027, 3, 31)})["valid_to"])
        moment = widgets.DateTimeInput().render("t", dt.datetime(2026, 12, 1, 9, 30))
    assert 'type="month"' in run and 'value="2026-12"' in run
    assert 'value="2027-03-31"' in std
    assert 'type="datetime-local"' in moment and 'value="2026-12-01T09:30"' in moment


def test_an_iso_date_posted_back_is_accepted_in_zh_hans():
    from fees.forms import PaymentForm

    with translation.override("zh-hans"):
        form = PaymentForm(data={"received_on": "2026-12-01"})
        form.is_valid()
    assert "received_on" not in form.errors
