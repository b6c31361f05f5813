"""The ParkHQ exception tree.

Services raise these; ``web`` maps them to an HTTP status and a Chinese message in exactly one
place (``parkhq.web.errors``) and ``cli`` prints the message and exits non-zero. Every message is
Chinese and says what was wrong and what was expected.

::

    ParkHQError                      500  基类
    ├── ConfigurationError           500  设置有误（启动时）
    ├── NotFound                     404  对象不存在或不在权限范围内
    ├── AuthenticationFailed         401  未登录 / 用户名或密码错误
    │   └── TooManyAttempts          429  登录尝试过多
    ├── PermissionDenied             403  角色无权执行此操作
    ├── Conflict                     409  与现有数据冲突（重复、状态不允许）
    └── InvalidInput                 422  输入不合法（单个值）
        ├── InvalidUSCC              422  统一社会信用代码不合法
        ├── InvalidCode              422  行业 / 区划 / 园区代码不存在
        ├── RuleSetError             422  规则集（权重、基准值、配额）不合法
        └── ValidationFailed         422  文件校验未通过（附带校验报告）
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationFailed",
    "ConfigurationError",
    "Conflict",
    "InvalidCode",
    "InvalidInput",
    "InvalidUSCC",
    "NotFound",
    "ParkHQError",
    "PermissionDenied",
    "RuleSetError",
    "TooManyAttempts",
    "ValidationFailed",
]


class ParkHQError(Exception):
    """Base of every error ParkHQ raises on purpose.

    ``message`` is the Chinese sentence shown to the user; ``code`` is a stable machine code;
    ``detail`` carries structured context (field, value, expected …) for API clients.
    """

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = detail or {}


class ConfigurationError(ParkHQError):
    """The settings cannot work (for example the default secret in production)."""

    code = "configuration_error"


class NotFound(ParkHQError):
    """The object does not exist, or lies outside the user's scope (we never say which)."""

    status_code = 404
    code = "not_found"


class AuthenticationFailed(ParkHQError):
    """No valid session, or wrong user name / password."""

    status_code = 401
    code = "authentication_failed"


class TooManyAttempts(AuthenticationFailed):
    """Login throttled after repeated failures."""

    status_code = 429
    code = "too_many_attempts"


class PermissionDenied(ParkHQError):
    """The user's role may not perform this action."""

    status_code = 403
    code = "permission_denied"


class Conflict(ParkHQError):
    """The action conflicts with existing data or with the object's state."""

    status_code = 409
    code = "conflict"


class InvalidInput(ParkHQError):
    """One input value is not acceptable; ``detail`` names the field and what was expected."""

    status_code = 422
    code = "invalid_input"


class InvalidUSCC(InvalidInput):
    """A 统一社会信用代码 fails GB 32100 (length, characters, registration code, check digit)."""

    code = "invalid_uscc"


class InvalidCode(InvalidInput):
    """A GB/T 4754 industry, GB/T 2260 region or catalogue park code is unknown."""

    code = "invalid_code"


class RuleSetError(InvalidInput):
    """A rule set (weights, benchmarks, quotas, thresholds) is inconsistent or incomplete."""

    code = "rule_set_error"


class ValidationFailed(InvalidInput):
    """A file failed validation; ``report`` holds every problem found (nothing was written)."""

    code = "validation_failed"

    def __init__(
        self, message: str, *, report: Any = None, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.report = report
