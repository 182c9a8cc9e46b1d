"""The job workers' upkeep checks the pool (`flask media check`) every MEDIA_CHECK_SECONDS:
a node found dead interrupts its sessions without waiting for someone to run the command."""
from __future__ import annotations

import time

from flask import current_app

from portal.jobs.worker import SCHEDULED

_LAST = {"at": float("-inf")}


def scheduled_check() -> None:
    interval = int(current_app.config.get("MEDIA_CHECK_SECONDS") or 0)
    if interval <= 0 or time.monotonic() - _LAST["at"] < interval:
        return
    _LAST["at"] = time.monotonic()
    from portal.media_nodes.services import check_nodes

    check_nodes(current_app.config)


if scheduled_check not in SCHEDULED:
    SCHEDULED.append(scheduled_check)
