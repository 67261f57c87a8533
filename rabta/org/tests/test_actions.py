from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from rabta.accounts.models import Role, User
from rabta.core.models import AuditEvent
from rabta.org.actions import assign_post_holder
from rabta.org.models import District, Post, PostHolding

pytestmark = pytest.mark.django_db


def _officer(username: str, district: str = "mardan") -> User:
    d = District.objects.get(slug=district)
    return User.objects.create_user(username=username, password="x" * 12, role=Role.DPO, district=d, region=d.region)


def test_transfer_ends_the_previous_term_and_is_audited(django_assert_num_queries: Any) -> None:
    actor = User.objects.get(username="rpo_mardan")
    post = Post.objects.get(code="dpo-mardan")
    previous = User.objects.get(username="dpo_mardan")
    newcomer = _officer("new_dpo_mardan")
    # PostgreSQL appends the audit event in one call; SQLite takes three statements.
    with django_assert_num_queries(7 if connection.vendor == "postgresql" else 9):
        holding = assign_post_holder(actor=actor, post=post, user=newcomer, note="Order 123/2026")
    assert holding.ended_at is None
    assert PostHolding.objects.get(post=post, user=previous).ended_at is not None
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.district_code) == ("post.holder_assigned", actor.pk, post.district.code)
    assert event.before == {"holders": ["dpo_mardan"]}
    assert event.after["holder"] == "new_dpo_mardan"
    assert event.after["ended"] == ["dpo_mardan"]


def test_desk_keeps_its_other_officers() -> None:
    actor = User.objects.get(username="dpo_mardan")
    desk = Post.objects.get(code="womens-desk-mardan")
    second = _officer("second_desk_officer")
    assign_post_holder(actor=actor, post=desk, user=second)
    assert PostHolding.objects.filter(post=desk, ended_at__isnull=True).count() == 2


def test_outside_jurisdiction_is_refused_and_nothing_changes() -> None:
    actor = User.objects.get(username="dpo_mardan")
    post = Post.objects.get(code="dpo-peshawar")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        assign_post_holder(actor=actor, post=post, user=_officer("x_officer"))
    assert AuditEvent.objects.count() == events
    assert not PostHolding.objects.filter(post=post, user__username="x_officer").exists()


def test_auditor_may_not_assign() -> None:
    with pytest.raises(PermissionDenied):
        assign_post_holder(actor=User.objects.get(username="auditor"), post=Post.objects.get(code="dpo-mardan"), user=_officer("y"))


def test_same_holder_twice_is_a_clear_error() -> None:
    actor = User.objects.get(username="supervisor_cpo")
    with pytest.raises(ValidationError, match="already holds"):
        assign_post_holder(actor=actor, post=Post.objects.get(code="dpo-mardan"), user=User.objects.get(username="dpo_mardan"))
