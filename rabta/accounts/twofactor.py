"""TOTP devices for staff (django-otp)."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "authenticator"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    label = quote(f"Rabta:{device.user.get_username()}")
    return f"otpauth://totp/{label}?secret={secret_base32(device)}&issuer=Rabta&digits={device.digits}&period={device.step}"


def qr_svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def verify(device: TOTPDevice, token: str) -> bool:
    return bool(device.verify_token(token.strip()))
