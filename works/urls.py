"""Pages of works projects under ``c/<code>/works/`` (included from portal/urls.py). The
other works helpers add their own route modules with one include line each below."""

from django.urls import include, path

from . import views

app_name = "works"

urlpatterns = [
    path("", views.projects, name="projects"),
    path("new/", views.project_new, name="project-new"),
    path("<int:project_id>/", views.project_detail, name="project"),
    path("<int:project_id>/edit/", views.project_edit, name="project-edit"),
    path("<int:project_id>/funding/", views.project_funding, name="project-funding"),
    path("<int:project_id>/step/", views.project_step, name="project-step"),
    path("<int:project_id>/shares/", views.project_shares, name="project-shares"),
    path("<int:project_id>/documents/", views.document_new, name="document-new"),
    path(
        "<int:project_id>/documents/<int:document_id>/",
        views.document_file,
        name="document-file",
    ),
    path("<int:project_id>/", include("works.money_urls")),
    path("fund/", include("works.fund_urls")),
]
