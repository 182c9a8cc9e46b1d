"""The ways a notice goes out, behind one interface.

`send(notice, text)` hands the message over and returns the provider's reference; it raises
`TryLater` for a failure worth retrying (network, provider busy, throttled) and `GiveUp` for one
that will not change (a number the provider rejects, a template not registered).
`was_sent(notice)` answers, for a message whose worker died between handing it over and
recording it, whether the provider has it: True, False, or None when the channel cannot tell.

- `log`: writes the message to the portal's log (development; the default);
- `smtp`: email through an SMTP server (the message's Message-ID carries the out id);
- `aliyun`: SMS through Alibaba Cloud's official SDK (`alibabacloud-dysmsapi20170525`), with
  templates registered at the provider; `OutId` carries the out id and `QuerySendDetails`
  answers `was_sent`.
"""
from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from portal.domain.idcard import mask_phone

log = logging.getLogger("portal.notices")


class TryLater(Exception):
    """The message did not go out now; another attempt may succeed."""


class GiveUp(Exception):
    """The message cannot go out as it is; retrying will not help."""


class LogChannel:
    """Development: the message goes to the log, with the number masked."""

    name = "log"

    def send(self, notice, text: str) -> str:
        log.info("notice %s to %s: %s", notice.out_id, mask_phone(notice.recipient), text)
        return f"log-{notice.out_id}"

    def was_sent(self, notice) -> bool | None:
        return None


class SmtpChannel:
    name = "smtp"

    def __init__(self, config):
        self.host = config["NOTICE_SMTP_HOST"]
        self.port = int(config.get("NOTICE_SMTP_PORT") or 25)
        self.sender = config["NOTICE_SMTP_FROM"]
        self.user = config.get("NOTICE_SMTP_USER") or ""
        self.password = config.get("NOTICE_SMTP_PASSWORD") or ""
        self.starttls = bool(config.get("NOTICE_SMTP_STARTTLS"))

    def send(self, notice, text: str) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = notice.recipient
        message["Subject"] = text[:30]
        message["Message-ID"] = f"<{notice.out_id}@notices>"
        message.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise GiveUp("recipient refused") from error
        except (OSError, smtplib.SMTPException) as error:
            raise TryLater(type(error).__name__) from error
        return message["Message-ID"]

    def was_sent(self, notice) -> bool | None:
        return None  # SMTP cannot be asked; docs/notices.md says what that means


# Alibaba Cloud codes after which another attempt cannot succeed.
_ALIYUN_FINAL = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL",
                 "isv.SMS_SIGNATURE_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS",
                 "isv.PARAM_LENGTH_LIMIT", "isv.BLACK_KEY_CONTROL_LIMIT"}


class AliyunSmsChannel:
    name = "aliyun"

    def __init__(self, config):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as open_api

        self.config = config
        self.sign_name = config["SMS_SIGN_NAME"]
        self.client = Client(open_api.Config(
            access_key_id=config["SMS_ACCESS_KEY_ID"],
            access_key_secret=config["SMS_ACCESS_KEY_SECRET"],
            endpoint=config.get("SMS_ENDPOINT") or "dysmsapi.aliyuncs.com",
            protocol=config.get("SMS_PROTOCOL") or "https",
            connect_timeout=5000, read_timeout=10000,
        ))

    def _template(self, notice) -> str:
        from portal.notices.kinds import KINDS

        code = self.config.get(KINDS[notice.kind].template_setting)
        if not code:
            raise GiveUp(f"no template code in {KINDS[notice.kind].template_setting}")
        return code

    def send(self, notice, text: str) -> str:
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendSmsRequest(
            phone_numbers=notice.recipient, sign_name=self.sign_name,
            template_code=self._template(notice),
            template_param=json.dumps(notice.params, ensure_ascii=False),
            out_id=notice.out_id)
        try:
            answer = self.client.send_sms(request).body
        except Exception as error:
            raise TryLater(type(error).__name__) from error
        if answer.code == "OK":
            return answer.biz_id or ""
        if answer.code in _ALIYUN_FINAL:
            raise GiveUp(answer.code)
        raise TryLater(answer.code or "no code")

    def was_sent(self, notice) -> bool | None:
        from alibabacloud_dysmsapi20170525 import models

        if notice.claimed_at is None:
            return False
        days = {notice.claimed_at.strftime("%Y%m%d")}
        for day in sorted(days):
            request = models.QuerySendDetailsRequest(
                phone_number=notice.recipient, send_date=day, page_size=50, current_page=1)
            try:
                answer = self.client.query_send_details(request).body
            except Exception:  # noqa: BLE001 - cannot tell now; ask again later
                return None
            if answer.code != "OK":
                return None
            details = answer.sms_send_detail_dtos
            for row in (details.sms_send_detail_dto if details else None) or []:
                if row.out_id == notice.out_id:
                    return True
        return False


def channel_for(medium: str):
    """The configured channel for SMS or email."""
    config = current_app.config
    backend = config.get("NOTICE_SMS_BACKEND" if medium == "sms" else "NOTICE_EMAIL_BACKEND")
    if backend == "aliyun" and medium == "sms":
        return AliyunSmsChannel(config)
    if backend == "smtp" and medium == "email":
        return SmtpChannel(config)
    return LogChannel()
