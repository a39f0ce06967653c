"""The Celery application: ``celery -A portal worker`` in real mode.

In the embedded mode a web process hands tasks to :mod:`portal.background` instead of
the (absent) broker: every task of every app goes through :class:`PortalTask`.
"""

import os

from celery import Celery, Task
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class PortalTask(Task):
    def apply_async(self, args=None, kwargs=None, task_id=None, *more, **options):
        from . import background

        if background.is_active():
            return self.AsyncResult(background.submit(self, args, kwargs, task_id))
        return super().apply_async(args, kwargs, task_id, *more, **options)


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup_objects(**_kwargs) -> None:
    """Each pool process, once forked: WeasyPrint loaded and start-up frozen
    (:mod:`portal.startup`)."""
    from .startup import freeze_startup_objects

    freeze_startup_objects(pdf=True)
