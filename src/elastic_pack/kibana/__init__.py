"""Kibana: configuration, the HTTP client and its errors."""

from .client import KibanaClient
from .config import KibanaConfig
from .errors import (
    KibanaAuthError,
    KibanaError,
    KibanaForbidden,
    KibanaNotFound,
    KibanaServerError,
    KibanaUnexpectedAnswer,
    KibanaSpaceNotFound,
    KibanaUnreachable,
    KibanaValidationError,
)

__all__ = ["KibanaAuthError", "KibanaClient", "KibanaConfig", "KibanaError", "KibanaForbidden", "KibanaNotFound",
           "KibanaServerError", "KibanaSpaceNotFound", "KibanaUnexpectedAnswer", "KibanaUnreachable",
           "KibanaValidationError"]
