from django.urls import path

from . import views

urlpatterns = [
    path("buildings/<str:number>/", views.building_detail, name="building"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("committee/", views.committee_detail, name="committee"),
]
