"""``accounts/``: my account, the landing redirect after login, and password reset with a
counter's code; with ``EMAIL_URL`` set, also Django's reset by mail (absent otherwise)."""

from django.conf import settings
from django.urls import path

from . import account_views, landing

urlpatterns = [
    path("", account_views.my_account, name="my_account"),
    path("landing/", landing.landing, name="landing"),
    path("reset/code/", account_views.reset_with_code, name="reset_with_code"),
]

if settings.EMAIL_URL:
    urlpatterns += account_views.EMAIL_RESET_PATTERNS
