"""A local stand-in for Alibaba Cloud's SMS API (dysmsapi 2017-05-25, RPC style), enough for
the official SDK: `SendSms` and `QuerySendDetails`, answered as the provider documents.

It keeps every message it accepted (with its OutId), can answer an error code for a number,
and can hold its answer to a `SendSms` for a while after recording the message: the moment a
worker may die having handed a message over without hearing back.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeAliyunSms:
    def __init__(self):
        self.sent: list[dict] = []
        self.errors: dict[str, str] = {}  # phone number → error code to answer
        self.hold_seconds = 0.0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                query = parse_qs(urlsplit(self.path).query)
                query.update(parse_qs(self.rfile.read(length).decode()))
                values = {k: v[0] for k, v in query.items()}
                action = values.get("Action") or self.headers.get("x-acs-action")
                answer = fake.answer(action, values)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, action: str | None, values: dict) -> dict:
        if action == "QuerySendDetails":
            with self.lock:
                rows = [{"OutId": m["OutId"], "PhoneNum": m["PhoneNumbers"], "SendStatus": 3,
                         "Content": m["TemplateParam"], "TemplateCode": m["TemplateCode"]}
                        for m in self.sent if m["PhoneNumbers"] == values.get("PhoneNumber")]
            return {"Code": "OK", "Message": "OK", "RequestId": "q", "TotalCount": len(rows),
                    "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}}
        phone = values.get("PhoneNumbers", "")
        if phone in self.errors:
            return {"Code": self.errors[phone], "Message": "refused", "RequestId": "e"}
        with self.lock:
            self.sent.append(values)
            biz_id = f"{len(self.sent)}^0"
        if self.hold_seconds:
            time.sleep(self.hold_seconds)
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "s"}

    def out_ids(self) -> list[str]:
        with self.lock:
            return [m["OutId"] for m in self.sent]
