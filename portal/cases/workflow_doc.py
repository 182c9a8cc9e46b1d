"""docs/workflow.md, generated from the transition table: a state diagram (Mermaid) and one
row per transition with its permission, guards and effects. `flask workflow doc` writes it;
tests/cases/test_workflow_doc.py fails when the file is not what the table says."""
from __future__ import annotations

from pathlib import Path

from portal.cases.effects import EFFECTS, GUARDS
from portal.cases.workflow import BY_ACTION

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"
HEADER = """# The case workflow

Generated from `portal/cases/workflow.py` (the transition table) and the guards and
effects registered by name (`portal/cases/effects.py` and each area's own) by `flask --app wsgi workflow doc`; do not edit by hand. A test
fails when this file and the table differ.

Every state change goes through `apply_transition`: permission, guards, state change,
effects, the case's timeline event and an audit event, in the caller's unit of work.
"""


def _first_line(fn) -> str:
    return ((fn.__doc__ or "").strip().splitlines() or [""])[0]


def render() -> str:
    transitions = list(BY_ACTION.values())
    lines = [HEADER, "## States and transitions", "", "```mermaid", "stateDiagram-v2"]
    for t in transitions:
        for source in sorted(t.sources):
            lines.append(f"    {source} --> {t.target}: {t.action}")
    lines += ["```", "", "## The table", "",
              "| action | from | to | permission | guards | effects |",
              "|---|---|---|---|---|---|"]
    for t in transitions:
        sources = ", ".join(sorted(t.sources))
        guards = ", ".join(t.guards) or "—"
        effects = ", ".join(t.effects) or "—"
        lines.append(f"| `{t.action}` | {sources} | {t.target} | {t.permission.value} | "
                     f"{guards} | {effects} |")
    named = sorted({name for t in transitions for name in t.guards})
    lines += ["", "## Guards", "", "| guard | what it checks |", "|---|---|"]
    for name in named:
        lines.append(f"| `{name}` | {_first_line(GUARDS[name])} |")
    lines += ["", "## Effects", "", "| effect | what it does |", "|---|---|"]
    for name in sorted(EFFECTS):
        lines.append(f"| `{name}` | {_first_line(EFFECTS[name])} |")
    return "\n".join(lines) + "\n"


def write() -> Path:
    DOC.write_text(render(), encoding="utf-8")
    return DOC
