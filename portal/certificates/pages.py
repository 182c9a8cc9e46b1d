"""A certificate's own page: what it says, where its QR code leads, and what a scan shows, so
that staff can check a printed code's address without printing and scanning it."""
from __future__ import annotations

import segno
from flask_login import current_user, login_required

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.certificates import bp, township_bp
from portal.certificates.models import Certificate
from portal.certificates.services import scan_preview, verification_address
from portal.certificates.views import _render
from portal.clock import local_today
from portal.tenancy import get_scoped_or_404, require


def _show(certificate_id):
    certificate = get_scoped_or_404(Certificate, certificate_id)
    address = verification_address(certificate)
    status, shown = scan_preview(certificate, local_today())
    record_event("certificate.view", actor=current_user, obj=certificate)
    return _render("certificates/show.html", certificate=certificate, address=address,
                   qr=segno.make(address, error="m").svg_data_uri(scale=4, border=2),
                   status=status, shown=shown)


@bp.route("/certificates/<certificate_id>", endpoint="show")
@login_required
@require(Permission.VIEW_BATCHES)
def city_show(certificate_id):
    """City view of one certificate."""
    return _show(certificate_id)


@township_bp.route("/certificate/<certificate_id>", endpoint="show")
@login_required
@require(Permission.VIEW_BATCHES)
def township_show(certificate_id):
    """Township view of one certificate."""
    return _show(certificate_id)
