"""Deploying the pack to a Kibana space: plan (diff), apply, backup and restore. Knows rules, not HTTP."""

from .apply import ApplyResult, apply_plan, exception_drift, restore_backup
from ..build import MARKER_TAG
from .plan import Plan, RuleAction, make_plan, plan_space

__all__ = ["MARKER_TAG", "ApplyResult", "Plan", "RuleAction", "apply_plan", "exception_drift", "make_plan", "plan_space",
           "restore_backup"]
