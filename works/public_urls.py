"""工程公示: the public pages of a compound's works (no login, no personal data)."""

from django.urls import path

from . import public_views

app_name = "works_public"

urlpatterns = [
    path("<slug:code>/works/", public_views.public_projects, name="projects"),
    path("<slug:code>/works/<int:project_id>/", public_views.public_project, name="project"),
    path(
        "<slug:code>/works/<int:project_id>/documents/<int:document_id>/",
        public_views.public_document,
        name="document",
    ),
]
