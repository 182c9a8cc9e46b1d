"""A certificate printed behind a proxy carries PUBLIC_BASE_URL in its QR code, read back from
the printed PDF; the certificate's page shows that address and what a scan shows."""
from __future__ import annotations

import html

import pypdfium2
import zxingcpp
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.certificates.models import Certificate
from tests.certificates.test_certificates import _cert, _printed

PUBLIC = "https://cjr.example.gov.cn/portal"
# As a request arrives through a reverse proxy the portal was not told to trust.
BEHIND_PROXY = {"base_url": "http://localhost:8000",
                "headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}}


def _qr_codes(pdf: bytes) -> list[str]:
    """The text of every QR code on the PDF's pages, rendered as a printer would."""
    document = pypdfium2.PdfDocument(pdf)
    found = []
    for page in document:
        image = page.render(scale=3).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image)
                  if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def test_printed_qr_code_carries_the_public_address(app, world, approved, db_session, client,
                                                    login_as, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    case = approved()
    _printed(world, [case])
    certificate = _cert(db_session, case)
    login_as(world.city)
    response = client.get(f"/city/certificates/sheets/{certificate.id}.pdf", **BEHIND_PROXY)
    assert response.status_code == 200
    codes = _qr_codes(response.data)
    assert len(codes) == 1 and codes[0].startswith(PUBLIC + "/v/"), codes
    # The address printed is the one that checks this certificate.
    scanned = client.get(codes[0].removeprefix(PUBLIC))
    assert scanned.status_code == 200 and "Valid" in scanned.get_data(as_text=True)


def test_certificate_page_shows_address_and_scan_preview(app, world, approved, db_session,
                                                         client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    case = approved()
    _printed(world, [case])
    certificate = _cert(db_session, case)
    login_as(world.staff)
    page = client.get(f"/t/{world.township.code}/certificates/certificate/{certificate.id}",
                      **BEHIND_PROXY)
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    address = body.split('class="verification-address text-break">')[1].split("<")[0]
    assert address.startswith(PUBLIC + "/v/")
    preview = body.split('class="mt-4 border rounded p-3 scan-preview"')[1]
    public_page = html.unescape(client.get(address.removeprefix(PUBLIC)).get_data(as_text=True))
    for shown in ("Valid", "Physical", certificate.expires_on.isoformat()):
        assert shown in preview and shown in public_page
    assert certificate.person.name not in preview  # a scan never shows the holder
    viewed = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "certificate.view", AuditEvent.object_id == certificate.id)).all()
    assert [e.actor_id for e in viewed] == [world.staff.id]


def test_certificate_page_only_for_certificate_roles(world, approved, db_session, client,
                                                     login_as):
    case = approved()
    _printed(world, [case])
    certificate = db_session.scalars(select(Certificate).where(
        Certificate.case_id == case.id)).one()
    login_as(world.liaison)
    url = f"/t/{world.township.code}/certificates/certificate/{certificate.id}"
    assert client.get(url).status_code == 403
    login_as(world.supervisor)
    assert client.get(f"/city/certificates/certificates/{certificate.id}").status_code == 200
