"""All ParkHQ tables. Import from here; Alembic reads ``Base.metadata``."""

from parkhq.store.models.access import AuditLog, LoginFailure, Role, User, UserScope, UserSession
from parkhq.store.models.base import Base
from parkhq.store.models.parks import (
    Chain,
    ChainMembership,
    Enterprise,
    EnterpriseLabel,
    ImportBatch,
    ImportChange,
    LandParcel,
    Park,
    PeriodReport,
)
from parkhq.store.models.reference import Industry, IndustryCategory, IndustryCategoryCode, Region

__all__ = [
    "AuditLog",
    "Base",
    "Chain",
    "ChainMembership",
    "Enterprise",
    "EnterpriseLabel",
    "ImportBatch",
    "ImportChange",
    "Industry",
    "IndustryCategory",
    "IndustryCategoryCode",
    "LandParcel",
    "LoginFailure",
    "Park",
    "PeriodReport",
    "Region",
    "Role",
    "User",
    "UserScope",
    "UserSession",
]
