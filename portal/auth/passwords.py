"""Argon2id password hashing (memory-hard), parameters from configuration."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def dummy_verify(password: str) -> None:
    """One Argon2 verification against a hash made once per parameter set: the time of
    "no such user", "switched off" or "slowed down" equals that of "wrong password"."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hash_password("not-a-real-password")
    verify_password(_dummy_hashes[key], password)
