"""The objects the URL-rule walkers need: two townships, their people, reports, jobs, users.

Every URL argument of every rule is filled from `ARGUMENTS`, a mapping from argument name to
the object of the township being walked. A rule with an argument missing from the mapping fails
the walk, so a new route cannot slip past the tenant, login and CSRF checks unnoticed.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from portal import create_app
from tests.security.world import Side, build_world

# Endpoints anyone may call without logging in; keep this short.
PUBLIC_ENDPOINTS = {
    "static": "CSS, JS and images of the login page itself",
    "auth.login": "the login form",
    "public.healthz": "liveness probe of the process supervisor, answers only 'ok'",
    "observability.readyz": "readiness probe of the load balancer: names which dependency is "
                            "down ('ok'/'unavailable' only), no data",
    "observability.metrics": "Prometheus scrape: 404 unless the request carries METRICS_TOKEN "
                             "as a bearer token; counts only, never personal data",
    "public.set_language": "language switch offered on the login page",
    "verify.check": "QR check of a certificate: the signed token is the authorization; it "
                    "shows only valid/expired/cancelled/unknown, category, grade and expiry",
    "guardian.open_invite": "a guardian's invite link: the single-use token (stored hashed) is "
                            "the authorization; unknown, used or expired tokens get a plain page",
    "video_join.open_link": "a guardian's video join link: the single-use token (stored "
                            "hashed) is the authorization; spent or expired links get a plain page",
    "video_join.room": "the guardian's video room: only the browser the join link was spent on "
                       "(its signed session cookie) reaches it, else 404",
    "video_join.guest_offer": "signalling of that browser's video room (same cookie check)",
    "video_join.guest_status": "state of that browser's video room (same cookie check)",
    "video_join.guest_consent": "consent in that browser's video room (same cookie check)",
    "video_join.guest_leave": "leaving that browser's video room (same cookie check)",
    "notice.show": "a printed public notice's page: its keyed code (only on the paper) is the "
                   "authorization; it shows only what the paper shows, while the notice runs, "
                   "and takes objections (rate-limited, nothing echoed back)",
    "info.show": "the county's public information page (how to apply, concentrated days)",
    "info.poster": "the A4 poster of the public information page",
    "public_petitions.public_form": "the public petition form: rate-limited per address; it "
                                    "answers a reference number, never personal data",
    "public_petitions.sent": "the reference number of the petition this browser just sent "
                             "(from its own session), shown once",
    "media_nodes.heartbeat": "a media node's heartbeat: signed with the media service's shared "
                             "secret (401 otherwise), no cookie; it carries only the node's "
                             "name, address and number of rooms",
}

# Endpoints called by other processes, not browsers: a signature is their authorization and
# no cookie is involved, so a CSRF token means nothing to them (their signature checks are
# tested in their own areas, e.g. tests/video/test_media_pool.py).
MACHINE_ENDPOINTS = {"media_nodes.heartbeat"}



# URL argument -> (is a tenant object, how to get its value from a Side).
# An argument naming a tenant object must be invisible from another township (404).
ARGUMENTS: dict[str, tuple[bool, Callable[[Side], object]]] = {
    "township_code": (False, lambda s: s.code),
    "person_id": (True, lambda s: s.person.id),
    "entry_id": (True, lambda s: s.entry.id),
    "report_id": (True, lambda s: s.report.id),
    "token": (True, lambda s: s.job.token),
    "job_id": (True, lambda s: s.job.id),
    "run_id": (True, lambda s: s.holder_import.id),
    "file_job_id": (True, lambda s: s.file_job.id),
    "village_id": (True, lambda s: s.village.id),
    "user_id": (True, lambda s: s.staff.id),
    "membership_id": (True, lambda s: s.staff.memberships[0].id),
    "list_kind": (False, lambda s: "expired"),
    "day_id": (True, lambda s: s.day.id),
    "visit_id": (True, lambda s: s.visit.id),
    "case_id": (True, lambda s: s.case.id),
    "action": (False, lambda s: "withdraw"),
    "certificate_id": (True, lambda s: s.certificate.id),
    "dispatch_id": (True, lambda s: s.dispatch.id),
    "batch_id": (True, lambda s: s.print_batch.id),
    "qr_token": (False, lambda s: "not-a-signed-token"),
    "session_id": (True, lambda s: s.video_session.id),
    "evidence_id": (True, lambda s: s.evidence.id),
    "guardianship_id": (True, lambda s: s.guardianship.id),
    "transfer_id": (True, lambda s: s.transfer.id),
    # A campaign is city-wide reference data (city pages only), shared by both sides.
    "campaign_id": (False, lambda s: s.campaign.id),
    "notice_id": (True, lambda s: s.notice.id),
    "supervision_id": (True, lambda s: s.supervision.id),
    # The city's monthly supervision report of a township (city pages only).
    "township": (False, lambda s: s.code),
    "year": (False, lambda s: 2020),
    "month": (False, lambda s: 5),
    "fmt": (False, lambda s: "xlsx"),
    # A printed notice's public page (public: its code is the authorization).
    "code": (False, lambda s: _notice_code(s)),
    "objection_id": (True, lambda s: s.objection.id),
    "request_id": (True, lambda s: s.life_request.id),
    "document_id": (True, lambda s: s.life_document.id),
    # A petition about the township (handled by its DPF), with one attachment.
    "petition_id": (True, lambda s: s.petition.id),
    "attachment_id": (True, lambda s: s.petition_attachment.id),
    "step": (False, lambda s: "take"),
    # A doctors' training session is city-wide (city pages only), shared by both sides.
    "training_id": (False, lambda s: s.training.id),
    # An organised batch of the township, with `person` on it.
    "assessment_batch_id": (True, lambda s: s.organised_batch.id),
}


def _notice_code(side) -> str:
    from datetime import date

    from portal.objections.notices import notice_code, pretty_code

    return pretty_code(notice_code(side.village.id, date(2020, 5, 7)))

# Arguments that reach one person: a liaison of another village must not reach them.
PERSON_ARGUMENTS = {"person_id", "entry_id"}


def all_rules():
    """Every URL rule of the portal (read from an app built only for listing its routes)."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


