"""Key pages as a phone's browser receives them stay within 200 KB: the portal compresses
(brotli, else gzip) what the browser says it accepts. Measured on the demo county (a living
campaign: cases in every state, certificates, overdue items), compressed bodies counted in
bytes as they travel, and decompressed again to prove they are the page; with each page, its
styles and scripts as the browser fetches them (nginx serves /static/ gzipped)."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest
from sqlalchemy import func, select

BUDGET = 200 * 1024
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"?]+)')


@pytest.fixture
def demo_county(runner, db_session):
    result = runner.invoke(args=["seed", "demo", "--persons", "1200", "--seed", "4"])
    assert result.exit_code == 0, result.output


def _asset(client, url: str) -> int:
    """Bytes of a static file on the wire: compressed by the portal if it did, else as
    deploy/nginx.conf serves /static/ (gzip level 5)."""
    with client.get(url, headers={"Accept-Encoding": "br, gzip"}) as response:
        assert response.status_code == 200, url
        body = response.get_data()
        if response.headers.get("Content-Encoding"):
            return len(body)
    return len(gzip.compress(body, compresslevel=5))


def _as_received(client, url: str, encoding: str) -> tuple[int, int]:
    """(bytes on the wire of the page and its styles and scripts, bytes of the page) of
    `url` fetched accepting `encoding`."""
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response.status_code == 200, (url, response.status_code)
    body = response.get_data()
    received = response.headers.get("Content-Encoding", "identity")
    assert received == encoding.split(",")[0].strip(), (url, received)
    assert "Accept-Encoding" in response.headers.get("Vary", "")
    plain = brotli.decompress(body) if received == "br" else gzip.decompress(body)
    assert b"</html>" in plain
    assets = sorted(set(ASSET.findall(plain.decode())))
    assert any(a.endswith(".css") for a in assets), url
    return len(body) + sum(_asset(client, a) for a in assets), len(plain)


def _busiest_case(db_session):
    """The issued case with the longest history, and its township's code."""
    from portal.audit.models import AuditEvent
    from portal.cases.models import Case
    from portal.reference.models import Township

    events = (select(AuditEvent.object_id, func.count().label("n"))
              .where(AuditEvent.object_type == "cases").group_by(AuditEvent.object_id)
              .subquery())
    case, code = db_session.execute(
        select(Case, Township.code).join(Township, Township.id == Case.township_id)
        .outerjoin(events, events.c.object_id == Case.id)
        .order_by(events.c.n.desc().nulls_last(), Case.id).limit(1)).one()
    return case, code


def test_key_pages_within_200_kb_as_received(demo_county, client, login_as, make_user,
                                             db_session):
    from portal.reference.models import Township

    case, code = _busiest_case(db_session)
    township = db_session.execute(select(Township).where(Township.code == code)).scalar_one()
    pages = {}
    login_as(make_user("township_staff", township))
    for label, url in (("people list", f"/t/{code}/persons"),
                       ("case list", f"/t/{code}/cases/"),
                       ("case page", f"/t/{code}/cases/{case.id}"),
                       ("person page", f"/t/{code}/persons/{case.person_id}"),
                       ("township dashboard", f"/t/{code}/dashboard/")):
        pages[label] = url
    measured = {label: _as_received(client, url, "br") for label, url in pages.items()}
    measured["people list (gzip)"] = _as_received(client, pages["people list"], "gzip")
    login_as(make_user("supervisor"))
    for label, url in (("city dashboard", "/city/dashboard/"), ("city overview", "/city/")):
        measured[label] = _as_received(client, url, "br")
        measured[label + " (gzip)"] = _as_received(client, url, "gzip, deflate")

    print("\n".join(f"{label}: {wire:,} B received, {plain:,} B page"
                    for label, (wire, plain) in measured.items()))
    over = {label: sizes for label, sizes in measured.items() if sizes[0] > BUDGET}
    assert not over, over
    # The dashboard with its chart library still fits (the figures page is the heaviest).
    assert measured["city dashboard"][0] > measured["city overview"][0]


def test_nothing_compressed_for_a_client_that_does_not_ask(client):
    response = client.get("/auth/login")
    assert "Content-Encoding" not in response.headers
    assert b"</html>" in response.get_data()
