"""App-wide behaviour: configuration, error pages, headers, language, database settings."""
import pytest
from sqlalchemy import text

from portal import create_app
from portal.extensions import db


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": None,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_runs_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"]


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    app = create_app({"ENV_NAME": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    assert app.config["EVIDENCE_DIR"] == str(tmp_path / "evidence")


def test_sqlite_uses_wal_and_foreign_keys(app, db_session):
    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("SQLite pragmas")
    assert db_session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db_session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_write_request_waits_instead_of_failing(tmp_path):
    """A POST that reads, then writes after another connection wrote, still succeeds: it
    took the write lock when it began (the other writer waited for it)."""
    import threading

    from portal.reference.models import Township

    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.sqlite3'}"})
    with app.app_context():
        db.create_all()
    other_done = threading.Event()

    def other_writer():
        with app.app_context():
            db.session.add(Township(code="other", name="别的乡", kind="township"))
            db.session.commit()
        other_done.set()

    with app.test_request_context("/", method="POST"):
        db.session.execute(text("SELECT count(*) FROM townships")).scalar()
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert not other_done.wait(0.5)  # the other writer waits for this transaction
        db.session.add(Township(code="mine", name="本乡", kind="township"))
        db.session.commit()
    thread.join(10)
    assert other_done.is_set()
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM townships")) == 2


def test_not_found_page_is_friendly_and_chinese(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "页面不存在" in page and "返回首页" in page


def test_security_headers(client):
    response = client.get("/auth/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(app, client, login_as, make_township, make_user):
    user = make_user("township_staff", make_township())
    login_as(user)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_language_switch_to_english_and_back(client, post):
    assert "登录" in client.get("/auth/login").get_data(as_text=True)
    post("/language", {"locale": "en", "next": "/auth/login"})
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Log in" in page and "登录" not in page
    post("/language", {"locale": "zh_Hans_CN", "next": "/auth/login"})
    assert "登录" in client.get("/auth/login").get_data(as_text=True)


def test_language_switch_refuses_foreign_redirect(client, post):
    response = post("/language", {"locale": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_oversized_upload_gets_friendly_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/auth/login", data={"username": "x" * 5000, "password": "y"})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 50 * 1024 * 1024
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)


def test_healthz_answers_from_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_schema_is_built_by_migrations(app, db_session):
    version = db_session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version and len(version) >= 8
    assert db.inspect(db_session.get_bind()).has_table("persons")


def test_database_errors_do_not_carry_personal_data_into_logs(app, db_session, make_township,
                                                              make_person, caplog):
    """A failed statement logged as an error shows neither its values (SQLAlchemy) nor the
    values the database quotes back (PostgreSQL's DETAIL line)."""
    import sqlalchemy.exc

    from portal.rosters.models import Person

    township = make_township()
    person = make_person(township, name="保密姓名")
    clone = Person(township_id=township.id, name="保密姓名", gender=person.gender,
                   id_number=person.id_number, id_reversed=person.id_reversed,
                   birth_date=person.birth_date)
    db_session.add(clone)
    try:
        with db_session.begin_nested():
            db_session.flush()
    except sqlalchemy.exc.IntegrityError as error:
        assert "保密姓名" not in str(error)
        app.logger.exception("unhandled error on %s", "POST /t/x/persons/new")
    else:
        pytest.fail("the second registration of an ID number was accepted")
    assert "unhandled error on POST /t/x/persons/new" in caplog.text
    assert "IntegrityError" in caplog.text
    assert person.id_number not in caplog.text and "保密姓名" not in caplog.text
