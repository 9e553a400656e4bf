"""Test helpers that ship with elastic-pack: an in-process Kibana stand-in for clients and pipelines."""

from .kibana_standin import StandInKibana

__all__ = ["StandInKibana"]
