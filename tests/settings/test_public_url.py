"""PUBLIC_BASE_URL builds every address that leaves the portal; ProxyFix from TRUSTED_PROXIES."""

import pytest

from portal import create_app
from portal.public_url import PublicUrlError, public_url

BASE = "https://cjr.example.gov.cn/portal"


def test_production_requires_a_public_https_address():
    config = {"ENV_NAME": "production", "SECRET_KEY": "k" * 32,
              "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(PublicUrlError, match="PUBLIC_BASE_URL must be set"):
        create_app({**config, "PUBLIC_BASE_URL": None})
    with pytest.raises(PublicUrlError, match="https"):
        create_app({**config, "PUBLIC_BASE_URL": "http://cjr.example.gov.cn"})
    app = create_app({**config, "PUBLIC_BASE_URL": BASE + "/"})
    assert app.config["PUBLIC_BASE_URL"] == BASE


@pytest.mark.parametrize("value", ["cjr.example.gov.cn", "ftp://x.example", "https://x.cn/?a=1"])
def test_unusable_addresses_are_refused(value):
    with pytest.raises(PublicUrlError):
        create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "PUBLIC_BASE_URL": value})


def test_public_url_ignores_the_request_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    with app.test_request_context("/", base_url="http://127.0.0.1:8000"):
        assert public_url("verify.check", qr_token="abc") == BASE + "/v/abc"
    with app.app_context():  # a command or job has no request at all
        assert public_url("verify.check", qr_token="abc") == BASE + "/v/abc"


def _proxied_app(trusted):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "TRUSTED_PROXIES": trusted})

    @app.route("/_seen")
    def seen():
        from flask import request

        return f"{request.remote_addr} {request.scheme} {request.host}"

    return app


def test_proxy_headers_believed_only_from_trusted_proxies():
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "cjr.example.gov.cn"}
    env = {"REMOTE_ADDR": "10.0.0.2"}
    trusted = _proxied_app("1").test_client().get("/_seen", headers=headers,
                                                  environ_base=env)
    assert trusted.get_data(as_text=True) == "203.0.113.7 https cjr.example.gov.cn"
    direct = _proxied_app("0").test_client().get("/_seen", headers=headers, environ_base=env)
    assert direct.get_data(as_text=True) == "10.0.0.2 http localhost"
