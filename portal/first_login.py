"""First login with a one-time password (一次性密码): before any other page, the account
must choose its own password.

``portal.services.one_time_password_issue`` sets ``AccountState.must_change_password``.
Whether it is set is read once per session (at login, by :func:`_remember_at_login`, or on
the first request of a session older than this module) and kept in the session, so a
request of an account without the flag costs no query. The flag is cleared by
:class:`PasswordChangeView` when the account chooses its password, and by the reset pages.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, user_logged_in
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import AccountState

#: Session key: True while the session's account must change its password, False once known.
SESSION_FLAG = "portal_must_change_password"
# Always reachable with the flag set: what signing out, choosing the password, switching
# the language and loading the page's files need; the API has its own credentials.
_EXEMPT_URL_NAMES = ("logout", "password_change", "password_change_done", "set_language")
_EXEMPT_PREFIXES = ("/i18n/", "/api/", "/favicon.ico")


def must_change_password(user_id: int) -> bool:
    return AccountState.objects.filter(user_id=user_id, must_change_password=True).exists()


@transaction.atomic
def password_chosen(*, user, how: str) -> None:
    """``user`` has just chosen their own password (``how``: "change", "email_reset", …):
    no page insists on a change any more, and the log says so."""
    AccountState.objects.filter(user_id=user.pk, must_change_password=True).update(
        must_change_password=False
    )
    audit_record(
        action="user.password_chosen",
        actor=user,
        obj=user,
        data={"username": user.get_username(), "how": how},
    )


@receiver(user_logged_in)
def _remember_at_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_FLAG] = must_change_password(user.pk)


def _exempt_paths() -> tuple[str, ...]:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return (*_EXEMPT_PREFIXES, static, *(reverse(name) for name in _EXEMPT_URL_NAMES))


class FirstLoginMiddleware:
    """Sends an account that must change its password to the password page (with the
    page it asked for as ``next``) until it has; see the module docstring for the cost."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_change(request) and not request.path_info.startswith(_exempt_paths()):
            target = reverse("password_change")
            if request.method == "GET":
                target += "?" + _next_query(request.get_full_path())
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _must_change(request: HttpRequest) -> bool:
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return False
        flag = session.get(SESSION_FLAG)
        if flag is None:  # a session from before this check existed
            if not request.user.is_authenticated:
                return False
            flag = session[SESSION_FLAG] = must_change_password(request.user.pk)
        return bool(flag)


def _next_query(path: str) -> str:
    query = QueryDict(mutable=True)
    query["next"] = path
    return query.urlencode()


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which also clears the one-time-password flag; after a
    forced change it goes on to the page first asked for (or the role's landing page)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["must_change_password"] = bool(self.request.session.get(SESSION_FLAG))
        context["next"] = self._next()
        return context

    def form_valid(self, form):
        forced = bool(self.request.session.get(SESSION_FLAG))
        response = super().form_valid(form)
        password_chosen(user=self.request.user, how="change")
        self.request.session[SESSION_FLAG] = False
        if not forced:
            return response
        messages.success(self.request, _("密码已修改，今后请用新密码登录。"))
        return redirect(self._next() or resolve_url(settings.LOGIN_REDIRECT_URL))

    def _next(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        safe = url_has_allowed_host_and_scheme(
            candidate,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        )
        return candidate if safe and candidate.startswith("/") else ""
