"""The media service's answers are signed for the request they answer, and the portal trusts
no other: a forged or altered answer is refused like an unreachable media node."""
from __future__ import annotations

import time

import pytest

from assessment_video.signing import check_answer, sign_answer
from tests.video.conftest import SECRET
from tests.video.test_sessions import _offer, _schedule, _token, world  # noqa: F401

NONCE = "a" * 32


def test_an_answer_checks_only_for_its_own_request_status_and_body():
    body = b'{"ok": true}'
    headers = sign_answer(SECRET, NONCE, 200, body)
    assert check_answer(SECRET, NONCE, 200, body, headers) is None
    assert check_answer(SECRET, "b" * 32, 200, body, headers) == "bad answer signature"
    assert check_answer(SECRET, NONCE, 404, body, headers) == "bad answer signature"
    assert check_answer(SECRET, NONCE, 200, b'{"ok": false}', headers) == "bad answer signature"
    assert check_answer("another-secret-0123456789", NONCE, 200, body, headers) is not None
    assert check_answer(SECRET, NONCE, 200, body, {}) == "unsigned answer"
    old = sign_answer(SECRET, NONCE, 200, body, timestamp=int(time.time()) - 120)
    assert check_answer(SECRET, NONCE, 200, body, old) == "stale answer"


@pytest.mark.parametrize("forgery", ["unsigned_answers", "tamper_answers"])
def test_the_portal_refuses_an_answer_it_cannot_trust(world, client, login_as, post,  # noqa: F811
                                                      media, forgery, db_session):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    setattr(media, forgery, True)
    response = _offer(client, f"/t/{world['code']}/video/{vs.id}/offer", _token(client))
    assert response.status_code >= 400
    body = response.get_json()
    # The only node cannot be trusted: nothing is placed and the session waits, untouched.
    assert body["error"] == "video_no_media_node" and "sdp" not in body
    db_session.refresh(vs)
    assert vs.state == "scheduled" and vs.media_started_at is None and not vs.media_node_url


def test_an_offer_over_the_node_limit_gets_a_clear_message(world, client, login_as,  # noqa: F811
                                                         post, media):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    media.offer_status = 429
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = _offer(client, f"/t/{world['code']}/video/{vs.id}/offer", _token(client))
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "video_too_many_offers" and "一分钟" in body["message"]
