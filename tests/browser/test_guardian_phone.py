"""In a real browser the size of a small phone: staff invite a guardian, the guardian opens the
link, sends a photo, a PDF record and a video; the pages fit 375 px with large touch targets."""
from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest

from tests.browser.conftest import PASSWORD
from tests.guardian.conftest import JPEG, MP4, PDF

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def live_case(live_server):
    """A person of Mangshi town with an open case, in the live portal's database."""
    from portal.auth.models import User
    from portal.cases.models import Case
    from portal.domain import idcard
    from portal.extensions import db
    from portal.reference.models import Township
    from portal.rosters.models import Person

    app = live_server.app
    with app.app_context():
        town = db.session.scalars(db.select(Township).filter_by(code="mangshi")).one()
        staff = db.session.scalars(db.select(User).filter_by(
            username="live_township_staff")).one()
        number = idcard.make("533103", date(1950, 3, 4), 515)
        person = db.session.scalars(db.select(Person).filter_by(id_number=number)).first()
        if person is None:
            person = Person(township_id=town.id, name="岩温", gender="female", id_number=number,
                            id_reversed=number[::-1], birth_date=date(1950, 3, 4),
                            mobility="bedridden")
            db.session.add(person)
            db.session.flush()
        case = Case(township_id=town.id, person_id=person.id, kind="issue", path="home_visit",
                    state="registered", requested_category="mental", created_by_id=staff.id)
        db.session.add(case)
        db.session.commit()
        return case.id


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px phone"
    small = page.evaluate("""() => [...document.querySelectorAll('main .btn-touch')]
        .map(b => b.getBoundingClientRect().height).filter(h => h > 0 && h < 44)""")
    assert not small, f"touch targets under 44px on {page.url}: {small}"


def test_guardian_with_a_phone_sends_photo_pdf_and_video(live_server, browser, live_case,
                                                        tmp_path):
    from tests.browser.conftest import log_in

    staff = browser.new_context(locale="zh-CN").new_page()
    log_in(staff, live_server, "live_township_staff")
    staff.goto(f"{live_server}/t/mangshi/cases/{live_case}")
    staff.locator("a.guardian-invite-link").click()
    staff.locator("#guardian_name").fill("玉香")
    staff.locator("#relation").fill("女儿")
    staff.locator("form button[type=submit].btn-primary").click()
    link = staff.locator("#invite-url").input_value()
    assert re.search(r"/g/invite/[A-Za-z0-9_-]{40,}$", link)
    assert staff.locator(".qr-code svg").count() == 1

    phone = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True,
                                locale="zh-CN").new_page()
    phone.goto(link)
    _fits_the_phone(phone)
    phone.locator("form:has(input[name='once-choice']) button").click()
    phone.wait_for_load_state("networkidle")
    assert "岩温" in phone.content()
    _fits_the_phone(phone)
    phone.locator("a.guardian-upload-link").click()
    camera = phone.locator("input[name=camera]")
    assert camera.get_attribute("capture") == "environment"
    _fits_the_phone(phone)
    files = {"portrait": ("photo.jpg", JPEG), "medical_record": ("record.pdf", PDF),
             "video": ("clip.mp4", MP4)}
    for document, (name, data) in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        phone.locator("select[name=document]").select_option(document)
        phone.locator("input[name=file]" if name.endswith(".pdf") else "input[name=camera]"
                      ).set_input_files(str(path))
        phone.locator("main form button[type=submit]").click()
        phone.wait_for_load_state("networkidle")
        assert phone.locator(".alert-success").count() == 1, phone.content()[:3000]
    sent = phone.locator(".guardian-sent li").all_inner_texts()
    assert len(sent) == 3

    from portal.evidence.models import Evidence
    from portal.evidence.services import get_store
    from portal.extensions import db

    with live_server.app.app_context():
        rows = db.session.scalars(db.select(Evidence).filter_by(case_id=live_case)).all()
        store = get_store(live_server.app)
        assert sorted(e.kind for e in rows) == ["medical_record", "photo", "video"]
        for row in rows:
            with store.open(row.object_key) as body:
                assert hashlib.sha256(body.read()).hexdigest() == row.sha256
    assert PASSWORD  # the live users' password is the browser suite's