RULES = all_rules()


def rule_id(rule) -> str:
    return f"{rule.endpoint}:{rule.rule}"


def is_tenant(rule) -> bool:
    return "township_code" in rule.arguments


def is_city(rule) -> bool:
    return rule.rule == "/city" or rule.rule.startswith("/city/")


def object_arguments(rule) -> set[str]:
    return {a for a in rule.arguments if ARGUMENTS.get(a, (False,))[0]}


def build(rule, side: Side, *, code: str | None = None, overrides: dict | None = None) -> str:
    """The path of `rule` with its arguments taken from `side` (and `overrides`)."""
    unknown = sorted(set(rule.arguments) - set(ARGUMENTS))
    if unknown:
        pytest.fail(
            f"URL rule {rule.rule} ({rule.endpoint}) has argument(s) {unknown} that the "
            "security walkers do not know: add them to ARGUMENTS in tests/security/conftest.py "
            "with an object of the walked township, so the rule is checked for tenant "
            "isolation, login and CSRF."
        )
    values = {name: ARGUMENTS[name][1](side) for name in rule.arguments}
    values.update(overrides or {})
    if code is not None and "township_code" in values:
        values["township_code"] = code
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule} from {values}"
    return built[1]


def is_login_redirect(response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    return urlsplit(response.headers.get("Location", "")).path == "/auth/login"


@pytest.fixture(autouse=True)
def _no_login_throttle(app, db_session):
    """The walks log in many times; the login rate limit is tested elsewhere."""
    from portal.extensions import limiter

    limiter.reset()


@pytest.fixture
def world(db_session, make_township, make_user, make_person):
    """Townships A and B, each with villages X and Y, people, a report, an import job, users."""
    return build_world(db_session, make_township, make_user, make_person)

