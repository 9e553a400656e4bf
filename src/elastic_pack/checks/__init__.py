"""Pack checks: small classes with an id and a severity, run together so every problem is reported at once."""

from .base import PackCheck, RuleCheck
from .runner import ALL_CHECKS, validate_pack

__all__ = ["ALL_CHECKS", "PackCheck", "RuleCheck", "validate_pack"]
