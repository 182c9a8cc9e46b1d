"""Helpers of the training tests: hospitals and certifications as in the doctors' tests, a
health coordinator, and the pages' forms."""
from datetime import timedelta

import pytest

from portal.clock import local_today
from tests.assessments.conftest import certify, events, hospital  # noqa: F401


@pytest.fixture
def coordinator(make_user, login_as, english):
    """A health coordinator logged in, reading the pages in English."""
    return login_as(make_user("health_coordinator"))


def session_form(*, attendees, categories=("physical", "vision"), days_ago=3, **overrides):
    data = {"held_on": (local_today() - timedelta(days=days_ago)).isoformat(),
            "place": "芒市人民医院三楼会议室", "trainer": "州残疾评定专家组",
            "categories": list(categories), "attendees": [str(a.id) for a in attendees],
            "note": ""}
    data.update(overrides)
    return data


def certification_form(at_hospital, number="YN-T-001", categories=("physical",), **overrides):
    today = local_today()
    data = {"number": number, "hospital": str(at_hospital.id), "categories": list(categories),
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=5 * 365)).isoformat(), "active": "y"}
    data.update(overrides)
    return data
