from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import first_login, views

urlpatterns = [
    # Landing page, street-office and compound boards: home, so/<code>/, c/<code>/.
    path("", include("board.urls")),
    # Bringing a compound on board: so/<code>/onboarding/, c/<code>/onboarding/….
    path("", include("households.onboarding_urls")),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        first_login.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # My account, the landing redirect, password reset by code (and by mail if configured).
    path("accounts/", include("portal.account_urls")),
    path("so/<slug:code>/accounts/", include("households.office_account_urls")),
    # Staff accounts: a street office's (so/<code>/accounts/) and a company admin's.
    path("so/<slug:code>/accounts/", include("households.staff_urls")),
    path("company/<int:company_id>/staff/", include("households.company_staff_urls")),
    # Residents' own way in: activation letters' codes and claims (households).
    path("", include("households.resident_urls")),
    path("so/<slug:code>/agreements/", include("agreements.office_urls")),
    path("c/<slug:code>/", include("households.urls")),
    path("c/<slug:code>/fees/", include("fees.urls")),
    path("c/<slug:code>/decisions/", include("voting.urls")),
    path("c/<slug:code>/agreements/", include("agreements.urls")),
    path("c/<slug:code>/works/", include("works.urls")),
    path("c/<slug:code>/requests/", include("tickets.urls")),
    path("c/<slug:code>/exports/", include("portal.export_urls")),
    path("public/", include("portal.public_urls")),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]
