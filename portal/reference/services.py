"""Queries on the reference data that every area may ask: which campaign is active."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.reference.models import Campaign


def active_campaign() -> Campaign | None:
    """The campaign the pages measure against, or None when no campaign is active."""
    return db.session.execute(
        select(Campaign).where(Campaign.status == "active")).scalar_one_or_none()
