"""Deploying the pack to a Kibana space: plan (diff), apply, backup and restore. Knows rules, not HTTP."""

from ..build import MARKER_TAG
from .apply import ApplyResult, apply_plan
from .backup import read_backup_meta, restore_backup
from .exception_lists import exception_drift
from .interrupt import deferred_interrupt
from .plan import Plan, RuleAction, make_plan, plan_space

__all__ = ["MARKER_TAG", "ApplyResult", "Plan", "RuleAction", "apply_plan", "deferred_interrupt", "exception_drift",
           "make_plan", "plan_space", "read_backup_meta", "restore_backup"]
