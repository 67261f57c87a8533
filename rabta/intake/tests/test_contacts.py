"""The contact page: one citizen's identities across channels, linked and unlinked by the media cell."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, TestCase

from rabta.accounts.models import Role, User
from rabta.cases.models import Case
from rabta.core.models import AuditEvent
from rabta.intake import actions as intake
from rabta.intake import selectors, sms
from rabta.intake.models import Channel, Citizen, Contact, Message
from rabta.org.models import District

pytestmark = pytest.mark.django_db
KEY = "k"
MARDAN_THEFT = "Meri motorcycle kal raat Takht Bhai bazar Mardan se chori ho gayi"
PESHAWAR_THEFT = "Hayatabad phase 3 Peshawar mein meri gari chori ho gayi"
MARDAN_HARASSMENT = "ایک لڑکا مجھے فون پر مسلسل ہراساں کر رہا ہے اور تصویریں وائرل کرنے کی دھمکی دیتا ہے، میں مردان شہر میں رہتی ہوں"
Login = Callable[[str], Client]


def _web(text: str, submission: str, **extra: str) -> Case:
    body = json.dumps({"submission_id": submission, "text": text, **extra}).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        stored = intake.store_inbound_event(channel=intake.web_form_channel(), platform_id=submission, headers={}, body=body)
        intake.process_inbound_event(event_id=stored.event.pk)
    case = Message.objects.get(event=stored.event).case
    assert case is not None
    return case


def _sms(text: str, sender: str, sms_id: str) -> Case:
    channel, _ = Channel.objects.get_or_create(kind="sms", slug="agg", defaults={"secret": KEY})
    body = urlencode({"from": sender, "text": text, "id": sms_id}).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post(
            "/hooks/sms/agg", data=body, content_type="application/x-www-form-urlencoded", headers={"X-Signature": sms.signed_hex(KEY, body)}
        )
    assert response.status_code == 200
    case = Message.objects.get(event__channel=channel, event__platform_id=sms_id).case
    assert case is not None
    return case


@pytest.fixture
def two_identities() -> tuple[Case, Case]:
    """The same person: on the web form (name and phone given) and by SMS from that phone."""
    web = _web(MARDAN_THEFT, "c-1", name="Gul Khan", phone="0300-1112223")
    text = _sms("Koi jawab nahi aya, Mardan", "923001112223", "s-1")
    assert web.contact.citizen_id != text.contact.citizen_id
    return web, text


def test_operator_sees_the_contact_page_and_the_case_links_to_it(login_as: Login, two_identities: tuple[Case, Case]) -> None:
    web, text = two_identities
    client = login_as("operator_peshawar")
    case_page = client.get(f"/cases/{text.ref}/")
    assert f'href="/contacts/{text.contact_id}/"' in case_page.content.decode()
    page = client.get(f"/contacts/{text.contact_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "+923001112223" in html
    assert text.ref in html
    assert web.ref not in html  # another citizen until linked


def test_search_finds_the_other_identity_by_phone_name_or_reference(login_as: Login, two_identities: tuple[Case, Case]) -> None:
    web, text = two_identities
    client = login_as("operator_peshawar")
    for query in ("0300 1112223", "gul khan", web.ref.lower()):
        page = client.get(f"/contacts/{text.contact_id}/", {"q": query})
        assert page.status_code == 200
        assert f'name="citizen" value="{web.contact.citizen_id}"' in page.content.decode(), query
    fragment = client.get(f"/contacts/{text.contact_id}/", {"q": "gul khan"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert 'data-testid="link-results"' in body
    assert "<html" not in body
    nothing = client.get(f"/contacts/{text.contact_id}/", {"q": "nobody at all"})
    assert 'data-testid="link-result"' not in nothing.content.decode()


def test_link_then_unlink_restores_the_previous_citizen(login_as: Login, two_identities: tuple[Case, Case]) -> None:
    web, text = two_identities
    operator = User.objects.get(username="operator_peshawar")
    client = login_as("operator_peshawar")
    sms_contact, own_citizen, target = text.contact, text.contact.citizen_id, web.contact.citizen_id
    linked = client.post(f"/contacts/{sms_contact.pk}/link/", {"citizen": target})
    assert linked.status_code == 302
    sms_contact.refresh_from_db()
    assert (sms_contact.citizen_id, sms_contact.previous_citizen_id, sms_contact.linked_by) == (target, own_citizen, operator)
    page = client.get(f"/contacts/{sms_contact.pk}/").content.decode()
    assert web.ref in page  # the citizen's cases on every identity
    assert text.ref in page
    audit = AuditEvent.objects.get(action="contact.linked")
    assert (audit.actor_id, audit.before, audit.after, audit.district_code) == (operator.pk, {"citizen": own_citizen}, {"citizen": target}, "MRD")
    assert "+92" not in audit.object_repr  # no personal data on the trail

    unlinked = client.post(f"/contacts/{sms_contact.pk}/unlink/", {"to": "previous"})
    assert unlinked.status_code == 302
    sms_contact.refresh_from_db()
    assert (sms_contact.citizen_id, sms_contact.previous_citizen_id) == (own_citizen, None)
    undo = AuditEvent.objects.get(action="contact.unlinked")
    assert (undo.before, undo.after) == ({"citizen": target}, {"citizen": own_citizen})


def test_unlink_can_give_the_contact_a_citizen_of_its_own(two_identities: tuple[Case, Case]) -> None:
    web, text = two_identities
    supervisor = User.objects.get(username="supervisor_cpo")
    intake.link_contact(actor=supervisor, contact=text.contact, citizen=web.contact.citizen)
    contact = intake.unlink_contact(actor=supervisor, contact=text.contact, restore=False)
    assert contact.citizen_id not in (web.contact.citizen_id, text.contact.citizen_id)
    assert Citizen.objects.get(pk=contact.citizen_id).contacts.get() == contact
    with pytest.raises(ValidationError, match="nothing to separate"):
        intake.unlink_contact(actor=supervisor, contact=contact, restore=False)
    with pytest.raises(ValidationError, match="no earlier citizen"):
        intake.unlink_contact(actor=supervisor, contact=contact)


def test_linking_to_the_same_citizen_is_refused(login_as: Login, two_identities: tuple[Case, Case]) -> None:
    _, text = two_identities
    client = login_as("operator_peshawar")
    response = client.post(f"/contacts/{text.contact_id}/link/", {"citizen": text.contact.citizen_id}, follow=True)
    assert "This identity already belongs to that citizen." in response.content.decode()
    assert not AuditEvent.objects.filter(action="contact.linked").exists()


@pytest.mark.parametrize("username", ["dpo_mardan", "sho_hayatabad", "womens_desk_mardan", "auditor", "pio_cpo"])
def test_field_roles_may_not_open_contact_pages(login_as: Login, two_identities: tuple[Case, Case], username: str) -> None:
    _, text = two_identities
    client = login_as(username)
    assert client.get(f"/contacts/{text.contact_id}/").status_code == 403
    assert client.post(f"/contacts/{text.contact_id}/unlink/").status_code == 403
    assert f"/contacts/{text.contact_id}/" not in client.get(f"/cases/{text.ref}/").content.decode()


def test_a_district_operator_sees_only_contacts_of_their_district(login_as: Login, two_identities: tuple[Case, Case]) -> None:
    web, _ = two_identities
    peshawar = District.objects.get(name_en="Peshawar")
    User.objects.create_user("operator_pew", role=Role.OPERATOR, district=peshawar, region=peshawar.region)
    local = _web(PESHAWAR_THEFT, "c-2", name="Gul Khan")
    assert local.district == peshawar
    client = login_as("operator_pew")
    assert client.get(f"/contacts/{web.contact_id}/").status_code == 404
    assert client.get(f"/contacts/{local.contact_id}/").status_code == 200
    # Searching never reveals a citizen outside the district, and linking to one is refused.
    found = client.get(f"/contacts/{local.contact_id}/", {"q": "gul khan"}).content.decode()
    assert f'value="{web.contact.citizen_id}"' not in found
    assert client.post(f"/contacts/{local.contact_id}/link/", {"citizen": web.contact.citizen_id}).status_code == 404
    assert Contact.objects.get(pk=local.contact_id).citizen_id == local.contact.citizen_id


def test_sensitive_contacts_stay_in_their_compartment(login_as: Login) -> None:
    case = _web(MARDAN_HARASSMENT, "c-3", name="Private person")
    assert case.sensitive
    assert login_as("operator_peshawar").get(f"/contacts/{case.contact_id}/").status_code == 404
    supervisor_page = login_as("supervisor_cpo").get(f"/contacts/{case.contact_id}/")
    assert supervisor_page.status_code == 200
    assert case.ref in supervisor_page.content.decode()
    operator = User.objects.get(username="operator_peshawar")
    with pytest.raises(PermissionDenied):
        intake.unlink_contact(actor=operator, contact=case.contact)
    other = _web(MARDAN_THEFT, "c-4", name="Private person")
    with pytest.raises(PermissionDenied):
        intake.link_contact(actor=operator, contact=other.contact, citizen=case.contact.citizen)
    assert selectors.citizen_search(actor=operator, query="private person", exclude_citizen_id=other.contact.citizen_id) == []


def test_contact_page_queries_are_bounded(login_as: Login, two_identities: tuple[Case, Case], django_assert_max_num_queries: Any) -> None:
    _, text = two_identities
    client = login_as("operator_peshawar")
    client.get(f"/contacts/{text.contact_id}/")  # warm the session and caches
    with django_assert_max_num_queries(15):
        assert client.get(f"/contacts/{text.contact_id}/", {"q": "gul khan"}).status_code == 200
