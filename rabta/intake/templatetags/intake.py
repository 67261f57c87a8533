from __future__ import annotations

from typing import Any

from django import template

from rabta.intake import selectors

register = template.Library()


@register.filter
def may_link_contacts(user: Any) -> bool:
    """Whether the user may open contact pages (the media cell): the case page shows the link only then."""
    return selectors.may_link_contacts(user)
