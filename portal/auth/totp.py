"""TOTP second factor (RFC 6238 with pyotp) and single-use recovery codes.

The secret is stored encrypted (Fernet, key derived from SECRET_KEY: changing SECRET_KEY
means enrolling again); a code's time step is remembered so that a code cannot be used
twice; wrong codes are counted per account (TOTP_MAX_FAILURES, then the password is asked
again) on top of the per-address limit of the view. Recovery codes are random (50 bits), shown
once and stored as SHA-256 hashes.
"""
import base64
import hashlib
import hmac
import json
import secrets

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from portal.audit.services import record_event
from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusals import Refused

ISSUER = "残疾人证核发工作平台"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"totp-secret:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_of(user: User) -> str | None:
    if not user.totp_secret:
        return None
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return None


def requires_totp(user: User) -> bool:
    required = set(current_app.config["TOTP_REQUIRED_ROLES"])
    return any(Role(m.role).value in required for m in user.memberships)


def start_enrolment(user: User) -> str:
    """A new secret (not active until one code is verified); returns it in clear."""
    secret = pyotp.random_base32()
    user.totp_secret = _fernet().encrypt(secret.encode()).decode()
    user.totp_enabled = False
    user.totp_last_step = None
    db.session.flush()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (the current one or one either side) whose code this is."""
    code = _normalise(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def activate(user: User, code: str) -> list[str]:
    """Check one code of the pending secret, switch the factor on, return new recovery codes."""
    secret = secret_of(user)
    step = _matching_step(secret, code) if secret else None
    if step is None:
        raise Refused("totp_invalid", field="code")
    user.totp_enabled = True
    user.totp_last_step = step
    user.totp_failures = 0
    codes = _new_recovery_codes(user)
    record_event("user.totp_enable", actor=user, obj=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
             for _ in range(RECOVERY_CODES)]
    user.recovery_codes = json.dumps([_hash_code(c) for c in codes])
    db.session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def disable(user: User, *, actor=None) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    user.recovery_codes = None
    user.totp_failures = 0
    db.session.flush()
    record_event("user.totp_disable", actor=actor or user, obj=user)


def remaining_recovery_codes(user: User) -> int:
    return len(json.loads(user.recovery_codes or "[]"))


def verify_second_factor(user: User, code: str) -> str:
    """Accept a current TOTP code (never one already used) or an unused recovery code.

    Returns "totp" or "recovery"; refuses totp_invalid or totp_too_many. The failure count
    is flushed before the refusal: the view keeps it (it answers without rolling back).
    """
    if user.totp_failures >= current_app.config["TOTP_MAX_FAILURES"]:
        raise Refused("totp_too_many", field="code")
    secret = secret_of(user)
    step = _matching_step(secret, code) if secret else None
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        user.totp_failures = 0
        db.session.flush()
        return "totp"
    hashes = json.loads(user.recovery_codes or "[]")
    wanted = _hash_code(_normalise(code))
    if wanted in hashes:
        hashes.remove(wanted)
        user.recovery_codes = json.dumps(hashes)
        user.totp_failures = 0
        db.session.flush()
        record_event("user.recovery_code", actor=user, obj=user,
                     details={"remaining": len(hashes)})
        return "recovery"
    user.totp_failures += 1
    db.session.flush()
    if user.totp_failures >= current_app.config["TOTP_MAX_FAILURES"]:
        raise Refused("totp_too_many", field="code")
    raise Refused("totp_invalid", field="code")
