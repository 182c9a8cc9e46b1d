"""Display labels of the certificate-life codes, translated late."""
from flask_babel import lazy_gettext as _l

LIFE_LABELS = {
    "kind": {
        "change": _l("Change of details"),
        "replacement": _l("Replacement card"),
        "cancellation": _l("Cancellation"),
    },
    "state": {
        "draft": _l("Being registered"),
        "submitted": _l("Waiting for the city's decision"),
        "new_card": _l("New card on its way"),
        "completed": _l("In effect"),
        "rejected": _l("Refused by the city"),
        "withdrawn": _l("Withdrawn"),
    },
    "replacement_reason": {"lost": _l("Card lost"), "damaged": _l("Card damaged")},
    "cancellation_reason": {
        "death": _l("Death of the holder"),
        "own_request": _l("The holder's own request"),
        "not_qualifying": _l("No longer qualifies after re-assessment"),
        "fraud": _l("Obtained by fraud (revoked)"),
        "reassessed": _l("Category or grade changed: new certificate"),
    },
    "death_source": {
        "family_report": _l("Reported by the family"),
        "civil_affairs_list": _l("Civil-affairs list of deceased persons"),
    },
    "field": {
        "name": _l("Name"),
        "address": _l("Address"),
        "village": _l("Village"),
        "guardian_name": _l("Guardian or agent"),
        "guardian_phone": _l("Guardian's phone"),
        "photo": _l("Photo"),
    },
    "document": {
        "statement": _l("Written request or declaration"),
        "signed_form": _l("Signed form or certificate"),
        "photo": _l("Photo"),
        "death_proof": _l("Proof of death"),
    },
    "action": {
        "register": _l("Request registered"),
        "add_document": _l("Document added"),
        "submit": _l("Checked by the township and sent to the city"),
        "old_card_void": _l("Old card recorded as void"),
        "approve": _l("Approved by the city"),
        "reject": _l("Refused by the city"),
        "withdraw": _l("Withdrawn"),
        "new_card_case": _l("New card ordered"),
        "new_card_handed_over": _l("New card handed over"),
        "card_collected": _l("Old card handed back"),
        "listed_death": _l("Death on the civil-affairs list"),
        "reassessed": _l("New certificate after re-assessment"),
    },
    "outcome": {
        "cancel": _l("Certificate cancelled, person recorded as deceased"),
        "deceased": _l("Person recorded as deceased (no certificate)"),
        "already": _l("Already recorded as deceased"),
        "unknown": _l("Not in the portal: skipped"),
    },
    "collected": {True: _l("Handed back"), False: _l("Not handed back"),
                  None: _l("Not recorded yet")},
}
