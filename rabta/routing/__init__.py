"""Routing and service-level clocks: plain Python over versioned data files, no Django.

- `rabta.routing.policy`: who is responsible for a case (`route`), fair assignment in a desk.
- `rabta.routing.sla`: deadlines, warnings, the RTI extension, clock states, escalation.
- `rabta.routing.calendar`: the KP working-day calendar (weekends, federal and moon-dependent holidays).
"""
