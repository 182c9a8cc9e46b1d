"""A media node installs without the portal: `assessment_video` and the `evidence_store` it
writes with import neither Flask nor anything of `portal` (requirements-media.txt holds what
they need)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("assessment_video", "evidence_store")
FORBIDDEN = ("flask", "portal", "werkzeug", "sqlalchemy", "flask_sqlalchemy")


def _modules() -> list[str]:
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_media_node_imports_nothing_of_the_portal_or_flask():
    code = ("import importlib, json, sys\n"
            f"for name in {_modules()!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "assessment_video.app" in loaded and "evidence_store.s3" in loaded
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert leaked == []


def test_no_module_of_the_media_node_names_the_portal_even_inside_a_function():
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                         else [a.name for a in node.names] if isinstance(node, ast.Import)
                         else [])
                found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert found == []


def test_the_media_requirements_leave_flask_out():
    wanted = (ROOT / "requirements-media.txt").read_text(encoding="utf-8").lower()
    for name in ("aiortc==", "av==", "aiohttp==", "minio=="):
        assert name in wanted
    assert "flask" not in wanted and "sqlalchemy" not in wanted and "--hash=sha256:" in wanted
