"""Shared assertions of the certificate-life tests."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.certificates.services import signed_token
from portal.dashboards.figures import certified_condition, refresh_figures
from portal.dashboards.models import DashboardFigure
from portal.lifecycle.models import CertificateRequest
from portal.rosters.models import Person
from tests.cases.helpers import access, text
from tests.lifecycle.conftest import TODAY


def the_request(db_session, person, kind) -> CertificateRequest:
    return db_session.scalars(select(CertificateRequest).where(
        CertificateRequest.person_id == person.id, CertificateRequest.kind == kind)
        .order_by(CertificateRequest.id.desc())).first()


def counted_as_holder(db_session, person) -> bool:
    """Whether the holding rate's numerator counts the person (the dashboards' condition)."""
    return bool(db_session.scalar(select(func.count()).select_from(Person).where(
        Person.id == person.id, certified_condition(TODAY))))


def township_certified(db_session, world) -> int:
    """The township dashboard's "certified" figure, recomputed now."""
    refresh_figures(access(world.city), [world.township.id], TODAY)
    return sum(db_session.scalars(select(DashboardFigure.value).where(
        DashboardFigure.township_id == world.township.id, DashboardFigure.family == "persons",
        DashboardFigure.key == "certified")))


def scan(client, certificate) -> str:
    return text(client.get(f"/v/{signed_token(certificate)}"))
