"""The township's call list: people whose message could not be sent, or who asked for none."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.domain.idcard import mask, mask_phone
from portal.extensions import db
from portal.notices import bp
from portal.notices.kinds import KINDS
from portal.notices.models import CALL_INSTEAD_STATES, Notice, NoticeOptOut
from portal.pages import paginate
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

PER_PAGE = 50


@bp.route("/call-list")
@login_required
@require(Permission.VIEW_PERSONS)
def call_list():
    """Messages that did not reach their person: call them instead."""
    stmt = scoped(select(Notice).where(Notice.state.in_(CALL_INSTEAD_STATES))
                  .order_by(Notice.updated_at.desc(), Notice.id.desc()))
    page = paginate(stmt, PER_PAGE)
    return render_template("notices/call_list.html", page=page, KINDS=KINDS,
                           mask=mask, mask_phone=mask_phone)


@bp.route("/<int:notice_id>/called", methods=["POST"])
@login_required
@require(Permission.EDIT_PERSONS)
def mark_called(notice_id: int):
    """Staff reached the person by phone: the message is no longer on the list."""
    notice = get_scoped_or_404(Notice, notice_id)
    notice.state = "sent"
    notice.provider_ref = "called"
    record_event("notice.called", actor=current_user, township_id=notice.township_id,
                 obj=notice)
    flash(_("Marked as told by phone."), "success")
    return redirect(url_for("notices.call_list"))


@bp.route("/<int:notice_id>/opt-out", methods=["POST"])
@login_required
@require(Permission.EDIT_PERSONS)
def opt_out(notice_id: int):
    """The person asked for no more messages to this number."""
    notice = get_scoped_or_404(Notice, notice_id)
    access = current_access()
    if db.session.scalar(select(NoticeOptOut.id).where(
            NoticeOptOut.township_id == access.township.id,
            NoticeOptOut.recipient == notice.recipient)) is None:
        db.session.add(NoticeOptOut(township_id=access.township.id,
                                    recipient=notice.recipient,
                                    recorded_by_id=current_user.id))
    record_event("notice.opt_out", actor=current_user, township_id=notice.township_id,
                 obj=notice)
    flash(_("No more messages will be sent to this number."), "success")
    return redirect(url_for("notices.call_list"))


@bp.app_context_processor
def _case_page_part():
    """`case_notices(case)` for the case page: the messages about it and how each went."""
    return {"case_notices": case_notices, "NOTICE_KINDS": KINDS, "mask_phone": mask_phone}


def case_notices(case) -> list[Notice]:
    """The messages about a case, newest first (what the user may see of them)."""
    return list(db.session.scalars(scoped(select(Notice).where(Notice.case_id == case.id)
                                          .order_by(Notice.id.desc()))))
