"""Keep secrets out of logs: mask values of secret-looking keys and known token shapes."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(?i)((?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]{8,})"),
    # key=value or "key": "value" where the key names a secret
    re.compile(
        r"(?i)((?:password|passwd|secret|token|api[_-]?key|authorization|otp|signature)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;]+)"
    ),
    re.compile(r"(://[^:/\s]+:)([^@\s]+)(@)"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1***\3", text) if pattern.groups == 3 else pattern.sub(r"\1***", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
