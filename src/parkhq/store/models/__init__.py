"""All ParkHQ tables. Import from here; Alembic reads ``Base.metadata``."""

from parkhq.store.models.access import AuditLog, LoginFailure, Role, User, UserScope, UserSession
from parkhq.store.models.base import Base
from parkhq.store.models.land import (
    EvaluationResult,
    EvaluationRun,
    EvaluationRunInput,
    LowEfficiencyLand,
    Objection,
    ObjectionEvidence,
    ReviewStep,
    RuleSetVersion,
)
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
    "EvaluationResult",
    "EvaluationRun",
    "EvaluationRunInput",
    "ImportBatch",
    "ImportChange",
    "Industry",
    "IndustryCategory",
    "IndustryCategoryCode",
    "LandParcel",
    "LoginFailure",
    "LowEfficiencyLand",
    "Objection",
    "ObjectionEvidence",
    "Park",
    "PeriodReport",
    "Region",
    "ReviewStep",
    "Role",
    "RuleSetVersion",
    "User",
    "UserScope",
    "UserSession",
]
