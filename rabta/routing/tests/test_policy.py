"""Every routing rule, and the fair round robin inside a desk."""

from __future__ import annotations

import pytest

from rabta.routing.policy import MemberLoad, OrgSnapshot, PostRef, RoutingInput, assign_round_robin, route

SNAPSHOT = OrgSnapshot(
    posts=(
        PostRef("dpr-media-cell", "dpr_media_cell", "DPR Media Cell"),
        PostRef("womens-desk-cpo", "womens_desk", "Women's Desk CPO"),
        PostRef("pio-cpo", "pio", "PIO CPO"),
        PostRef("complaint-cell-cpo", "complaint_cell_cpo", "DPR Complaint Cell CPO"),
        PostRef("dpo-mardan", "dpo", "DPO Mardan", "MRD", "Mardan", region_code="MDN"),
        PostRef("womens-desk-mardan", "womens_desk", "Women's Desk Mardan", "MRD", "Mardan", region_code="MDN"),
        PostRef("complaint-cell-mardan", "complaint_cell", "Complaint Cell Mardan", "MRD", "Mardan", region_code="MDN"),
        PostRef("pio-mardan", "pio", "PIO Mardan", "MRD", "Mardan", region_code="MDN"),
        PostRef("sho-mardan-city", "sho", "SHO City Mardan", "MRD", "Mardan", "city", "City Mardan", "MDN"),
    )
)


def _in(category: str, urgency: str = "normal", *, sensitive: bool = False, district: str | None = "MRD", station: str | None = None,
        rti: bool = False) -> RoutingInput:
    return RoutingInput(category, urgency, sensitive, district, station, rti, district_name="Mardan" if district else None)


@pytest.mark.parametrize(
    ("inp", "post", "rule", "also"),
    [
        (_in("gbv_harassment", "high", sensitive=True), "womens-desk-mardan", "sensitive-to-womens-desk", ()),
        (_in("crime_report", sensitive=True), "womens-desk-mardan", "sensitive-to-womens-desk", ()),
        (_in("gbv_harassment", "high", sensitive=True, district=None), "womens-desk-cpo", "sensitive-no-district", ()),
        (_in("crime_report", district=None), "dpr-media-cell", "unknown-district", ()),
        (_in("emergency", "critical", station="city"), "sho-mardan-city", "emergency-to-station", ("dpr-media-cell", "dpo-mardan")),
        (_in("emergency", "critical"), "dpo-mardan", "emergency-to-station", ("dpr-media-cell",)),
        (_in("missing_person", "critical"), "dpo-mardan", "critical-to-station", ("dpr-media-cell",)),
        (_in("police_complaint"), "complaint-cell-mardan", "complaint-to-complaint-cell", ("dpo-mardan",)),
        (_in("information_request", "low", rti=True), "pio-mardan", "rti-to-pio", ()),
        (_in("information_request", "low", rti=True, district=None), "pio-cpo", "rti-to-pio", ()),
        (_in("crime_report", station="city"), "sho-mardan-city", "station-matters-to-sho", ("dpo-mardan",)),
        (_in("traffic"), "dpo-mardan", "district-matters-to-dpo", ()),
        (_in("information_request", "low"), "dpo-mardan", "district-matters-to-dpo", ()),
        (_in("feedback", "low"), "dpr-media-cell", "media-cell", ()),
        (_in("rumor"), "dpr-media-cell", "media-cell", ()),
    ],
)
def test_rules(inp: RoutingInput, post: str, rule: str, also: tuple[str, ...]) -> None:
    decision = route(inp, SNAPSHOT)
    assert (decision.post_code, decision.rule_id, decision.also_notify) == (post, rule, also)
    assert f"(rule {rule})" in decision.reason
    assert decision.ruleset_version


def test_reason_names_the_place_and_post() -> None:
    decision = route(_in("police_complaint"), SNAPSHOT)
    assert decision.reason.startswith("complaint about police conduct in Mardan")
    assert "Complaint Cell Mardan" in decision.reason


def test_a_missing_post_falls_through_to_the_next_rule() -> None:
    no_desk = OrgSnapshot(posts=tuple(p for p in SNAPSHOT.posts if p.code != "womens-desk-mardan"))
    assert route(_in("gbv_harassment", "high", sensitive=True), no_desk).post_code == "womens-desk-cpo"


@pytest.mark.parametrize(
    ("loads", "last", "cap", "expected"),
    [
        ([("amna", 0), ("bilal", 0), ("saima", 0)], None, 5, "amna"),
        ([("amna", 0), ("bilal", 0), ("saima", 0)], "amna", 5, "bilal"),
        ([("amna", 0), ("bilal", 0), ("saima", 0)], "saima", 5, "amna"),  # wraps around
        ([("amna", 1), ("bilal", 5), ("saima", 2)], "amna", 5, "saima"),  # bilal is at the cap
        ([("amna", 5), ("bilal", 5)], None, 5, None),  # everyone full
        ([], None, 5, None),
        ([("bilal", 0), ("amna", 0)], "gone_user", 5, "amna"),  # last assignee left the desk
    ],
)
def test_round_robin_with_a_cap(loads: list[tuple[str, int]], last: str | None, cap: int, expected: str | None) -> None:
    assert assign_round_robin([MemberLoad(u, n) for u, n in loads], last, cap) == expected
