"""Intake keeps what it read of the structure only while the structure is unchanged."""

from __future__ import annotations

import pytest
from django.db import connection

from rabta.cases import policy
from rabta.org.models import District, Post

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the version triggers are PostgreSQL's")


def _route_mardan_theft(cache: policy.RouteCache) -> policy.Routed:
    mardan = cache.district(name="Mardan")
    assert mardan is not None
    return policy.route(category="crime_report", urgency="normal", sensitive=False, district=mardan, station=None, is_rti=False,
                        cache=cache)


@postgresql_only
def test_the_same_cache_serves_batches_while_nothing_changes(django_assert_num_queries: object) -> None:
    first = policy.route_cache()
    routed = _route_mardan_theft(first)
    assert policy.route_cache() is first
    with django_assert_num_queries(1):  # the token only
        again = policy.route_cache()
        assert _route_mardan_theft(again) == routed


@postgresql_only
@pytest.mark.parametrize("change", ["orm", "raw"])
def test_a_change_to_the_posts_starts_a_new_cache(change: str) -> None:
    first = policy.route_cache()
    routed = _route_mardan_theft(first)
    if change == "orm":
        Post.objects.filter(code=routed.post.code).update(active=False)
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE org_post SET active = false WHERE code = %s", [routed.post.code])
    fresh = policy.route_cache()
    assert fresh is not first
    assert _route_mardan_theft(fresh).post.code != routed.post.code  # the inactive post gets no case


@postgresql_only
def test_a_renamed_district_is_read_again() -> None:
    cache = policy.route_cache()
    assert cache.district(name="Mardan") is not None
    District.objects.filter(name_en="Mardan").update(name_en="Mardan City")
    fresh = policy.route_cache()
    assert fresh.district(name="Mardan") is None
    assert fresh.district(name="Mardan City") is not None


def test_without_the_triggers_each_batch_reads_afresh() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL keeps the cache (tests above)")
    assert policy.route_cache() is not policy.route_cache()
