"""Raw CloudTrail, as AWS delivers it, read as the ECS documents Elastic's AWS integration produces."""

from .ecs import java_string, to_ecs
from .files import InputReport, delivery_time, file_records, find_files
from .stream import StreamTotals, cloudtrail_events

__all__ = ["InputReport", "StreamTotals", "cloudtrail_events", "delivery_time", "file_records",
           "find_files", "java_string", "to_ecs"]
