"""The demo logins printed by `manage.py seed_demo`, in a real browser: each lands where the
table says, on the real 1,412-household data; screenshots go to var/screenshots/."""

import pytest

from board.demo import DEMO_PASSWORD, seed_demo
from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e

# username → (a card on the home page, text on the page the login lands on)
EXPECTED = {
    "jiedao": ("北太平庄街道", "学院南路32号院"),
    "wuguanhui": ("学院南路32号院", "平房十一区"),
    "wuye": ("学院南路32号院", "天岳恒物业"),
    "chanquan": ("学院南路32号院", "17号楼"),
    "yezhu": ("16号楼 1门0802", "16号楼 1门0802"),
    "waibu": ("花园路街道", "牡丹园北里"),
}


@pytest.fixture
def demo(transactional_db):
    """The register and the logins (the apps' own e2e tests cover their demo data)."""
    return seed_demo(apps=())


def test_demo_logins_land_where_the_table_says_and_fit_a_phone(demo, make_page, login, screenshot):
    """Every login of :data:`EXPECTED`, each in its own browser context, then the committee
    on a phone: one test, so the 1,412-household register is seeded (and flushed) once."""
    for username in EXPECTED:
        _login_lands_where_the_table_says(demo, make_page(), login, screenshot, username)
    _on_a_phone(make_page, login, screenshot)


def _login_lands_where_the_table_says(demo, page, login, screenshot, username):
    (entry,) = [d for d in demo.logins if d.username == username]
    card_text, landing_text = EXPECTED[username]
    login(page, username, DEMO_PASSWORD)
    # One scope: the login lands on it; a resident lands on the home page (their flats).
    assert page.url.endswith(entry.path if username != "yezhu" else "/"), username
    page.goto("/")
    assert card_text in page.inner_text("main .cards"), username
    response = page.goto(entry.path)
    assert response.status == 200, username
    assert landing_text in page.inner_text("main"), username
    assert horizontal_overflow(page) <= 0, username
    screenshot(page, f"demo-{username}")
    if username in {"waibu", "yezhu"}:
        assert page.goto("/c/xynl32/").status == 404, username


def _on_a_phone(make_page, login, screenshot):
    page = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, "wuguanhui", DEMO_PASSWORD)
    screenshot(page, "demo-wuguanhui-phone-home")
    for path, name in [
        ("/c/xynl32/", "compound"),
        ("/c/xynl32/buildings/16/", "building-16"),
        ("/c/xynl32/committee/", "committee"),
    ]:
        assert page.goto(path).status == 200
        assert horizontal_overflow(page) <= 0, path
        screenshot(page, f"demo-wuguanhui-phone-{name}")
    # The committee page of the demo shows a lawful composition.
    page.goto("/c/xynl32/committee/")
    assert page.locator("#composition-ok").count() == 1
