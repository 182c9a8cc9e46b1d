"""The people list: filters, search modes, capped count and pagination, masking, visibility."""
import re
from datetime import date

import pytest

from portal.domain import idcard
from portal.rosters.models import Guardianship, PovertyAssignment, RosterEntry
from tests.rosters.helpers import text


@pytest.fixture
def town(make_township):
    return make_township(villages=("一村", "二村", "三村"))


@pytest.fixture
def staff(town, make_user, login_as):
    return login_as(make_user("township_staff", town))


def _village(town, name):
    return next(v for v in town.villages if v.name == name)


def _list(client, town, **params):
    response = client.get(f"/t/{town.code}/persons", query_string=params)
    assert response.status_code == 200
    return text(response)


def test_filters(client, town, staff, make_person, db_session):
    v1, v2 = _village(town, "一村"), _village(town, "二村")
    make_person(town, name="甲一", village=v1, list_kind="expired", poverty_registered=True)
    make_person(town, name="乙二", village=v2, list_kind="suspected", mobility="bedridden")
    closed = make_person(town, name="丙三", village=v2, list_kind="suspected")
    db_session.get(RosterEntry, closed.roster_entries[0].id).status = "certified"
    db_session.flush()

    def names(**params):
        page = _list(client, town, **params)
        return {n for n in ("甲一", "乙二", "丙三") if n in page}

    assert names() == {"甲一", "乙二", "丙三"}
    assert names(list_kind="expired") == {"甲一"}
    assert names(list_kind="suspected") == {"乙二", "丙三"}
    assert names(village=v2.id) == {"乙二", "丙三"}
    assert names(status="certified") == {"丙三"}
    assert names(list_kind="expired", status="certified") == set()
    assert names(poverty="yes") == {"甲一"}
    assert names(poverty="no") == {"乙二", "丙三"}
    assert names(mobility="bedridden") == {"乙二"}


def test_search_modes(client, town, staff, make_person):
    make_person(town, name="张三丰", name_pinyin="zhang san feng", name_initials="zsf",
                id_number=idcard.make("533103", date(1970, 3, 4), 123))
    make_person(town, name="李四", name_pinyin="li si", name_initials="ls",
                id_number=idcard.make("533103", date(1980, 5, 6), 456))
    tail = idcard.make("533103", date(1980, 5, 6), 456)[-4:]

    def names(q):
        page = _list(client, town, q=q)
        return {n for n in ("张三丰", "李四") if n in page}

    assert names("张") == {"张三丰"}
    assert names("张三") == {"张三丰"}
    assert names("三") == set()  # name search is a prefix search
    assert names("zs") == {"张三丰"}
    assert names("ZSF") == {"张三丰"}
    assert names("zhang") == {"张三丰"}
    assert names("li s") == {"李四"}
    assert names(tail) == {"李四"}
    assert names(tail.lower()) == {"李四"}


def test_long_id_searches_are_refused(client, town, staff, make_person):
    person = make_person(town, name="王五")
    page = _list(client, town, q=person.id_number[-7:])
    assert "at most the last 6 characters" in page
    assert "王五" not in page
    page = _list(client, town, q="张3")
    assert "Search by name" in page and "王五" not in page


def test_capped_count_and_pages(app, client, town, staff, make_person, monkeypatch):
    monkeypatch.setitem(app.config, "PERSONS_PER_PAGE", 2)
    monkeypatch.setitem(app.config, "PERSONS_COUNT_CAP", 3)
    for name, pinyin in (("阿", "a"), ("波", "bo"), ("陈", "chen"), ("邓", "deng"), ("鄂", "e")):
        make_person(town, name=name, name_pinyin=pinyin, name_initials=pinyin[0])
    first = _list(client, town)
    assert "More than 3 people match" in first
    assert "阿" in first and "波" in first and "陈" not in first
    assert "page=2" in first
    second = _list(client, town, page=2)
    assert "陈" in second and "邓" in second and "阿" not in second
    # Beyond the counted cap the list goes on, page by page, from the last row shown.
    next_link = re.search(r'rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert "after=" in next_link and "page=3" in next_link
    third = client.get(next_link).get_data(as_text=True)
    assert "鄂" in third and "邓" not in third and 'rel="next"' not in third
    prev_link = re.search(r'rel="prev" href="([^"]+)"', third).group(1).replace("&amp;", "&")
    back = client.get(prev_link).get_data(as_text=True)
    assert "陈" in back and "邓" in back and "鄂" not in back
    monkeypatch.setitem(app.config, "PERSONS_COUNT_CAP", 100)
    assert "5 people match" in _list(client, town)


def test_ids_and_phones_are_masked_in_the_list(client, town, staff, make_person):
    person = make_person(town, name="赵六", phone="13912345678")
    page = _list(client, town)
    assert "赵六" in page
    assert person.id_number not in page
    assert idcard.mask(person.id_number) in page
    assert "13912345678" not in page


def test_liaison_sees_only_own_villages(client, town, make_user, make_person, login_as):
    v1, v2 = _village(town, "一村"), _village(town, "二村")
    make_person(town, name="本村人", village=v1)
    make_person(town, name="外村人", village=v2)
    login_as(make_user("village_liaison", town, [v1]))
    page = _list(client, town)
    assert "本村人" in page and "外村人" not in page
    assert "二村" not in page  # the village filter offers only the liaison's villages


def test_guardian_and_cadre_see_only_linked_persons(client, town, make_user, make_person,
                                                    login_as, db_session):
    mine = make_person(town, name="被监护人", poverty_registered=True)
    make_person(town, name="无关人", poverty_registered=True)
    guardian = make_user("guardian")
    cadre = make_user("poverty_cadre", town)
    db_session.add(Guardianship(township_id=town.id, user_id=guardian.id, person_id=mine.id))
    db_session.add(PovertyAssignment(township_id=town.id, user_id=cadre.id, person_id=mine.id))
    db_session.flush()
    for user in (guardian, cadre):
        login_as(user)
        page = _list(client, town)
        assert "被监护人" in page and "无关人" not in page


def test_foreign_township_is_404(client, town, staff, make_township, make_person):
    other = make_township()
    person = make_person(other, name="外乡人")
    assert client.get(f"/t/{other.code}/persons").status_code == 404
    assert client.get(f"/t/{town.code}/persons/{person.id}").status_code == 404
