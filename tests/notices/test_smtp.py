"""The email channel speaks SMTP to the configured server (a small local one here): the
message carries its out id as Message-ID and no personal data beyond the message itself; a
refused recipient is final, a server that cannot be reached is tried again later."""
from __future__ import annotations

import socket
import socketserver
import threading

import pytest
from sqlalchemy import select

from portal import uow
from portal.notices.models import Notice
from portal.notices.services import notify, send_due


class _Session(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        server = self.server
        self._say("220 local ESMTP")
        while True:
            line = self.rfile.readline().decode().strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 local")
            elif verb == "MAIL":
                self._say("250 ok")
            elif verb == "RCPT":
                refused = any(r in line for r in server.refuse)
                self._say("550 no such user" if refused else "250 ok")
            elif verb == "DATA":
                self._say("354 go on")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                server.messages.append("".join(lines))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@pytest.fixture
def smtp_server(app):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
    server.daemon_threads = True
    server.messages, server.refuse = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    saved = {k: app.config.get(k) for k in ("NOTICE_EMAIL_BACKEND", "NOTICE_SMTP_HOST",
                                             "NOTICE_SMTP_PORT", "NOTICE_SMTP_FROM",
                                             "NOTICE_SMTP_STARTTLS")}
    app.config.update(NOTICE_EMAIL_BACKEND="smtp", NOTICE_SMTP_HOST="127.0.0.1",
                      NOTICE_SMTP_PORT=server.server_address[1],
                      NOTICE_SMTP_FROM="notices@cjr.example", NOTICE_SMTP_STARTTLS=False)
    yield server
    app.config.update(saved)
    server.shutdown()
    server.server_close()


def _email(person, key, to):
    notice = notify("certificate_ready", person=person, key=key, params={"place": "镇残联"},
                    recipient=to, medium="email")
    uow.commit()
    return notice


def test_an_email_goes_through_smtp(db_session, smtp_server, make_township, make_person):
    person = make_person(make_township())
    notice = _email(person, "e1", "guardian@example.org")
    assert send_due()["sent"] == 1
    [message] = smtp_server.messages
    assert f"Message-ID: <{notice.out_id}@notices>" in message
    assert "guardian@example.org" in message and person.id_number not in message
    db_session.refresh(notice)
    assert notice.state == "sent"


def test_a_refused_address_fails_and_a_dead_server_waits(db_session, smtp_server, app,
                                                         make_township, make_person):
    person = make_person(make_township())
    smtp_server.refuse.append("nobody@example.org")
    refused = _email(person, "e2", "nobody@example.org")
    assert send_due()["failed"] == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        app.config["NOTICE_SMTP_PORT"] = s.getsockname()[1]  # nothing listens there
    waiting = _email(person, "e3", "later@example.org")
    assert send_due()["retry"] == 1
    states = dict(db_session.execute(select(Notice.id, Notice.state)).all())
    assert states[refused.id] == "failed" and states[waiting.id] == "pending"
