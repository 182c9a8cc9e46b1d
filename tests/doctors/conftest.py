"""The doctors' registry tests share the assessment tests' helpers."""
from tests.assessments.conftest import (  # noqa: F401
    _english,
    certify,
    events,
    hospital,
    make_case,
)
