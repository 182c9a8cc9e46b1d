"""TURN credentials of the TURN REST API (coturn's use-auth-secret): issued per session and
role, expiring, derived from the shared secret, which never reaches a page."""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from datetime import UTC, datetime

from portal.video.turn import ice_servers_for, turn_credentials, turn_urls
from tests.video import test_sessions as sessions
from tests.video.test_sessions import _live_session

world, guardian = sessions.world, sessions.guardian  # the fixtures of the session tests
SECRET = "turn-secret-for-tests"


def test_credentials_are_what_coturn_computes_from_the_shared_secret():
    now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    issued = turn_credentials(SECRET, "video-7-guardian", now, 3600)
    assert issued["username"] == f"{int(now.timestamp()) + 3600}:video-7-guardian"
    expected = hmac.new(SECRET.encode(), issued["username"].encode(), hashlib.sha1).digest()
    assert issued["credential"] == base64.b64encode(expected).decode()


def test_ice_servers_add_turn_only_with_a_secret():
    now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    stun = '[{"urls": "stun:stun.example.org:3478"}]'
    assert ice_servers_for({"VIDEO_ICE_SERVERS": stun}, "x", now) == json.loads(stun)
    assert ice_servers_for({"TURN_URLS": "turn:t:3478"}, "x", now) == []  # no secret, no TURN
    servers = ice_servers_for({"TURN_URLS": "turn:t:3478?transport=tcp, turns:t:443",
                               "TURN_SHARED_SECRET": SECRET, "TURN_CREDENTIAL_SECONDS": 60},
                              "x", now)
    assert servers[0]["urls"] == ["turn:t:3478?transport=tcp", "turns:t:443"]
    assert servers[0]["username"] == f"{int(now.timestamp()) + 60}:x"
    assert turn_urls('["turn:a", "turns:b"]') == ["turn:a", "turns:b"]


def test_each_room_page_gets_its_own_expiring_credentials(world, client, login_as, post,
                                                          guardian, media, app):
    app.config.update(TURN_URLS="turn:turn.example.org:3478?transport=tcp",
                      TURN_SHARED_SECRET=SECRET, TURN_CREDENTIAL_SECONDS=7200)
    try:
        vs, code, _gtoken, _dtoken = _live_session(world, client, login_as, post, guardian)
        page = client.get(f"/t/{code}/video/{vs.id}").get_data(as_text=True)
    finally:
        app.config.update(TURN_URLS="", TURN_SHARED_SECRET=None)
    servers = json.loads(html.unescape(re.search(r'data-ice-servers="([^"]*)"', page).group(1)))
    turn = servers[-1]
    expiry, label = turn["username"].split(":")
    assert label == f"video-{vs.id}-doctor"
    assert 7000 < int(expiry) - datetime.now(UTC).timestamp() <= 7200
    assert SECRET not in page
