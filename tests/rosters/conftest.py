"""Shared helpers of the people and roster report tests: English pages, audit lookups."""
import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def events(db_session):
    """The audit events with `action`, oldest first."""

    def _events(action: str):
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return db_session.scalars(stmt).all()

    return _events

