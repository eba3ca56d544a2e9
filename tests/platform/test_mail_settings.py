"""BASE_URL and MAIL_FROM (web.config.check_mail_settings): e-mails link to BASE_URL, an absolute http(s) URL, and
their Message-IDs take the domain of MAIL_FROM; a malformed value stops the start with a message naming it."""
from __future__ import annotations

import pytest

from notifications import outbox
from web import config
from web.config import ConfigError


@pytest.mark.parametrize(("value", "expected"), [
    ("https://dienhinh.stp.angiang.gov.vn", "https://dienhinh.stp.angiang.gov.vn"),
    ("https://dienhinh.stp.angiang.gov.vn/", "https://dienhinh.stp.angiang.gov.vn"),
    ("http://10.0.0.5:8080/dienhinh/", "http://10.0.0.5:8080/dienhinh"),
    ("  https://x.test  ", "https://x.test"),
    (None, config.DEFAULT_BASE_URL), ("", config.DEFAULT_BASE_URL),
])
def test_base_url_accepted(value, expected):
    assert config.check_base_url(value) == expected


@pytest.mark.parametrize("value", [
    "dienhinh.stp.gov.vn", "/dienhinh", "ftp://x.test", "javascript:alert(1)", "https://", "https://x.test/?a=1",
    "https://x.test/#top", "https://user:pw@x.test", "https://x.test:abc", "https://x .test",
])
def test_base_url_refused_naming_the_variable(value):
    with pytest.raises(ConfigError, match="BASE_URL"):
        config.check_base_url(value)


def test_production_needs_base_url(monkeypatch):
    with pytest.raises(ConfigError, match="BASE_URL"):
        config.check_base_url(None, production=True)
    monkeypatch.setenv("DIENHINH_ENV", "production")
    with pytest.raises(ConfigError, match="BASE_URL"):
        config.check_mail_settings({"MAIL_FROM": "a@b.test", "BASE_URL": None})
    settings = {"MAIL_FROM": "a@b.test", "BASE_URL": "https://b.test/"}
    config.check_mail_settings(settings)
    assert settings["BASE_URL"] == "https://b.test"


@pytest.mark.parametrize(("mail_from", "domain"), [
    ("dienhinh@stp.angiang.gov.vn", "stp.angiang.gov.vn"),
    ("Sở Tư pháp <ThongBao@STP.AnGiang.gov.vn>", "stp.angiang.gov.vn"),
    ("dienhinh@localhost", "localhost"),
    ("dienhinh", None), ("@x.test", None), ("", None), (None, None),
])
def test_the_message_id_domain_is_the_senders(mail_from, domain):
    assert outbox.address_domain(mail_from) == domain
    if domain is None:
        with pytest.raises(ConfigError, match="MAIL_FROM"):
            config.check_mail_settings({"MAIL_FROM": mail_from, "BASE_URL": None})


def test_create_app_refuses_a_bad_base_url(tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.setenv("BASE_URL", "stp.angiang.gov.vn")
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app({"TESTING": True, "SECRET_KEY": "x"}, instance_path=str(tmp_path))


def test_links_are_made_absolute(monkeypatch):
    monkeypatch.setitem(outbox.SETTINGS, "base_url", "https://x.test/app")
    assert outbox.absolute_link("/nominations/3") == "https://x.test/app/nominations/3"
    assert outbox.absolute_link("nominations") == "https://x.test/app/nominations"
    assert outbox.absolute_link("https://other.test/a") == "https://other.test/a"
    assert outbox.absolute_link(None) == ""
