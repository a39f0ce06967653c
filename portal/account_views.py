"""The account's own pages: "我的账号" (name, roles, recent sign-ins), choosing a new password
with a reset code from the counter (public), and, where ``EMAIL_URL`` is configured,
Django's reset by mail (:data:`EMAIL_RESET_PATTERNS`)."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .auth import client_ip
from .first_login import password_chosen
from .models import Membership
from .resets import (
    REFUSED_MESSAGE,
    THROTTLED_MESSAGE,
    ResetRefused,
    ResetThrottled,
    address_count,
    address_throttled,
    reset_code_redeem,
)
from .sign_ins import recent_sign_ins
from .typing import AuthenticatedHttpRequest

# (what the user agent contains, what to call it), first match wins.
_BROWSERS = (
    ("MicroMessenger", _("微信")),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_DEVICES = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def browser_label(user_agent: str) -> str:
    """A short name for a user agent ("Chrome · Android"), or the API's "API"."""
    if not user_agent:
        return "—"
    browser = next((str(name) for key, name in _BROWSERS if key in user_agent), "")
    device = next((name for key, name in _DEVICES if key in user_agent), "")
    return " · ".join(part for part in (browser, device) if part) or user_agent[:40]


@login_required
def my_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    memberships = Membership.objects.filter(user_id=user.pk).select_related(
        "district", "street_office", "compound", "service_company"
    )
    sign_ins = [(s, browser_label(s.user_agent)) for s in recent_sign_ins(user)]
    return render(
        request,
        "portal/account.html",
        {"memberships": memberships, "sign_ins": sign_ins},
    )


class ResetWithCodeForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    code = forms.CharField(
        label=_("重置码"),
        max_length=40,
        help_text=_("物管会或街道工作人员给您的15位重置码，如 ABCDE-FGHJK-MNPQR（不分大小写）"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        elif first:
            # The rules that need no account, before the code is looked at: a weak
            # password says nothing about whether the code was right.
            try:
                validate_password(first)
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return data


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
def reset_with_code(request: HttpRequest) -> HttpResponse:
    """Public: username + reset code + new password. Every failure of the code looks the
    same; a bad password is refused before the code is checked and changes nothing."""
    form = ResetWithCodeForm(request.POST or None)
    refusal = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = reset_code_redeem(
                    username=form.cleaned_data["username"],
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["new_password1"],
                    ip=client_ip(request),
                )
            except ResetThrottled as exc:
                refusal, status = str(exc.message), 429
            except ResetRefused:
                refusal = str(REFUSED_MESSAGE)
            except ValidationError as exc:
                form.add_error("new_password1", exc)
            else:
                return render(request, "portal/reset_code_done.html", {"username": user})
            if refusal:
                # A fresh form: nothing typed comes back, so every refusal reads the same.
                form = ResetWithCodeForm(initial={"username": form.cleaned_data["username"]})
    return render(
        request, "portal/reset_code.html", {"form": form, "refusal": refusal}, status=status
    )


class EmailPasswordResetView(auth_views.PasswordResetView):
    """Django's reset by mail; one address may ask ``RESET_CODE_FAILURES_PER_HOUR`` times
    an hour, so the form cannot be used to flood someone's mailbox."""

    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        ip = client_ip(request)
        if address_throttled(_EMAIL_REQUESTS, ip):
            context = self.get_context_data(form=self.get_form(), refusal=THROTTLED_MESSAGE)
            return self.render_to_response(context, status=429)
        address_count(_EMAIL_REQUESTS, ip)
        return super().post(request, *args, **kwargs)


_EMAIL_REQUESTS = "email-reset-requests"


class EmailPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset by mail, which also clears the one-time-password flag and audits."""

    def form_valid(self, form):
        response = super().form_valid(form)
        password_chosen(user=form.user, how="email_reset")
        return response


# Django's reset by mail, routed only where EMAIL_URL is configured (portal/account_urls.py).
EMAIL_RESET_PATTERNS = [
    path(
        "reset/",
        EmailPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        EmailPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
