"""The public form: clear errors that lose nothing, uploads without EXIF, and the status page."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from rabta.intake.models import Attachment, InboundEvent

pytestmark = pytest.mark.django_db


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (34.0, 0.0, 0.0), "E", (71.5, 0.0, 0.0)  # Peshawar
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_missing_text_re_renders_with_a_message_and_stores_nothing() -> None:
    response = Client().post("/report/", {"text": "", "name": "Gul", "phone": "0301-2345678"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please write your message." in body
    assert 'value="Gul"' in body  # what the citizen typed is kept
    assert InboundEvent.objects.count() == 0


def test_bad_phone_and_wrong_file_type_are_named() -> None:
    upload = SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/x-msdownload")
    response = Client().post("/report/", {"text": "Chori ho gayi Mardan", "phone": "call me", "attachment": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a phone number such as 0301-2345678." in body
    assert "Only JPEG, PNG or WebP photos and PDF documents can be attached." in body
    assert InboundEvent.objects.count() == 0


def test_photo_loses_its_exif_location_before_it_is_stored() -> None:
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the original carries GPS
    upload = SimpleUploadedFile("scene.jpg", raw, content_type="image/jpeg")
    response = Client().post("/report/", {"text": "Accident on Ring Road Peshawar, photo attached", "attachment": upload})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.exif_stripped
    assert attachment.content_type == "image/jpeg"
    with default_storage.open(attachment.file.name, "rb") as stored:
        data = stored.read()
    exif = Image.open(io.BytesIO(data)).getexif()
    assert not exif.get_ifd(0x8825)
    assert 0x010F not in exif
    assert b"PhoneMaker" not in data


def test_status_page_needs_reference_and_code() -> None:
    response = Client().post("/report/", {"text": "Traffic jam on GT Road near Pabbi since morning"})
    assert response.status_code == 302
    status_url = response["Location"]
    page = Client().get(status_url)
    assert page.status_code == 200
    ref = status_url.split("/")[2]
    assert Client().get(f"/track/{ref}/AAAAAAAA/").status_code == 404
    bad = Client().get("/track/", {"ref": "12345", "code": "x"})
    assert bad.status_code == 400
    assert "A reference looks like KP-MRD-26-000123." in bad.content.decode()
    assert Client().get("/track/", {"ref": ref, "code": status_url.split("/")[3]}).status_code == 302
