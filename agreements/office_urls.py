"""Pages under /so/<code>/agreements/: the street office's register."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.office_agreement_list, name="office_agreement_list"),
]
