"""API routes of the maintenance fund (included from works/api_urls.py)."""

from django.urls import path

from . import fund_api as api

P = "compounds/<slug:code>/works/fund/"

urlpatterns = [
    path(P + "balances/", api.BalanceListView.as_view(), name="api-works-fund-balances"),
    path(P + "entries/", api.EntryListView.as_view(), name="api-works-fund-entries"),
    path(P + "credits/", api.CreditView.as_view(), name="api-works-fund-credits"),
    path(P + "draws/", api.DrawListView.as_view(), name="api-works-fund-draws"),
    path(
        P + "draws/<int:draw_id>/shares/",
        api.DrawShareListView.as_view(),
        name="api-works-fund-draw-shares",
    ),
    path(
        P + "draws/<int:draw_id>/make/",
        api.DrawMakeView.as_view(),
        name="api-works-fund-draw-make",
    ),
]
