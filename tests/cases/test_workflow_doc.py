"""The workflow's table is the one place of its rules: every effect it names exists, and
docs/workflow.md is what `flask workflow doc` makes of it now."""
from portal.cases.effects import EFFECTS
from portal.cases.workflow import BY_ACTION
from portal.cases.workflow_doc import DOC, render


def test_every_named_effect_is_registered(app):
    named = {name for t in BY_ACTION.values() for name in t.effects}
    assert named - set(EFFECTS) == set()
    assert set(EFFECTS) - named == set(), "an effect no transition uses"


def test_the_workflow_document_is_current(app):
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/workflow.md is out of date: run `flask --app wsgi workflow doc`")


def test_the_document_names_guards_and_effects(app):
    page = render()
    row = next(line for line in page.splitlines() if line.startswith("| `approve` |"))
    assert "independent_approver" in row and "number_certificate" in row
    assert "under_review --> approved: approve" in page
