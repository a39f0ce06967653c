"""Form widgets shared by every app.

Browsers accept only ISO values in ``<input type="date|month|datetime-local">``; Django
would render the active locale's format (zh-hans: ``2026/12/01``), which the browser
rejects and shows as an empty field. These widgets always render the ISO format; the
fields still parse it in every language (ISO is among Django's input formats).
"""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")
