"""Creating and changing people and roster entries; every change writes an audit event."""
from __future__ import annotations

from pypinyin import Style, lazy_pinyin

from portal.domain.idcard import IdNumber


def name_keys(name: str) -> tuple[str, str]:
    """Pinyin (space-separated, lower case) and initials of a Chinese name, for sort and search."""
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    initials = "".join(s[0] for s in syllables if s)
    return " ".join(syllables)[:200], initials[:30]


def identity_fields(parsed: IdNumber) -> dict:
    """Columns derived from a validated ID number."""
    return {
        "id_number": parsed.number,
        "id_reversed": parsed.number[::-1],
        "birth_date": parsed.birth_date,
        "gender": parsed.gender,
    }
