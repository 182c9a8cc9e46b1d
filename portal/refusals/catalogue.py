"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. Group them by the area that raises them; a message may quote
the refusal's params as %(name)s. Nothing outside this module adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATALOGUE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
    # --- accounts, passwords and login (portal/auth, portal/admin, portal/cli.py) -----------
    "password_too_short": _l("The password must have at least 12 characters."),
    "password_too_weak": _l(
        "This password is too easy to guess (a common or leaked password, a word, a name or "
        "a keyboard pattern). Use a longer phrase of several unrelated words."),
    "wrong_current_password": _l("The current password is wrong."),
    "password_unchanged": _l("Choose a password different from the current one."),
    "username_required": _l("Enter a username."),
    "username_taken": _l("This username is already taken. Choose another one."),
    "display_name_required": _l("Enter a display name."),
    "township_required": _l("This role works in one township: choose the township."),
    "city_role_has_no_township": _l("This is a city-wide role: leave the township empty."),
    "assignment_role_has_no_township": _l(
        "Doctors and guardians are linked to their cases and persons, not to a township: "
        "leave the township empty."),
    "villages_required": _l("Choose at least one village of the township."),
    "village_outside_township": _l("Choose only villages of the chosen township."),
    "membership_exists": _l("The user already has this role here."),
    "cannot_deactivate_self": _l("You cannot switch off your own account."),
    "cannot_remove_own_admin": _l(
        "You cannot remove your own last administrator role. Ask another administrator."),
    "login_invalid": _l("Wrong username or password."),
    "login_inactive": _l("This account has been switched off. Ask the city office."),
    "login_slowed_down": _l(
        "Too many failed attempts for this account. Try again in %(n)s seconds."),
    "totp_invalid": _l("This code is wrong or was already used. Wait for the next code."),
    "totp_too_many": _l("Too many wrong codes. Log in again with your password."),
    # --- guardian invites (portal/guardian) ----------------------------------------------------
    "invite_not_pending": _l("This link cannot be used"),
    "invite_revoke_not_pending": _l(
        "Only an invite that is still waiting to be used can be revoked."),
    "invite_not_guardian_account": _l("This link cannot be used"),
    # The guardian's phone page says the password rule in fewer words.
    "guardian_password_too_short": _l("Use at least 12 characters."),
    "guardian_password_too_weak": _l("Too easy to guess: use a longer phrase of unrelated words."),
    # --- people and guardianships (portal/rosters) ---------------------------------------------
    "guardianship_already_ended": _l("This guardian's access had already ended."),
    # --- the register of holders, a holder added by hand (portal/register) ---------------------
    "holder_certificate_invalid": _l(
        "The certificate number is not valid: it must be the 18-character ID number followed "
        "by the category digit (1–7) and the grade digit (1–4)."),
    "holder_certificate_id_mismatch": _l(
        "The certificate number does not begin with this row's ID number."),
    "holder_certificate_category_mismatch": _l(
        "The category digit of the certificate number does not match the category column."),
    "holder_certificate_grade_mismatch": _l(
        "The grade digit of the certificate number does not match the grade column."),
    "holder_elsewhere": _l("This ID number cannot be registered here. Please contact the city "
                           "DPF office."),
    # --- evidence (portal/evidence) ------------------------------------------------------------
    "evidence_unknown_kind": _l("Choose what kind of evidence this is."),
    "evidence_empty": _l("The file is empty. Please choose the file again."),
    "evidence_type_not_allowed": _l(
        "This file type cannot be kept as %(kind)s. Allowed: %(allowed)s."),
    "evidence_too_large": _l("The file is larger than the limit of %(mb)s MB."),
    "evidence_store_unavailable": _l(
        "The evidence store cannot be reached just now, so nothing was saved. Please try "
        "again in a few minutes."),
    "evidence_reason_required": _l("Give the reason why this evidence is superseded."),
    "evidence_already_superseded": _l("This evidence was already superseded."),
    # --- video assessments (portal/video) ------------------------------------------------------
    "video_case_closed": _l("This case is closed: no video assessment can be scheduled."),
    "video_not_case_doctor": _l(
        "Only the case's assessing doctor can schedule its video assessment."),
    "video_session_over": _l("This video session is over."),
    "video_nobody_waiting": _l("Nobody is waiting yet: send the join link to the guardian."),
    "video_not_admitted": _l("Please wait: the doctor has not let you in yet."),
    "video_bad_offer": _l("The browser sent an unusable connection request. Reload the page."),
    "video_media_unavailable": _l(
        "The video service cannot be reached. The session is marked as interrupted; what was "
        "recorded so far is kept."),
    "video_media_refused": _l("The video service refused the request. Try again."),
    # The media service no longer knows the room (it restarted): the same words to the user.
    "video_room_unknown": _l("The video service refused the request. Try again."),
    "video_too_many_offers": _l(
        "The connection was restarted too often in the last minute. Wait a minute: the page "
        "then connects again by itself."),
    "video_media_answer_incomplete": _l(
        "The video service gave an incomplete answer. Try again."),
    "video_not_live": _l("A snapshot can be taken only while the session is in progress."),
    "video_not_interrupted": _l("Only an interrupted session can be recovered."),
    "video_consent_invalid": _l("Type your name and tick the box to give consent."),
    # Why a guardian's join link does not open a session now (portal/video/join_views.py).
    "video_link_unknown": _l("This link is not valid. Ask the doctor or the township office "
                             "for a new one."),
    "video_link_session_over": _l("This video assessment has ended. You can close this page."),
    "video_link_used": _l(
        "This link has already been opened on another phone or browser. Ask the doctor for a "
        "new link if you need one."),
    "video_link_expired": _l("This link has expired. Ask the doctor or the township office "
                             "for a new appointment."),
    "video_link_too_early": _l(
        "This link opens %(minutes)s minutes before the appointment (%(time)s). Please come "
        "back then."),
}
