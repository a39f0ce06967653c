"""Routes of a project's money under ``c/<code>/works/<project_id>/`` (included from
works/urls.py, in its ``works`` namespace): receipts and contribution notices."""

from django.urls import path

from . import notice_views, receipt_views

urlpatterns = [
    path("receipts/", receipt_views.receipts_page, name="receipts"),
    path("receipts/<int:receipt_id>/", receipt_views.receipt_page, name="receipt"),
    path("notices/", notice_views.notices_page, name="notices"),
    path("notices/<int:job_id>/", notice_views.notice_job, name="notice_job"),
    path("notices/<int:job_id>/status/", notice_views.notice_job_status, name="notice_job_status"),
    path(
        "notices/<int:job_id>/continue/",
        notice_views.notice_job_continue,
        name="notice_job_continue",
    ),
    path(
        "notices/<int:job_id>/buildings/<building:number>/notices.pdf",
        notice_views.notice_file,
        name="notice_file",
    ),
]
