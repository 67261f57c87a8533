"""Routing and service-level clocks: plain Python over data files, no Django."""
