"""The campaign's calendar day. Deadlines are counted in China's time zone, whatever the
server's clock zone is; tests move the day by patching `local_today`."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


def local_today() -> date:
    """Today's date where the campaign runs (BABEL_DEFAULT_TIMEZONE)."""
    zone = DEFAULT_ZONE
    if has_app_context():
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE", zone)
    return datetime.now(ZoneInfo(zone)).date()
