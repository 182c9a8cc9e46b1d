"""The public page of a printed public notice (公示): its short code, its address and QR, and
the cases it lists.

A printed notice is one village's results posted from one day (`cases/notice.html` prints one
page per village and first day). Its code carries the village and that day, with a keyed
check (HMAC-SHA256 of both, key derived from SECRET_KEY) so that nobody can reach a notice
without having read the paper: 16 characters of Crockford's base32, printed in groups of four
(`7K3M-9X2P-4QAB-C5DE`) and read back whatever the case, spaces or dashes, with O read as 0
and I or L as 1. No row is written when a notice is printed. A new SECRET_KEY makes the codes
of notices already posted unreadable (their 5 working days are short: reprint them).

The public page shows exactly what the paper shows (name, village, category, grade, the
dates) and only while the notice runs; cases that have left the notice since (sent to the
city, sent back, withdrawn) are no longer listed.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta

import segno
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.cases.effects import PUBLICITY_WORKDAYS
from portal.cases.models import Case
from portal.domain.workdays import add_workdays
from portal.extensions import db
from portal.public_url import public_url
from portal.reference.models import Village
from portal.rosters.models import Person

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
READ_AS = {"O": "0", "I": "1", "L": "1"}
EPOCH = date(2000, 1, 1)
MAC_BYTES = 5
VILLAGE_BYTES = 3
DAY_BYTES = 2


@dataclass(frozen=True)
class Notice:
    """One printed notice: a village's results posted from `starts_on` until `ends_on`."""

    village: Village
    starts_on: date
    ends_on: date
    cases: list[Case]

    @property
    def code(self) -> str:
        return notice_code(self.village.id, self.starts_on)


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"portal.objections.notice-code", hashlib.sha256).digest()


def _mac(payload: bytes) -> bytes:
    return hmac.new(_key(), payload, hashlib.sha256).digest()[:MAC_BYTES]


def _encode(data: bytes) -> str:
    number, bits = int.from_bytes(data, "big"), len(data) * 8
    return "".join(ALPHABET[(number >> shift) & 31] for shift in range(bits - 5, -1, -5))


def _decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        index = ALPHABET.find(char)
        if index < 0:
            return None
        number = number * 32 + index
    return number.to_bytes((len(text) * 5) // 8, "big")


def notice_code(village_id: int, starts_on: date) -> str:
    """The 16-character code of the notice of `village_id` posted from `starts_on`."""
    payload = (int(village_id).to_bytes(VILLAGE_BYTES, "big")
               + (starts_on - EPOCH).days.to_bytes(DAY_BYTES, "big"))
    return _encode(payload + _mac(payload))


def pretty_code(code: str) -> str:
    """The code in groups of four, as printed."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def read_code(text: str) -> tuple[int, date] | None:
    """The village id and first day a typed or scanned code names, or None when it was not
    made by this portal (or was mistyped)."""
    cleaned = "".join(READ_AS.get(c, c) for c in (text or "").upper() if c not in " -")
    if len(cleaned) != 16:
        return None
    data = _decode(cleaned)
    if data is None:
        return None
    payload, mac = data[:-MAC_BYTES], data[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    village_id = int.from_bytes(payload[:VILLAGE_BYTES], "big")
    days = int.from_bytes(payload[VILLAGE_BYTES:], "big")
    return village_id, EPOCH + timedelta(days=days)


def notice_address(village_id: int, starts_on: date) -> str:
    """The public address of a notice, built from PUBLIC_BASE_URL (printed and in the QR)."""
    return public_url("notice.show", code=pretty_code(notice_code(village_id, starts_on)))


def notice_print_parts(village_id: int, starts_on: date) -> dict:
    """What the printed notice carries: the short address and its QR (an SVG data URI)."""
    address = notice_address(village_id, starts_on)
    return {"address": address,
            "qr": segno.make(address, error="m").svg_data_uri(scale=4, border=2)}


def find_notice(code: str) -> Notice | None:
    """The notice a code names with the cases it lists now, or None for an unknown code."""
    read = read_code(code)
    if read is None:
        return None
    village_id, starts_on = read
    # A public page: no user and no township; the code's check is the authorization, and
    # only what the printed notice shows leaves this function's callers.
    village = db.session.get(Village, village_id)
    if village is None:
        return None
    cases = list(db.session.scalars(
        select(Case).join(Person, Person.id == Case.person_id)
        .where(Case.state == "publicity", Person.village_id == village.id,
               Case.publicity_starts_on == starts_on)
        .options(selectinload(Case.person))
        .order_by(Person.name_pinyin, Case.id)))
    return Notice(village=village, starts_on=starts_on,
                  ends_on=add_workdays(starts_on, PUBLICITY_WORKDAYS), cases=cases)
