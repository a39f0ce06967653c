"""seed_demo's activation letters (issue 11): building 16 printed once, by the committee."""

import pytest

from board.demo import APP_SEEDS
from households import demo, demo_letters
from households.models import ActivationCode, LetterJobStatus


@pytest.mark.django_db
def test_the_demo_prints_building_16_once(django_capture_on_commit_callbacks):
    assert "households.demo_letters" in APP_SEEDS
    compound = demo.seed_register()
    with django_capture_on_commit_callbacks(execute=True):
        demo_letters.seed(compound)
    job = compound.activation_letter_jobs.get()
    assert [b.number for b in job.buildings.all()] == ["16"]
    assert job.status == LetterJobStatus.DONE and job.done == job.total > 0
    assert job.chunks.exclude(file="").exists()
    codes = ActivationCode.objects.filter(compound=compound)
    assert codes.count() == job.total
    assert set(codes.values_list("unit__building__number", flat=True)) == {"16"}
    demo_letters.seed(compound)  # again: nothing new
    assert compound.activation_letter_jobs.count() == 1 and codes.count() == job.total
