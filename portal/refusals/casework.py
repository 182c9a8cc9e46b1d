"""Refusals' words of the campaign's case work: cases, late dates, walk-ins, doctors,
assessments, scheduling, campaigns, certificates, jobs, imports, accounts, guardians, the
register, evidence, video, media nodes, training, batches, cadres. Part of the one catalogue
(portal/refusals/catalogue.py), which joins the parts and refuses a code defined twice."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CASEWORK: dict[str, object] = {
    # --- case workflow: registering cases and taking steps (portal/cases) --------------------
    "unknown_action": _l("This step does not exist."),
    "wrong_state": _l("This step is not possible in the case's current state."),
    "not_permitted": _l("You do not have the right to take this step."),
    "note_required": _l("Write a note explaining this step."),
    "outcome_not_qualifying": _l("The assessment did not give a grade, so the result cannot be "
                                 "publicly posted or approved."),
    "outcome_qualifying": _l("The assessment gave a grade; the person cannot be told they do "
                             "not qualify."),
    "approver_is_doctor": _l("You assessed this person (or reviewed the assessment), so you "
                             "cannot approve or refuse the case. Another official must do it."),
    "approver_is_creator": _l("You registered this case, so you cannot approve or refuse it. "
                              "Another official must do it."),
    "approver_is_guardian": _l("You are registered as this person's guardian, so you cannot "
                               "approve or refuse the case. Another official must do it."),
    "publicity_start_too_late": _l("The public notice must start within 30 days."),
    "publicity_not_over": _l("The public notice has not yet run its 5 working days."),
    "already_notified": _l("The person has already been told the result."),
    "certificate_number_impossible": _l("No certificate number can be made from this person's "
                                        "ID number, category and grade. Check the assessment."),
    "final_decision": _l("The provincial expert committee's decision is final."),
    "appeal_goes_to_province": _l("This is already the city's re-assessment: a remaining "
                                  "dispute goes to the provincial expert committee."),
    "not_notified": _l("The person has not yet been told the result."),
    "appeal_window_closed": _l("The 10 working days for an appeal have passed."),
    "appeal_window_open": _l("The person may still appeal; the case can be closed after the "
                             "appeal window."),
    "not_city_level": _l("Only a city-level re-assessment can receive the provincial decision."),
    "final_grade_missing": _l("Choose the category and grade the provincial committee "
                              "decided."),
    "same_doctor_as_appealed_case": _l("An appeal must be assessed by a different doctor from "
                                       "the one who assessed the appealed case."),
    "open_case_exists": _l("This person already has an open case."),
    "concurrent_change": _l("Another change was being saved at the same moment, so nothing "
                            "was saved. Please try again."),
    "person_deceased": _l("This person is recorded as deceased."),
    # --- dates of things done before they were entered (portal/late_entry.py) ----------------
    "date_in_future": _l("The day cannot be in the future."),
    "late_reason_required": _l("The date is before today: write why it is entered late."),
    "date_too_old": _l("This date is more than %(days)s days ago. Dates older than that cannot "
                       "be entered late; check the date, or ask the city DPF."),
    # --- walk-in applications and hospital bookings (portal/walkins) -------------------------
    "booking_hospital_required": _l("Choose the designated hospital."),
    "booking_date_required": _l("Enter the day of the assessment."),
    "booking_in_past": _l("The assessment cannot be booked on a past day."),
    "booking_too_far": _l("Book the assessment within the next 90 days."),
    "id_registered_meanwhile": _l("This ID number was registered by someone else a moment ago. "
                                  "Find the person again."),
    # --- doctors: the registry and the right to sign (portal/doctors) ------------------------
    "certification_not_a_doctor": _l("This account does not hold the doctor role."),
    "certification_number_required": _l("Enter the certification number."),
    "certification_number_taken": _l("Another doctor already has this certification number."),
    "certification_dates_reversed": _l("The end of validity must not be before its start."),
    "certification_categories_required": _l("Choose at least one category."),
    "doctor_not_certified": _l(
        "You have no doctor's certification in the registry, so you cannot sign. "
        "Ask the health coordinator to register it."),
    "certification_inactive": _l(
        "Your doctor's certification is switched off in the registry, so you cannot sign."),
    "certification_not_yet_valid": _l(
        "Your doctor's certification is not valid yet, so you cannot sign."),
    "certification_expired": _l(
        "Your doctor's certification has expired, so you cannot sign. "
        "Ask the health coordinator to record the renewed certification."),
    "category_not_certified": _l(
        "Your certification does not cover this disability category, so you cannot sign "
        "this assessment."),
    "doctor_is_guardian": _l(
        "You are registered as guardian or agent of this person: another doctor must assess."),
    "doctor_is_township_staff": _l(
        "You work as staff of this person's township: a doctor from outside must assess."),
    "not_assigned_doctor": _l("Only the doctor assigned to this case can sign its assessment."),
    "not_second_doctor": _l("Only the second doctor chosen for this case can sign the review."),
    "second_doctor_missing": _l("Choose a second doctor to review the grade."),
    "second_doctor_is_first": _l(
        "The second doctor must be a different doctor from the one who assessed."),
    "second_doctor_not_certified": _l(
        "The chosen second doctor is not certified for this category on this day."),
    # --- assessments and second reviews (portal/assessments) ---------------------------------
    # The signing page's words for the workflow's "wrong_state" and "not_permitted".
    "signing_wrong_state": _l("The case is not at a step where this can be signed."),
    "signing_not_permitted": _l("Your role cannot sign assessments."),
    "measure_missing": _l("Enter this value: the standard needs it for this category and age."),
    "measure_invalid": _l("Enter a valid value (a number, not negative; percent up to 100)."),
    "measure_not_applicable": _l("The standard does not use this measure at the person's age: "
                                 "leave it empty."),
    "measure_unknown_level": _l("Choose a level from the list."),
    "measure_unknown_clause": _l("Choose a clause from the list."),
    "measure_with_aids": _l("Limbs are assessed without prostheses or other aids."),
    "measure_category": _l("These values do not belong to this category."),
    "multiple_needs_two": _l("Choose at least two categories for a multiple disability."),
    "assessment_unknown_category": _l("Choose categories from the list."),
    "exception_needs_limb": _l("This exception applies to limb (physical) disability only."),
    "months_since_onset_required": _l("Enter the months since onset to use this exception."),
    "limb_loss_clause_required": _l("An obviously missing limb needs a clause of a missing "
                                    "limb."),
    "exception_not_needed": _l("The rehabilitation year is over: no exception is needed, "
                               "choose “None”."),
    "stroke_exception_under_60": _l("The stroke exception is only for persons aged 60 or more "
                                    "within the rehabilitation year: the person does not meet "
                                    "its conditions."),
    "exception_needs_mental": _l("This exception applies to mental disability only."),
    "records_method_required": _l("With this exception the assessment is made from medical "
                                  "records: choose “From medical records”."),
    "records_brought_by_required": _l("Enter who brought the hospital records."),
    "first_secretary_required": _l("Enter the village first secretary who came with them."),
    "batch_categories_only": _l("Organised batches are for intellectual, vision and hearing "
                                "disability only."),
    "assessment_unknown_exception": _l("Choose an exception from the list."),
    "not_disabled_reason_required": _l("Write why the person is not disabled."),
    "mismatch_reason_required": _l("Your grade differs from the grade the measurements give: "
                                   "write your reason."),
    "assessment_nothing_to_review": _l("There is no assessment to review."),
    "disagreement_note_required": _l("Write why you disagree."),
    # --- concentrated days and home visits (portal/scheduling) -------------------------------
    "schedule_capacity": _l(
        "Not enough places for %(category)s on this day: %(capacity)s places, %(free)s "
        "still free, %(wanted)s chosen. Raise the capacity of the day or choose fewer "
        "people."),
    "schedule_capacity_below_assigned": _l(
        "%(assigned)s people for %(category)s are already on this day; the number of "
        "places cannot be lower. Move people to another day first."),
    "schedule_date_taken": _l("The township already has a concentrated day on %(date)s."),
    "schedule_wrong_path": _l("This case is not on that assessment path."),
    "schedule_wrong_state": _l("This case can no longer be scheduled (it is past that "
                               "step)."),
    "schedule_no_category": _l("The case has no requested disability category yet; set it "
                               "on the case first, so that it can take a place."),
    "schedule_same_day": _l("The person is already on that day."),
    "schedule_not_found": _l("That case or day was not found in this township."),
    "schedule_can_travel": _l("Home visits are for people who are bedridden or have "
                              "limited mobility."),
    "schedule_window": _l("The visit must end after it starts."),
    "schedule_no_doctor": _l("Choose at least one doctor for the team."),
    "schedule_unknown_member": _l("Choose team members from the lists offered."),
    "schedule_double_booked": _l(
        "%(doctor)s already has a home visit from %(start)s to %(end)s on that date. "
        "Choose another time or another doctor."),
    "schedule_visit_closed": _l("This visit is already closed."),
    # The schedule's words for the workflow's "not_permitted" and appeal-doctor refusals.
    "schedule_not_permitted": _l("You may not change the schedule of this case."),
    "schedule_same_doctor_as_appealed_case": _l(
        "An appeal is assessed by doctors other than those of the first assessment. "
        "Choose another doctor."),
    # --- campaigns: plans, status, copies and their days (portal/campaigns) ------------------
    "campaign_period_order": _l("The campaign cannot end before it starts."),
    "campaign_past_start": _l("A new campaign cannot start in the past. To record a past "
                              "campaign, tick “Recorded as history”."),
    "campaign_past_date": _l("This date is in the past. To record a past campaign, tick "
                             "“Recorded as history”."),
    "campaign_phase_order": _l("The phase cannot end before it starts."),
    "campaign_phase_outside": _l("The phase lies outside the campaign period (%(start)s to "
                                 "%(end)s)."),
    "campaign_phase_overlap": _l("The phase starts on or before the end of the previous phase "
                                 "(%(previous)s, ending %(end)s). List phases in order, without "
                                 "overlaps."),
    "campaign_phase_gap": _l("The phase starts %(days)s days after the previous phase ends; "
                             "phases follow each other (at most %(max)s days apart)."),
    "campaign_phase_code_twice": _l("Two phases have the code “%(code)s”: each code once."),
    "campaign_no_phases": _l("Enter at least one phase."),
    "campaign_target_outside": _l("The deadline lies outside the campaign period (%(start)s to "
                                  "%(end)s)."),
    "campaign_target_twice": _l("Two targets have the deadline %(deadline)s."),
    "campaign_target_lower": _l("A later target cannot ask for a lower holding rate than an "
                                "earlier one (%(rate)s%% by %(deadline)s)."),
    "campaign_code_taken": _l("Another campaign already has this code."),
    "campaign_closed": _l("A closed campaign is kept as it was: copy it to plan a new one."),
    "campaign_already_active": _l("This campaign is already the active one."),
    "campaign_not_active": _l("Only the active campaign can be closed."),
    "campaign_reopen": _l("A closed campaign cannot be activated again: copy it to run it "
                          "again."),
    "campaign_no_start": _l("The campaign has no start date to shift from."),
    # Warnings about a concentrated day (they do not refuse it): codes "campaign_day_...".
    "campaign_day_outside_phase": _l("%(date)s is outside the concentrated phase (%(start)s to "
                                     "%(end)s)."),
    "campaign_day_no_phase": _l("The campaign has no concentrated phase (code “concentrated”) "
                                "to check the day against."),
    "campaign_day_outside_period": _l("%(date)s is outside the campaign period."),
    # The campaign's day form words a refusal of the schedule in its own terms.
    "campaign_day_date_taken": _l("The township already has a concentrated day on %(date)s."),
    "campaign_day_places_taken": _l("%(n)s people already hold a place in this category: the "
                                    "places cannot be fewer."),
    "campaign_day_not_movable": _l("The day cannot be changed: a person on it cannot be moved "
                                   "(%(code)s)."),
    # --- certificates from print to hand (portal/certificates) -------------------------------
    "use_certificate_pages": _l("Certificates are printed, sent and handed over on the "
                                "certificate pages."),
    "certificate_already_in_batch": _l("These cases are already in a live print batch: "
                                       "%(detail)s. Cancel that batch first, or reprint its "
                                       "certificate."),
    "certificate_not_approved": _l("These cases are not approved (or already printed): "
                                   "%(detail)s."),
    "certificate_nothing_selected": _l("Choose at least one approved case."),
    "certificate_batch_not_open": _l("This print batch is no longer open."),
    "certificate_nothing_to_dispatch": _l("This township has no printed certificates waiting "
                                          "to be sent."),
    "certificate_already_received": _l("The township has already acknowledged this parcel."),
    "certificate_explain_difference": _l("The count differs from the number sent: explain the "
                                         "difference."),
    "certificate_not_received": _l("The township has not yet acknowledged the parcel with this "
                                   "certificate."),
    "certificate_already_handed_over": _l("This certificate has already been handed over."),
    "certificate_id_mismatch": _l("The last digits do not match the person's ID number. Check "
                                  "the ID card of the person the certificate belongs to."),
    "certificate_before_receipt": _l("The date cannot be before the township received the "
                                     "certificate."),
    "certificate_not_printed": _l("Only a printed certificate that has not been handed over "
                                  "can be reprinted."),
    "certificate_cancelled": _l("This certificate is cancelled."),
    "use_certificate_life_pages": _l("A new card of a held certificate is approved on the "
                                     "request's page."),
    # --- background jobs (portal/jobs) ------------------------------------------------------
    "job_not_failed": _l("Only a failed job can be started again."),
    # --- roster imports (portal/imports) ----------------------------------------------------
    "import_not_retryable": _l("This upload can no longer be imported. Upload the file again."),
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
    "holder_check_not_done": _l("The file is still being checked, or its check failed. Wait "
                                "for the preview (or try the check again) before importing."),
    "holder_nothing_to_import": _l("This file has no rows that can be imported. Correct it and "
                                   "upload it again."),
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
    # --- the pool of media nodes (portal/media_nodes) ------------------------------------------
    "video_no_media_node": _l(
        "No video service can take the session right now. Nothing was lost: try again in a "
        "few minutes."),
    "media_heartbeat_invalid": _l("The media node's heartbeat is not understood."),
    "media_heartbeat_name_taken": _l(
        "Another media node already uses this name at another address."),
    "media_node_unknown": _l("No media node has this name or address."),
    "media_node_busy": _l(
        "Video sessions still run on this media node: drain it and wait for them to end."),
    # --- doctor training and the doctor pool (portal/training) ---------------------------------
    "training_not_passed": _l(
        "%(category)s: this doctor has not passed a training session for this category, so "
        "cannot be registered for it. Record the training session and its result first."),
    "training_failed": _l(
        "%(category)s: this doctor did not pass the training session of %(date)s for this "
        "category, so cannot be registered for it until a later session is passed."),
    "training_place_required": _l("Enter where the session was held."),
    "training_trainer_required": _l("Enter who gave the training."),
    "training_categories_required": _l("Choose at least one category."),
    "training_category_unknown": _l("Choose categories from the list."),
    "training_attendees_required": _l("Choose at least one doctor who attended."),
    "training_attendee_not_doctor": _l("Only accounts with the doctor role can attend."),
    "training_results_too_early": _l(
        "This session is planned for %(date)s: its results can be recorded from that day on."),
    "training_date_after_results": _l(
        "Results are already recorded for this session: its date cannot be later than today."),
    "training_result_unknown": _l(
        "A result names a doctor or a category this session does not have. Reload the page."),
    # --- organised batches and assistance units (portal/batches) -----------------------------
    "batch_places": _l(
        "The hospital gives this batch %(places)s places on that day; %(taken)s are taken and "
        "%(wanted)s chosen. Choose fewer people, or put them on another batch."),
    "batch_places_below_members": _l(
        "%(taken)s people are already on this batch; the number of places cannot be lower."),
    "batch_wrong_category": _l(
        "%(name)s is to be assessed for %(category)s; this batch takes %(batch_category)s "
        "only."),
    "batch_records_path": _l(
        "%(name)s has mental illness with hospital records: the guardian and the village first "
        "secretary bring the records to the hospital (records path), not an organised batch."),
    "batch_wrong_township": _l(
        "%(name)s does not live in a township of this batch."),
    "batch_wrong_state": _l(
        "%(name)s cannot be added: their case is not waiting for an assessment, or already "
        "has a place (on a concentrated day, a home visit or another batch)."),
    "batch_not_planned": _l("This batch is no longer planned: its list cannot change."),
    "batch_not_absent": _l("Only a person recorded as absent can be moved to a later batch."),
    "batch_target_not_later": _l(
        "Choose a planned batch of the same category on a later date."),
    "batch_unit_not_helping": _l(
        "%(unit)s is not registered as helping %(township)s. Add the township to the unit "
        "first."),
    "batch_township_required": _l("Choose at least one township."),
    "batch_unit_required": _l("Choose the assistance unit that organises the batch."),
    "batch_unit_name_taken": _l("An assistance unit with this name is already registered."),
    # --- cadres' work lists (portal/cadres) --------------------------------------------------
    "cadre_person_not_poverty": _l(
        "%(name)s is not poverty-registered: cadres are assigned to poverty-registered "
        "persons only."),
    "cadre_not_a_cadre": _l("Choose a poverty-relief cadre or first secretary of this township."),
    "cadre_already_assigned": _l("%(name)s is already assigned to this cadre."),
    "cadre_none_chosen": _l("Choose at least one person."),
    "cadre_not_assigned": _l("This person is not assigned to you."),
    "cadre_contact_way": _l("Choose how you were in contact: a visit or a phone call."),
    "cadre_contact_in_future": _l("The date of a contact cannot be in the future."),
}
