"""The exception tree is what the module docstring draws, and each error maps to one status."""

from __future__ import annotations

import parkhq.errors as errors


def test_every_exported_error_is_documented_in_the_tree():
    for name in errors.__all__:
        assert name in (errors.__doc__ or ""), name


def test_statuses_follow_the_tree():
    assert errors.NotFound("x").status_code == 404
    assert errors.InvalidUSCC("x").status_code == 422
    assert issubclass(errors.InvalidUSCC, errors.InvalidInput)
    assert issubclass(errors.TooManyAttempts, errors.AuthenticationFailed)
    assert errors.TooManyAttempts("x").status_code == 429
    assert errors.ValidationFailed("x", report={"ok": False}).report == {"ok": False}
