"""Backtest: the pack's rules over an organisation's own CloudTrail, with tuning advice."""

from .run import BacktestResult, ThresholdStats, backtest

__all__ = ["BacktestResult", "ThresholdStats", "backtest"]
