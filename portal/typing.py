"""Types shared by the apps' views: a request whose user has logged in.

``login_required`` and the access helpers guarantee an authenticated user, but
``HttpRequest.user`` is typed ``User | AnonymousUser``; views behind a login annotate their
request as :class:`AuthenticatedHttpRequest` so services can take ``User``.
"""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    user: User
