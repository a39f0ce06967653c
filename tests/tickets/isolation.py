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
