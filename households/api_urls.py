from django.urls import path

from . import api, api_accounts, api_activation, api_committee, api_letters

urlpatterns = [
    path(
        "compounds/<slug:code>/buildings/",
        api.BuildingListView.as_view(),
        name="api-building-list",
    ),
    path("compounds/<slug:code>/units/", api.UnitListView.as_view(), name="api-unit-list"),
    path(
        "compounds/<slug:code>/units/<int:unit_id>/",
        api.UnitDetailView.as_view(),
        name="api-unit-detail",
    ),
    path("compounds/<slug:code>/owners/", api.OwnerListView.as_view(), name="api-owner-list"),
    path("activate/", api_activation.ActivateView.as_view(), name="api-activate"),
    path(
        "compounds/<slug:code>/activation-letters/",
        api_letters.ActivationLettersView.as_view(),
        name="api-activation-letters",
    ),
    path(
        "compounds/<slug:code>/activation-letters/<int:job_id>/",
        api_letters.ActivationLetterJobView.as_view(),
        name="api-activation-letter-job",
    ),
    path(
        "compounds/<slug:code>/activation-letters/<int:job_id>/buildings/<building:number>.pdf",
        api_letters.ActivationLetterFileView.as_view(),
        name="api-activation-letter-file",
    ),
    path(
        "compounds/<slug:code>/members/",
        api_accounts.MemberCreateView.as_view(),
        name="api-member-create",
    ),
    path(
        "compounds/<slug:code>/members/<str:username>/roles/",
        api_accounts.MemberRolesView.as_view(),
        name="api-member-roles",
    ),
    path(
        "compounds/<slug:code>/members/<str:username>/roles/<slug:role>/",
        api_accounts.MemberRoleView.as_view(),
        name="api-member-role",
    ),
    path(
        "compounds/<slug:code>/members/<str:username>/deactivate/",
        api_accounts.MemberDeactivateView.as_view(),
        name="api-member-deactivate",
    ),
    path(
        "compounds/<slug:code>/members/<str:username>/reactivate/",
        api_accounts.MemberReactivateView.as_view(),
        name="api-member-reactivate",
    ),
    path(
        "compounds/<slug:code>/committee/",
        api_committee.CommitteeView.as_view(),
        name="api-committee",
    ),
    path(
        "compounds/<slug:code>/committee/formations/",
        api_committee.FormationsView.as_view(),
        name="api-committee-formations",
    ),
    path(
        "compounds/<slug:code>/committee/formations/<int:formation_id>/steps/",
        api_committee.FormationStepView.as_view(),
        name="api-committee-formation-steps",
    ),
    path(
        "compounds/<slug:code>/committee/formations/<int:formation_id>/candidates/",
        api_committee.FormationCandidatesView.as_view(),
        name="api-committee-formation-candidates",
    ),
    path(
        "compounds/<slug:code>/committee/formations/<int:formation_id>/corrections/",
        api_committee.FormationCorrectionView.as_view(),
        name="api-committee-formation-corrections",
    ),
]
