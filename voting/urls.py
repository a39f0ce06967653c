from django.urls import path

from . import views

app_name = "voting"

urlpatterns = [
    path("", views.decision_list, name="decisions"),
    path("new/", views.decision_create, name="decision_create"),
    path("<int:decision_id>/", views.decision_detail, name="decision"),
    path("<int:decision_id>/edit/", views.decision_update, name="decision_update"),
    path("<int:decision_id>/items/", views.item_add, name="item_add"),
    path("<int:decision_id>/do/<slug:action>/", views.decision_action, name="action"),
    path("<int:decision_id>/count/", views.decision_count, name="count"),
    path("<int:decision_id>/proxies/", views.proxy_register, name="proxy_register"),
    path(
        "<int:decision_id>/proxies/<int:proxy_id>/revoke/",
        views.proxy_revoke,
        name="proxy_revoke",
    ),
    path("<int:decision_id>/ballot/", views.ballot, name="ballot"),
    path("<int:decision_id>/paper/", views.paper_entry, name="paper_entry"),
    path("<int:decision_id>/review/", views.review_queue, name="review"),
    path("<int:decision_id>/turnout/", views.turnout, name="turnout"),
    path("<int:decision_id>/sheets/", views.ballot_sheets, name="sheets"),
    path("<int:decision_id>/report/", views.report_request, name="report_request"),
    path("<int:decision_id>/report.pdf", views.report_download, name="report"),
]
