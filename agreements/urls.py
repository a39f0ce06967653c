"""Pages under /c/<code>/agreements/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.agreement_list, name="agreement_list"),
    path("new/", views.agreement_generate, name="agreement_generate"),
    path("template/", views.template_edit, name="agreement_template"),
    path("<int:agreement_id>/", views.agreement_detail, name="agreement"),
    path("<int:agreement_id>/pdf/", views.agreement_pdf, name="agreement_pdf"),
    path("<int:agreement_id>/sign/<int:party_id>/", views.agreement_sign, name="agreement_sign"),
    path("<int:agreement_id>/file/", views.agreement_file, name="agreement_file"),
    path("<int:agreement_id>/verify/", views.agreement_verify_stored, name="agreement_verify"),
]
