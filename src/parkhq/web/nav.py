"""The shared navigation. Each page module registers its entries; the layout renders those the
user's role may see. Later capabilities extend the menu by calling :func:`register_nav`."""

from __future__ import annotations

from dataclasses import dataclass

from parkhq.services.access import Principal

__all__ = ["NavItem", "nav_for", "register_nav"]


@dataclass(frozen=True, slots=True)
class NavItem:
    title: str
    href: str
    permission: str
    order: int = 100


_ITEMS: dict[str, NavItem] = {}


def register_nav(title: str, href: str, permission: str, order: int = 100) -> None:
    _ITEMS[href] = NavItem(title, href, permission, order)


def nav_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return sorted(
        (i for i in _ITEMS.values() if principal.can(i.permission)), key=lambda i: i.order
    )
