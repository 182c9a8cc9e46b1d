"""The campaign's calendar day: the only source of "today" in the portal.

Deadlines are counted in China's time zone, whatever the server's clock zone is. For a
demonstration or a black-box test the day can be moved, in development and testing only:

- ``PORTAL_TODAY=2026-12-11`` fixes today at that date;
- ``PORTAL_DAYS_AHEAD=8`` puts today that many days after the real one (negative: before).

`check_settings` (called by `create_app`) refuses either in production and refuses a value
it cannot read, so a moved clock can never reach real officials' deadlines by accident;
every page shows a banner while the clock is moved (`moved_clock`). Time stamps of what
happened (`utcnow()`) always stay real: only the calendar day the rules count with moves.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"
SETTINGS = ("PORTAL_TODAY", "PORTAL_DAYS_AHEAD")
ALLOWED_ENVS = ("development", "testing")


class ClockSettingError(RuntimeError):
    """A clock setting the portal refuses to start with."""


@dataclass(frozen=True)
class MovedClock:
    """What the banner says: the day the rules use and the real one."""

    today: date
    real_today: date


def real_today() -> date:
    """Today's date where the campaign runs (BABEL_DEFAULT_TIMEZONE), never moved."""
    zone = DEFAULT_ZONE
    if has_app_context():
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE", zone)
    return datetime.now(ZoneInfo(zone)).date()


def local_today() -> date:
    """Today's date for every rule, deadline and page: the real one unless moved."""
    real = real_today()
    if not has_app_context():
        return real
    fixed = current_app.config.get("CLOCK_FIXED_TODAY")
    if fixed is not None:
        return fixed
    return real + timedelta(days=current_app.config.get("CLOCK_DAYS_AHEAD", 0))


def moved_clock() -> MovedClock | None:
    """The moved day and the real one while a setting moves the clock, else None."""
    real, today = real_today(), local_today()
    if not has_app_context():
        return None
    cfg = current_app.config
    if cfg.get("CLOCK_FIXED_TODAY") is None and not cfg.get("CLOCK_DAYS_AHEAD"):
        return None
    return MovedClock(today=today, real_today=real)


def check_settings(config: dict) -> None:
    """Read PORTAL_TODAY / PORTAL_DAYS_AHEAD into the clock's settings, or refuse them.

    Raises ClockSettingError outside development and testing, for both at once, and for a
    value that is not a date (YYYY-MM-DD) or a whole number of days."""
    given = {name: str(config.get(name) or "").strip() for name in SETTINGS}
    given = {name: value for name, value in given.items() if value}
    config["CLOCK_FIXED_TODAY"] = None
    config["CLOCK_DAYS_AHEAD"] = 0
    if not given:
        return
    env = config.get("ENV_NAME")
    if env not in ALLOWED_ENVS:
        raise ClockSettingError(
            f"{' and '.join(given)} may move the portal's clock only in development or "
            f"testing (PORTAL_ENV is {env!r}); unset it to run in production")
    if len(given) > 1:
        raise ClockSettingError("set PORTAL_TODAY or PORTAL_DAYS_AHEAD, not both")
    if "PORTAL_TODAY" in given:
        try:
            config["CLOCK_FIXED_TODAY"] = date.fromisoformat(given["PORTAL_TODAY"])
        except ValueError:
            raise ClockSettingError(
                f"PORTAL_TODAY must be a date written YYYY-MM-DD, not "
                f"{given['PORTAL_TODAY']!r}") from None
        return
    try:
        config["CLOCK_DAYS_AHEAD"] = int(given["PORTAL_DAYS_AHEAD"])
    except ValueError:
        raise ClockSettingError(
            f"PORTAL_DAYS_AHEAD must be a whole number of days, not "
            f"{given['PORTAL_DAYS_AHEAD']!r}") from None
