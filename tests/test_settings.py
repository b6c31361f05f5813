"""Settings: one object, refuses the placeholder secret in production, and is fully documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parkhq.errors import ConfigurationError
from parkhq.settings import DEFAULT_SECRET, Settings, get_settings

DOCS = Path(__file__).parents[1] / "docs" / "development.md"


def test_production_refuses_the_default_secret():
    with pytest.raises(ConfigurationError, match="PARKHQ_SECRET_KEY"):
        get_settings(environment="production", secret_key=DEFAULT_SECRET)


def test_settings_come_from_parkhq_environment_variables(monkeypatch):
    monkeypatch.setenv("PARKHQ_PORT", "8123")
    assert get_settings().port == 8123


def test_every_setting_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `PARKHQ_([A-Z_]+)`", text, re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "docs/development.md 未说明的设置"
    assert documented - fields == set(), "docs/development.md 说明了不存在的设置"
