"""One unit of work per request (portal/uow.py) and one way to refuse (portal/refusals).

- A view that calls two services commits once at its end: when the second refuses or fails,
  what the first changed is gone too; a refusal shown in a form rolls back as well.
- Nothing in the portal but portal/uow.py commits; there is one `Refused`, and every code raised
  is in the one catalogue.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Blueprint, jsonify, render_template_string

from portal import create_app, uow
from portal.extensions import db
from portal.reference.models import Township
from portal.refusals import Refused, show_in_form
from portal.refusals.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[1] / "portal"


def _add_township(code: str) -> None:
    """A service: changes the session, never commits."""
    db.session.add(Township(code=code, name=f"乡镇{code}"))
    db.session.flush()


def _refuse() -> None:
    raise Refused("not_allowed_now")


@pytest.fixture(scope="module")
def uow_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("uow")
    app = create_app({"ENV_NAME": "testing", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'uow.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp / "evidence")})
    bp = Blueprint("uow_probe", __name__)

    @bp.post("/probe/<code>/<how>")
    def probe(code, how):
        _add_township(code)
        if how == "refused":
            _refuse()
        if how == "error":
            raise RuntimeError("the second service failed")
        if how == "in_form":
            from flask_wtf import FlaskForm

            form = FlaskForm()
            try:
                _refuse()
            except Refused as refusal:
                show_in_form(form, refusal)
            return render_template_string("{{ form.form_errors|join }}", form=form)
        if how == "after_commit":
            uow.after_commit(lambda: _seen.append(("commit", code)))
            uow.after_rollback(lambda: _seen.append(("rollback", code)))
        if how == "after_rollback":
            uow.after_commit(lambda: _seen.append(("commit", code)))
            uow.after_rollback(lambda: _seen.append(("rollback", code)))
            return jsonify(ok=False), 422
        return jsonify(ok=True)

    app.register_blueprint(bp)
    uow.wrap_views(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


_seen: list = []


def _codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.select(Township.code)))


def test_success_commits_once_at_the_end(uow_app):
    response = uow_app.test_client().post("/probe/ok1/ok")
    assert response.status_code == 200
    assert "ok1" in _codes(uow_app)


@pytest.mark.parametrize("how", ["refused", "error", "in_form"])
def test_a_failure_after_the_first_service_leaves_nothing(uow_app, how):
    client = uow_app.test_client()
    response = client.post(f"/probe/half-{how}/{how}", headers={"Accept": "application/json"})
    if how == "refused":
        assert response.status_code == 409
        assert response.get_json()["error"] == "not_allowed_now"
    elif how == "error":
        assert response.status_code == 500
    else:
        assert response.status_code == 200
        assert "目前不能进行此操作" in response.get_data(as_text=True)
    assert f"half-{how}" not in _codes(uow_app)


def test_a_refused_form_post_flashes_and_goes_back(uow_app):
    client = uow_app.test_client()
    response = client.post("/probe/back/refused", headers={"Referer": "http://localhost/start"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/start")
    assert "back" not in _codes(uow_app)


def test_hooks_follow_the_outcome(uow_app):
    _seen.clear()
    client = uow_app.test_client()
    client.post("/probe/h1/after_commit")
    client.post("/probe/h2/after_rollback")
    assert _seen == [("commit", "h1"), ("rollback", "h2")]


def test_the_context_manager_commits_or_rolls_back(uow_app):
    with uow_app.app_context():
        with uow.unit_of_work():
            _add_township("cm1")
        with pytest.raises(Refused), uow.unit_of_work():
            _add_township("cm2")
            _refuse()
    assert {"cm1"} <= _codes(uow_app)
    assert "cm2" not in _codes(uow_app)


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        Refused("no_such_code_anywhere")


# --- the rules as a contract over the source -------------------------------------------------

COMMIT = re.compile(r"\.commit\(\)")
def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        yield path.relative_to(ROOT.parent).as_posix(), path.read_text(encoding="utf-8")


def test_only_the_unit_of_work_commits():
    committing = {name for name, text in _sources()
                  if COMMIT.search(text) and name != "portal/uow.py"}
    assert committing == set()


def test_one_refused_type():
    others = {}
    for name, text in _sources():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Refused") and (
                    name != "portal/refusals/__init__.py"):
                others.setdefault(name, []).append(node.name)
    assert others == {}


def test_every_code_raised_is_in_the_catalogue():
    raised = set()
    for _name, text in _sources():
        raised |= set(re.findall(r"\bRefused\(\s*\"([a-z0-9_]+)\"", text))
    assert raised - set(CATALOGUE) == set()


def test_every_code_is_written_once_in_the_catalogue():
    """A code written twice in a dict literal would silently keep only its last words; the
    catalogue's parts are joined by catalogue.py, which refuses a code found in two parts."""
    from portal.refusals.catalogue import _joined

    written = []
    for part in ("catalogue.py", "oversight.py", "casework.py"):
        tree = ast.parse((ROOT / "refusals" / part).read_text(encoding="utf-8"))
        written += [key.value for node in ast.walk(tree) if isinstance(node, ast.Dict)
                    for key in node.keys if isinstance(key, ast.Constant)]
    assert sorted({c for c in written if written.count(c) > 1}) == []
    assert sorted(written) == sorted(CATALOGUE)  # every code is in one of the parts
    with pytest.raises(ValueError, match="not_allowed_now"):
        _joined({"not_allowed_now": "a"}, {"not_allowed_now": "b"})
