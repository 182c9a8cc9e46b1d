"""Certificate data sheets as PDF (WeasyPrint, CJK from Debian's Noto CJK fonts), QR by segno."""
from __future__ import annotations

from collections.abc import Callable

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


# Sheets laid out together: one layout per sheet would let the progress move sheet by sheet,
# but costs a third more time than one for the batch (measured: 40 sheets in 1.0 s against
# 0.75 s); ten together cost a tenth more and still move the bar every fraction of a second.
SHEETS_PER_LAYOUT = 10


def data_sheets_pdf(certificates: list[Certificate],
                    progress: Callable[[int, int], None] | None = None) -> bytes:
    """One A4 data sheet per certificate, in one PDF; `progress(done, total)` is told after
    each group of sheets is laid out."""
    # Imported late: loading pango costs about half a second.
    from weasyprint import CSS, HTML

    stylesheets = [CSS(string=SHEET_CSS)]
    total = len(certificates)
    groups = [certificates[i:i + SHEETS_PER_LAYOUT]
              for i in range(0, total, SHEETS_PER_LAYOUT)] or [[]]
    documents, done = [], 0
    for group in groups:
        sheets = [(c, qr_data_uri(c)) for c in group]
        html = render_template("certificates/sheet_pdf.html", sheets=sheets)
        documents.append(HTML(string=html).render(stylesheets=stylesheets))
        done += len(group)
        if progress is not None:
            progress(done, total)
    if len(documents) == 1:
        return documents[0].write_pdf()
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
