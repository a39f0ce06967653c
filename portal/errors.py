"""How pages report errors: one way for every app.

A service raises ``ValidationError`` (by field or not); a page either puts it on the form it
re-renders (:func:`errors_to_form`) or, when it redirects, flashes it as messages
(:func:`errors_to_messages`), each message prefixed with its field's label where there is one.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def errors_to_form(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: by field where the form shows that
    field, otherwise as a non-field error."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            visible = name in form.fields and not form.fields[name].widget.is_hidden
            form.add_error(name if visible else None, errors)
    else:
        form.add_error(None, exc.messages)


def errors_to_messages(request: HttpRequest, errors: ValidationError | forms.BaseForm) -> None:
    """Flash a service's ``ValidationError`` or an invalid form's errors as error messages,
    for a page that redirects instead of re-rendering the form."""
    if isinstance(errors, forms.BaseForm):
        for name, field_errors in errors.errors.items():
            label = errors.fields[name].label if name in errors.fields else ""
            for message in field_errors:
                text = str(message)
                messages.error(request, f"{label}：{text}" if label else text)
        return
    for message in errors.messages:
        messages.error(request, message)
