"""The words for a petition's codes (channels, categories, stages, steps), Chinese first."""
from flask_babel import lazy_gettext as _l

CHANNEL_LABELS = {
    "visit": _l("Visit in person"),
    "letter": _l("Letter"),
    "phone": _l("Phone call"),
    "hotline": _l("12345 hotline"),
    "online": _l("Online petition system"),
    "guardian": _l("Guardian portal"),
    "public_form": _l("Public web form"),
}
CATEGORY_LABELS = {
    "assessment": _l("Assessment (grade or category)"),
    "certificate": _l("Issuing or handing over the certificate"),
    "staff_conduct": _l("Conduct of staff"),
    "benefits": _l("Benefits and policies"),
    "other": _l("Other"),
}
STATE_LABELS = {
    "received": _l("Received, acceptance to decide"),
    "accepted": _l("Accepted, being handled"),
    "not_accepted": _l("Not accepted"),
    "answered": _l("Answered"),
    "under_review": _l("Under review"),
    "reviewed": _l("Review answered"),
}
STATE_TONES = {"received": "warning", "accepted": "primary", "not_accepted": "secondary",
               "answered": "success", "under_review": "info", "reviewed": "success"}
ACTION_LABELS = {
    "received": _l("Received"),
    "taken": _l("Taken on by an official"),
    "accepted": _l("Accepted; the petitioner was told"),
    "not_accepted": _l("Not accepted; the petitioner was told"),
    "extension_requested": _l("Extension asked for"),
    "extension_approved": _l("Extension approved"),
    "extension_declined": _l("Extension declined"),
    "extension_withdrawn": _l("Extension request withdrawn by the answer"),
    "answered": _l("Answered"),
    "review_requested": _l("Review asked for"),
    "reviewed": _l("Review answered"),
    "transferred": _l("Transferred"),
    "escalated": _l("Escalated one level up"),
    "attachment_added": _l("Attachment added"),
}
TOLD_LABELS = {
    "phone": _l("By phone"),
    "letter": _l("By letter"),
    "sms": _l("By text message"),
    "in_person": _l("In person"),
}
LIST_VIEWS = {
    "open": _l("All open"),
    "mine": _l("Mine"),
    "unit": _l("My unit's"),
    "due_soon": _l("Due within %(days)s days"),
    "overdue": _l("Overdue"),
    "approval": _l("Extensions to approve"),
    "all": _l("All, closed included"),
}
