"""Refusals' words of oversight, people's voice and a certificate's life: supervision,
objections, certificate changes, petitions, the video link, transfers, expiring certificates.
Part of the one catalogue (portal/refusals/catalogue.py), which joins the parts and refuses a
code defined twice."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

OVERSIGHT: dict[str, object] = {
    # --- supervision (portal/supervision) -----------------------------------------------
    "supervision_action_required": _l("Say what the unit must do."),
    "supervision_due_in_future": _l("The due date must be after today."),
    "supervision_target_required": _l("Choose the township or name the unit."),
    "supervision_not_open": _l("This notice has already been answered or closed."),
    "supervision_answer_required": _l("Write what has been done."),
    "supervision_not_answered": _l("This notice has not been answered yet."),
    "supervision_reason_required": _l("Say why the answer is not enough."),
    "accountability_field_required": _l("This field is required."),
    "accountability_decided_in_future": _l("The decision date cannot be in the future."),
    # --- objections during the public notice (portal/objections) ---------------------------
    "objection_open": _l("An objection to this result has not been checked yet: uphold or "
                         "dismiss it, with the reason, before the case goes to the city."),
    "objection_use_case_page": _l("An objection is upheld on the case page, with the reason."),
    "objection_not_on_notice": _l("Objections are recorded while the result is on public "
                                  "notice."),
    "objection_notice_not_running": _l("This notice runs from %(start)s to %(end)s: "
                                       "objections are taken on this page only while it runs. "
                                       "Please contact the township disabled persons' "
                                       "federation."),
    "objection_unknown_case": _l("Choose a person listed on this notice."),
    "objection_already_decided": _l("This objection has already been decided."),
    "objection_received_in_future": _l("The day it was received cannot be in the future."),
    "objection_received_before_notice": _l("The day it was received cannot be before the "
                                           "notice started (%(start)s)."),
    "objection_attachment_type": _l("This file cannot be attached. Attach a photo (JPEG, PNG, "
                                    "WebP or HEIC) or a PDF."),
    "objection_attachment_too_large": _l("The attachment is larger than the limit of "
                                         "%(mb)s MB."),
    "objection_attachment_empty": _l("The attachment is empty. Please choose the file again."),
    "objection_store_unavailable": _l("The attachment cannot be stored just now, so nothing "
                                      "was saved. Try again in a few minutes, or send the "
                                      "objection without it."),
    "objection_step_refused": _l("The case could not be sent back: %(reason)s"),
    # --- certificate life: change, replacement, cancellation (portal/lifecycle) -----------
    "reapply_barred": _l("This person's certificate was cancelled at their own request on "
                         "%(cancelled_on)s. A new application is possible only a year later, "
                         "from %(opens_on)s."),
    "life_person_deceased": _l("This person is recorded as deceased."),
    "life_request_open": _l("This person already has an open request of this kind (#%(id)s). "
                            "Finish or withdraw it first."),
    "life_wrong_state": _l("This request cannot take this step in its current state."),
    "life_no_certificate": _l("This person holds no valid certificate that the portal knows "
                              "of (handed over by the portal or in the register of holders)."),
    "life_open_case": _l("This person has an open case (#%(id)s). Finish or withdraw it "
                         "first."),
    "life_step_refused": _l("The step was refused: %(reason)s"),
    "life_decider_is_requester": _l("You registered or checked this request, so you cannot "
                                    "decide it. Another official of the city must do it."),
    "life_decider_is_guardian": _l("You are registered as this person's guardian, so you "
                                   "cannot decide the request. Another official must do it."),
    "life_reason_required": _l("Write the reason."),
    "life_reason_unknown": _l("Choose one of the reasons offered."),
    "life_date_future": _l("The date cannot be in the future."),
    "life_card_already_collected": _l("The card is already recorded as handed back."),
    "life_nothing_changed": _l("Nothing differs from the holder's record: change at least one "
                               "detail, or tick that the holder brings a new photo."),
    "life_name_invalid": _l("Enter the holder's name as on the ID card."),
    "life_text_too_long": _l("This is too long (at most %(max)s characters)."),
    "life_phone_invalid": _l("Not a phone number."),
    "life_village_unknown": _l("Choose a village of this township."),
    "life_evidence_missing": _l("Add the document that proves the change (e.g. the page of the "
                                "household register) before sending the request to the "
                                "city."),
    "life_photo_missing": _l("A new photo is part of this change: add it as a document of the "
                             "kind “Photo” before sending the request."),
    "life_damaged_not_returned": _l("A damaged card is replaced only once it has been handed "
                                    "back: take the card and tick this box."),
    "life_declaration_missing": _l("A lost card needs the holder's written loss declaration: "
                                   "add it as a document before sending the request."),
    "life_death_proof_missing": _l("Add the proof of death (death or cremation certificate, or "
                                   "the household register's cancellation) before sending "
                                   "the request."),
    "life_written_request_missing": _l("Add the holder's signed written request before sending "
                                       "the request."),
    "life_death_date_required": _l("Enter the date of death."),
    "life_death_date_future": _l("The date of death cannot be in the future."),
    "life_death_before_birth": _l("The date of death is before the person's date of birth."),
    "life_fraud_city_only": _l("Only the city DPF revokes a certificate obtained by fraud."),
    "life_decision_document_required": _l("Enter the number of the decision document (e.g. "
                                          "芒残联发〔2021〕3号)."),
    "life_reassessment_case_required": _l("Choose the re-assessment case that found the person "
                                          "no longer qualifies (a closed case)."),
    "life_document_kind": _l("Choose what kind of document this is."),
    "life_file_empty": _l("The file is empty. Please choose the file again."),
    "life_file_type": _l("This file type cannot be kept as this kind of document. Allowed: "
                         "%(allowed)s."),
    "life_file_too_large": _l("The file is larger than the limit of %(mb)s MB."),
    "life_store_unavailable": _l("The evidence store cannot be reached just now, so nothing "
                                 "was saved. Please try again in a few minutes."),
    "life_deaths_unreadable": _l("The file could not be read. Save the list as .xlsx or as CSV "
                                 "(UTF-8 or GBK) and upload it again."),
    "life_deaths_old_xls": _l("This is an old Excel 97–2003 (.xls) file. Save it as .xlsx or "
                              "CSV and upload that file."),
    "life_deaths_too_many_rows": _l("The file has more than %(max)s rows. Split it into "
                                    "smaller files."),
    "life_deaths_no_header": _l("No header row with the columns 姓名, 身份证号 and 死亡日期 was "
                                "found in the first 15 rows."),
    "life_deaths_no_rows": _l("The list has a header but no rows."),
    "life_deaths_rows_refused": _l("%(count)s rows have errors. Nothing was saved: correct "
                                   "them in the file and upload it again."),
    "life_deaths_upload_gone": _l("This upload can no longer be imported. Upload the file "
                                  "again."),
    "life_row_name_missing": _l("The name is missing."),
    "life_row_id_invalid": _l("ID number: %(reason)s"),
    "life_row_date_missing": _l("The date of death is missing."),
    "life_row_date_invalid": _l("The date of death is not a date: write it as 2020-12-31."),
    "life_row_date_future": _l("The date of death is in the future."),
    "life_row_date_before_birth": _l("The date of death is before the birth date in the ID "
                                     "number."),
    "life_row_duplicate": _l("The same ID number is already in row %(row)s of this file."),
    "life_row_name_mismatch": _l("The name differs from the name registered with this ID "
                                 "number (%(registered)s): check the ID number."),
    # --- petitions (portal/petitions) -----------------------------------------------------
    "petition_wrong_state": _l("This petition is not at a stage where this step can be taken."),
    "petition_not_handler": _l("Only the officials of the unit handling this petition can take "
                               "this step."),
    "petition_reason_required": _l("Write the reason."),
    "petition_text_required": _l("Write the text."),
    "petition_received_future": _l("The day the petition was received cannot be in the "
                                   "future."),
    "petition_received_too_old": _l("This date is more than %(days)s days ago. Ask the city "
                                    "DPF to record a petition received that long ago."),
    "petition_received_late_reason": _l("The date is before today: write why it is entered "
                                        "late."),
    "petition_told_date": _l("The petitioner cannot have been told before the petition was "
                             "received, nor after today."),
    "petition_staff_to_township": _l("A petition about a township's own staff is handled by "
                                     "the city: it cannot go to a township DPF."),
    "petition_unit_township": _l("Choose the township whose DPF handles it."),
    "petition_unit_hospital": _l("Choose the hospital."),
    "petition_same_unit": _l("The petition is already with that unit."),
    "petition_escalate_top": _l("The city DPF is the highest unit in the portal; transfer the "
                                "petition instead."),
    "petition_extended_once": _l("The answer's time limit was already extended once; it cannot "
                                 "be extended again."),
    "petition_extension_days_min": _l("An extension is at least one day."),
    "petition_extension_days_max": _l("An extension is at most %(max)s days."),
    "petition_extension_too_late": _l("The answer is already overdue: an extension must be "
                                      "asked for before the time limit runs out."),
    "petition_extension_pending": _l("An extension is already waiting for approval."),
    "petition_extension_none": _l("No extension is waiting for approval."),
    "petition_approver_self": _l("The official who asked for the extension cannot approve it: "
                                 "another official must."),
    "petition_approver_role": _l("Only the approving official of the handling unit (the city "
                                 "DPF's administrator; the health coordinator for the health "
                                 "bureau and hospitals) may decide on this extension."),
    "petition_review_before_answer": _l("A review can be asked for only after the answer."),
    "petition_review_too_late": _l("A review could be asked for until %(until)s, %(days)s days "
                                   "after the answer; that time has passed."),
    "petition_review_same_official": _l("The review must be answered by another official than "
                                        "the one who gave the answer."),
    "petition_case_unknown": _l("No case with this number can be found here."),
    "petition_certificate_unknown": _l("No certificate with this number can be found here."),
    "petition_person_unknown": _l("No person with this ID number can be found here."),
    "petition_subject_mismatch": _l("The case, certificate and person given do not belong "
                                    "together."),
    "petition_attachment_empty": _l("The file is empty. Please choose the file again."),
    "petition_attachment_type": _l("This file type cannot be attached. Allowed: %(allowed)s."),
    "petition_attachment_too_large": _l("The file is larger than the limit of %(mb)s MB."),
    "petition_store_unavailable": _l("The file store cannot be reached just now, so nothing was "
                                     "saved. Please try again in a few minutes."),
    # --- video: the link's state measured by the doctor's page ----------------------------
    "video_link_note_invalid": _l("The measure of the link could not be read."),
    "video_link_not_active": _l("This video session is not in progress."),
    # --- transfers between townships and out of the county (portal/transfers) -------------
    "transfer_same_township": _l("The person already belongs to this township: choose the "
                                 "township they move to."),
    "transfer_person_deceased": _l("The person is recorded as deceased and cannot be "
                                   "transferred."),
    "transfer_person_left_county": _l("The person moved out of the county on %(day)s and is "
                                      "closed here."),
    "transfer_open_case": _l("Case #%(case)s of this person is still open: finish or "
                             "withdraw it where it was begun before the person moves."),
    "transfer_pending_exists": _l("A transfer of this person is already waiting for the "
                                  "receiving township's answer."),
    "transfer_not_pending": _l("This transfer has already been answered or withdrawn."),
    "transfer_not_sender": _l("Only the sending township can withdraw this request."),
    "transfer_not_receiver": _l("Only the receiving township can answer this request."),
    "transfer_person_moved": _l("The person is no longer in the sending township: this "
                                "request cannot be accepted."),
    "transfer_reason_required": _l("Give the reason: the sending township reads it."),
    "transfer_destination_required": _l("Enter where the person moved to (province, city, "
                                        "county)."),
    "transfer_village_unknown": _l("Choose one of this township's villages."),
    # --- certificates expiring soon (portal/expiring) ---------------------------------------
    "renewal_open_case": _l("Case #%(case)s of this person is already open: follow it on "
                            "its page."),
    "renewal_person_deceased": _l("The person is recorded as deceased: no renewal."),
    "renewal_person_left_county": _l("The person moved out of the county: no renewal here."),
}
