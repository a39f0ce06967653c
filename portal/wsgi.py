"""
WSGI config for portal project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# A web process of the embedded mode runs Celery tasks in a background thread.
from portal import background  # noqa: E402

background.activate()

from portal.startup import freeze_startup_objects  # noqa: E402

freeze_startup_objects()
