"""The Chinese catalogue covers every interface string, and pages are Chinese by default.

The msgids are extracted from the source tree at test time (same method map as babel.cfg), so
a string added without a translation fails here until `./scripts/i18n.sh` is run and the new
entries are translated in portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po.
"""
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
SOURCE_DIRS = ("portal", "templates")
# Python %-format placeholders, str.format fields, HTML entities and tag names.
PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|\{[A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}"
    r"|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);"
    r"|</?[A-Za-z][A-Za-z0-9]*"
)


# As scripts/i18n.sh: its --ignore-dirs replaces pybabel's default, so `_macros` is read.
IGNORE_DIRS = {".venv", ".git", "instance", "bench", "tests", "__pycache__"}


def _in_source(path: str) -> bool:
    """Walk only the folders babel.cfg maps, skipping the folders scripts/i18n.sh ignores."""
    parts = Path(path).relative_to(ROOT).parts
    return parts[0] in SOURCE_DIRS and not IGNORE_DIRS.intersection(parts)


@pytest.fixture(scope="module")
def source_messages() -> dict[str, tuple[str, str | None, str]]:
    """msgid -> (msgid, msgid_plural, first location) for every string in the source tree."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS,
            directory_filter=_in_source):
        singular, plural = message if isinstance(message, tuple) else (message, None)
        found.setdefault(singular, (singular, plural, f"{filename}:{lineno}"))
    return found


@pytest.fixture(scope="module")
def catalogue():
    with open(CATALOGUE / "messages.po", "rb") as fileobj:
        return read_po(fileobj)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_extraction_finds_the_interface(source_messages):
    # Guards the test itself: a broken method map would find nothing and prove nothing.
    assert len(source_messages) > 300
    assert "Log in" in source_messages  # a template string
    assert "Wrong username or password." in source_messages  # a Python string


def test_catalogue_is_chinese_with_one_plural_form(catalogue):
    assert str(catalogue.locale) == "zh_Hans_CN"
    assert catalogue.num_plurals == 1 and catalogue.plural_expr == "0"


def test_every_interface_string_has_a_chinese_translation(source_messages, catalogue):
    problems = []
    for msgid, (_singular, plural, where) in sorted(source_messages.items()):
        message = catalogue.get(msgid)
        if message is None:
            problems.append(f"{where}: not in messages.po: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"{where}: fuzzy: {msgid!r}")
        elif not all(s.strip() for s in _strings(message)):
            problems.append(f"{where}: untranslated: {msgid!r}")
        elif plural is not None and len(_strings(message)) != 1:
            problems.append(f"{where}: needs exactly one plural form: {msgid!r}")
    assert not problems, (
        "Run ./scripts/i18n.sh and translate these entries:\n" + "\n".join(problems))


def test_translations_keep_the_placeholders(source_messages, catalogue):
    problems = []
    for msgid, (_singular, plural, where) in sorted(source_messages.items()):
        message = catalogue.get(msgid)
        if message is None:
            continue
        # The single Chinese form stands for the plural msgid (which carries the count).
        expected = Counter(PLACEHOLDER.findall(plural if plural is not None else msgid))
        for string in _strings(message):
            if string and Counter(PLACEHOLDER.findall(string)) != expected:
                problems.append(f"{where}: {msgid!r} -> {string!r}")
    assert not problems, "Placeholders differ:\n" + "\n".join(problems)


def test_compiled_catalogue_matches_the_po(catalogue):
    mo_path = CATALOGUE / "messages.mo"
    assert mo_path.exists(), "run: pybabel compile -d portal/translations"
    with open(mo_path, "rb") as fileobj:
        compiled = read_mo(fileobj)
    stale = [m.id for m in catalogue
             if m.id and not m.fuzzy and compiled.get(m.id) is not None
             and _strings(compiled.get(m.id)) != _strings(m)]
    missing = [m.id for m in catalogue if m.id and not m.fuzzy and m.id not in compiled]
    assert not (stale or missing), (
        f"messages.mo is out of date ({len(stale) + len(missing)} entries): "
        "run pybabel compile -d portal/translations")


def test_login_page_is_chinese_by_default(client):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert re.search(r"<title>登录 · 残疾人证核发工作平台</title>", page)
    assert "用户名" in page and "密码" in page and "Log in" not in page


def test_english_is_served_when_the_browser_asks_for_it(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/auth/login").get_data(as_text=True)
    assert "<title>Log in · " in page and "登录" not in page


def test_failed_login_message_is_chinese(client, post):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    page = post("/auth/login", {"username": "nobody", "password": "wrong-password-1"}
                ).get_data(as_text=True)
    assert "用户名或密码错误。" in page


def test_roster_pages_are_chinese(client, login_as, make_township, make_user, make_person):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    township = make_township()
    make_person(township, name="李四")
    login_as(make_user("township_staff", township))
    page = client.get(f"/t/{township.code}/persons").get_data(as_text=True)
    assert "李四" in page
    for text in ("乡镇", "身份证号码", "搜索", "退出"):
        assert text in page, text
    missing = client.get(f"/t/{township.code}/persons/999999")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)


def test_import_messages_are_chinese_outside_a_request(app):
    # CLI commands and background import jobs have no request: they use the default locale.
    from portal.imports.messages import column_label, note_text, reason_text

    with app.app_context():
        assert reason_text("id_empty") == "缺少身份证号码。"
        assert reason_text("duplicate", {"row": 7}) == "与第 7 行重复（身份证号码相同），本行已跳过。"
        assert note_text(12, "footer") == "第12行：签名/页脚行，已跳过"
        assert column_label("id_number") == "身份证号码"


def test_every_msgid_is_found_once_per_file_walk(source_messages):
    # Sanity: locations point inside the mapped folders only (no tests, bench or .venv).
    assert all(where.split(os.sep)[0] in SOURCE_DIRS
               for _msgid, _plural, where in source_messages.values())
