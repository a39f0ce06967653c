"""URL kwargs of the tickets app for the isolation walk (tests/isolation.py): a request
of the home compound filed by its resident, with a photo, and its words as markers."""

from tests.isolation import per_cast, register_kwarg, register_markers, register_query


@per_cast
def home_request(cast):
    from households.models import Unit
    from tests.tickets.helpers import png_bytes
    from tickets import services

    unit = Unit.objects.owned_by(cast.resident).get(compound=cast.compound)
    return services.request_create(
        compound=cast.compound,
        actor=cast.resident,
        data=services.NewRequest(
            category="repairs", description="home 工单内容甲乙丙", unit_id=unit.pk
        ),
        photos=[png_bytes()],
    )


register_kwarg("request_id", lambda cast: home_request(cast).pk)
register_kwarg("photo_id", lambda cast: home_request(cast).photos.get().pk)
register_markers(lambda cast: [home_request(cast).description])
register_query("api-request-rates", lambda cast: {"year": "2024"})


@per_cast
def home_hotline_import(cast):
    from django.utils import timezone

    from tickets.models import HotlineImport

    return HotlineImport.objects.create(
        compound=cast.compound,
        filename="home 12345.xlsx",
        status="failed",
        created_at=timezone.now(),
        report={"errors": [{"row": 3, "column": "受理时间", "message": "home 行错误甲乙"}]},
    )


for _route in (
    "tickets:hotline-import",
    "tickets:hotline-import-status",
    "tickets:hotline-import-rerun",
    "api-request-hotline-import",
):
    register_kwarg("import_id", lambda cast: home_hotline_import(cast).pk, route=_route)
register_markers(lambda cast: ["home 12345.xlsx", "home 行错误甲乙"])
