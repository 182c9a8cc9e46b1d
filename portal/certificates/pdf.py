"""Certificate data sheets as PDF (WeasyPrint, CJK from Debian's Noto CJK fonts), QR by segno."""
from __future__ import annotations

import segno
from flask import render_template

from portal.certificates.models import Certificate
from portal.certificates.services import verification_address

# The sheet's layout; kept here because the sheet is never served to a browser.
SHEET_CSS = """
  @page { size: A4; margin: 18mm; }
  body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; font-size: 12pt; }
  .sheet { page-break-after: always; }
  .sheet:last-child { page-break-after: auto; }
  h1 { font-size: 18pt; margin: 0 0 8mm; }
  table { border-collapse: collapse; width: 120mm; }
  th, td { border: 0.3mm solid #333; padding: 2mm 3mm; text-align: left; vertical-align: top; }
  th { width: 40mm; background: #eee; }
  .photo { position: absolute; right: 0; top: 14mm; width: 32mm; height: 42mm;
           border: 0.3mm dashed #333; text-align: center; font-size: 9pt;
           padding-top: 18mm; box-sizing: border-box; }
  .qr { margin-top: 10mm; }
  .qr img { width: 35mm; height: 35mm; }
  .qr p { font-size: 9pt; margin: 1mm 0; }
  .page { position: relative; }
"""


def qr_data_uri(certificate: Certificate) -> str:
    """The QR code (SVG data URI) of the public verification address of the certificate."""
    address = verification_address(certificate)
    return segno.make(address, error="m").svg_data_uri(scale=4, border=2)


def data_sheets_pdf(certificates: list[Certificate]) -> bytes:
    """One A4 data sheet per certificate, in one PDF."""
    # Imported late: loading pango costs about half a second.
    from weasyprint import CSS, HTML

    sheets = [(c, qr_data_uri(c)) for c in certificates]
    html = render_template("certificates/sheet_pdf.html", sheets=sheets)
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=SHEET_CSS)])
