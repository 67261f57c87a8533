"""Rabta: the media cell and public outreach platform."""

__version__ = "0.1.0"
