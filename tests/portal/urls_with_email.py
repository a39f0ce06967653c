"""The project's URLconf as it is with EMAIL_URL set: Django's reset by mail routed
(portal/account_urls.py adds them only when the setting is there at import)."""

from django.urls import include, path

from portal.account_views import EMAIL_RESET_PATTERNS
from portal.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("accounts/", include(EMAIL_RESET_PATTERNS)), *project_urlpatterns]
