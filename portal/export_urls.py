"""A compound's background list exports: /c/<code>/exports/<id>/ (progress) and file/."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:export_id>/", views.export_status, name="export_status"),
    path("<int:export_id>/status.json", views.export_status_json, name="export_status_json"),
    path("<int:export_id>/file/", views.export_download, name="export_download"),
]
