"""Pages anyone may open without logging in: they never show personal data."""

urlpatterns: list = []
