"""Display labels of stored codes, translated at render time."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "gender": {"male": _l("Male"), "female": _l("Female")},
    "mobility": {
        "can_travel": _l("Can travel"),
        "limited": _l("Limited mobility"),
        "bedridden": _l("Bedridden"),
    },
    "list_kind": {
        "expired": _l("Expired certificate holders (Attachment 1)"),
        "suspected": _l("Suspected disabled persons (Attachment 2)"),
    },
    "list_kind_short": {"expired": _l("Expired"), "suspected": _l("Suspected")},
    "entry_status": {
        "open": _l("Open"),
        "in_progress": _l("In progress"),
        "certified": _l("Certified"),
        "not_qualified": _l("Not qualified"),
        "withdrawn": _l("Withdrawn"),
        "deceased": _l("Deceased"),
    },
    "category": {
        "vision": _l("Vision"),
        "hearing": _l("Hearing"),
        "speech": _l("Speech"),
        "physical": _l("Physical"),
        "intellectual": _l("Intellectual"),
        "mental": _l("Mental"),
        "multiple": _l("Multiple"),
    },
    "source": {
        "survey": _l("Village survey"),
        "import": _l("Excel import"),
        "liaison": _l("Village liaison"),
        "manual": _l("Entered by staff"),
    },
    "yes_no": {True: _l("Yes"), False: _l("No"), None: _l("Unknown")},
}
