"""Shipped rule sets with a few values replaced, for the analysis tests."""

from __future__ import annotations

from typing import Any

from parkhq.reference.rules import (
    ExtensionRules,
    load_extension_rules,
    parse_extension_rules,
)


def extension_rules_with(**changes: Any) -> ExtensionRules:
    """The shipped 延链 rule set with some values replaced (``name=value`` sets ``name.value``
    for a sourced value, ``name`` itself otherwise)."""
    data = load_extension_rules().model_dump(mode="json")
    for key, value in changes.items():
        if isinstance(data.get(key), dict) and "value" in data[key]:
            data[key]["value"] = value
        else:
            data[key] = value
    return parse_extension_rules(data)
