from __future__ import annotations

import logging

import pytest

from rabta.core.logging import RedactSecretsFilter, redact


@pytest.mark.parametrize(
    ("raw", "leak"),
    [
        ("login password=hunter2secret failed", "hunter2secret"),
        ('{"token": "EAAGm0PX4ZCpsBA"}', "EAAGm0PX4ZCpsBA"),
        ("Authorization: Bearer abcdefghijklmnop", "abcdefghijklmnop"),
        ("connecting to redis://user:s3cr3tpass@10.0.0.1:6379/0", "s3cr3tpass"),
        ("app secret=0329a06b62cd16b33eb6792be8c60b15", "0329a06b62cd16b33eb6792be8c60b15"),
    ],
)
def test_secrets_are_masked(raw: str, leak: str) -> None:
    assert leak not in redact(raw)
    assert "***" in redact(raw)


def test_filter_rewrites_the_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("abcdef123456",), None)
    RedactSecretsFilter().filter(record)
    assert "abcdef123456" not in record.getMessage()


def test_plain_text_is_untouched() -> None:
    assert redact("case KP-MRD-26-000123 routed to DPO Mardan") == "case KP-MRD-26-000123 routed to DPO Mardan"
