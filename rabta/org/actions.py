"""Writes to the organisation. Each runs in one transaction and writes its audit event in it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rabta.core import audit
from rabta.core.permissions import Perm, jurisdiction_q, require_perm
from rabta.org.models import Post, PostHolding


def _post_codes(post: Post) -> dict[str, str]:
    return {
        "region_code": post.region.code if post.region_id else "",
        "district_code": post.district.code if post.district_id else "",
    }


def _post_in_scope(actor: Any, post: Post) -> Post:
    """The post, re-read inside the actor's jurisdiction with what the audit event needs."""
    found = Post.objects.filter(jurisdiction_q(actor), pk=post.pk).select_related("region", "district").first()
    if found is None:
        raise ValidationError("This post is outside your jurisdiction.")
    return found


@transaction.atomic
def assign_post_holder(*, actor: Any, post: Post, user: Any, note: str = "") -> PostHolding:
    """Make `user` the holder of `post` (a transfer): the previous holder's term ends now.

    On a desk several officers serve at once, so earlier holders stay.
    """
    require_perm(actor, Perm.CHANGE_POST_HOLDER)
    post = _post_in_scope(actor, post)
    if not user.is_active:
        raise ValidationError({"user": "This account is disabled."})
    now = timezone.now()
    current = list(PostHolding.objects.select_for_update(of=("self",)).select_related("user").filter(post=post, ended_at__isnull=True))
    if any(h.user_id == user.pk for h in current):
        raise ValidationError({"user": f"{user.get_username()} already holds {post}."})
    ended = []
    if not post.is_desk:
        for holding in current:
            holding.ended_at = now
            holding.save(update_fields=["ended_at"])
            ended.append(holding.user.get_username())
    holding = PostHolding.objects.create(post=post, user=user, started_at=now, note=note[:200])
    audit.record(
        actor=actor,
        action="post.holder_assigned",
        obj=post,
        before={"holders": [h.user.get_username() for h in current]},
        after={"holder": user.get_username(), "ended": ended, "note": note[:200]},
        **_post_codes(post),
    )
    return holding


@transaction.atomic
def end_post_holding(*, actor: Any, holding: PostHolding) -> PostHolding:
    require_perm(actor, Perm.CHANGE_POST_HOLDER)
    post = _post_in_scope(actor, holding.post)
    if holding.ended_at is not None:
        raise ValidationError("This term has already ended.")
    holding.ended_at = timezone.now()
    holding.save(update_fields=["ended_at"])
    audit.record(
        actor=actor,
        action="post.holder_ended",
        obj=post,
        before={"holder": holding.user.get_username()},
        after={"holder": None},
        **_post_codes(post),
    )
    return holding
