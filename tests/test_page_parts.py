"""Every screen table is drawn by the one `data_table` macro of templates/_macros/lists.html; only
the printed sheets (paper lists with signature columns, PDFs, posters) keep their own markup."""
from pathlib import Path

from flask import render_template_string

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Printed or PDF pages: their tables are laid out for paper, not for a screen.
PRINT_TEMPLATES = {
    "certificates/batch_list.html",   # printable list of a print batch, "Checked" column to tick
    "certificates/receipts.html",     # handover receipt list with a signature column
    "certificates/sheet_pdf.html",    # data sheet rendered to PDF
    "scheduling/print_day.html",      # attendance list of a concentrated day, for printing
    "batches/print.html",             # list of an organised batch, with a signature column
    "cases/notice.html",              # public notice printed and posted in the village
    "supervision/report.html",        # supervision report rendered to PDF
    "_macros/lists.html",             # the macro itself
}


def test_no_screen_template_builds_its_own_table():
    hand_built = sorted(
        str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
        if "<table" in path.read_text(encoding="utf-8")
        and str(path.relative_to(TEMPLATES)) not in PRINT_TEMPLATES
    )
    assert hand_built == []


def _render(app, source, **context):
    with app.test_request_context("/"):
        return render_template_string(
            '{% from "_macros/lists.html" import data_table, empty_row %}' + source, **context)


def test_data_table_draws_header_classes_hidden_headers_and_a_totals_footer(app):
    page = _render(app, """
{% set foot %}<tr><th scope="row">Total</th><td class="text-end">{{ total }}</td><td></td></tr>{% endset %}
{% call data_table("Per township", ["Township", {"text": "Persons", "class": "text-end"}, {"hidden": "Actions"}],
                   id="t", foot=foot, caption_hidden=True) %}{{ empty_row("Nothing <here>", 3) }}{% endcall %}""",
                   total=7)
    assert '<div class="table-responsive" tabindex="0">' in page
    assert '<caption class="visually-hidden">Per township</caption>' in page
    assert '<th scope="col" class="text-end">Persons</th>' in page
    assert '<th scope="col"><span class="visually-hidden">Actions</span></th>' in page
    assert '<tfoot><tr><th scope="row">Total</th><td class="text-end">7</td><td></td></tr></tfoot>' in page
    assert '<td colspan="3">Nothing &lt;here&gt;</td>' in page


def test_data_table_without_headers_or_footer_draws_neither(app):
    page = _render(app, """
{% set foot %}{% if false %}<tr><td>x</td></tr>{% endif %}{% endset %}
{% call data_table("Figures", [], classes="table-sm w-auto", foot=foot) %}<tr><th scope="row">Rows</th><td>3</td></tr>{% endcall %}""")
    assert "<thead>" not in page and "<tfoot>" not in page
    assert '<caption>Figures</caption>' in page and '<th scope="row">Rows</th><td>3</td>' in page
