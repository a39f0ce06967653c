from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("rates/", views.rates_page, name="rates"),
    path("hotline/", views.hotline_page, name="hotline"),
    path("hotline/imports/<int:import_id>/", views.hotline_import_page, name="hotline-import"),
    path(
        "hotline/imports/<int:import_id>/status/",
        views.hotline_import_status,
        name="hotline-import-status",
    ),
    path(
        "hotline/imports/<int:import_id>/rerun/",
        views.hotline_import_rerun_view,
        name="hotline-import-rerun",
    ),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/photos/<int:photo_id>/", views.request_photo, name="photo"),
    path(
        "<int:request_id>/photos/<int:photo_id>/thumbnail/",
        views.request_photo_thumbnail,
        name="photo_thumbnail",
    ),
]
