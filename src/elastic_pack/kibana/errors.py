"""What can go wrong talking to Kibana. Messages never carry credentials.

    KibanaError
    ├── KibanaUnreachable      connection refused, DNS, TLS, timeout (after retries)
    ├── KibanaAuthError        401: credentials missing or wrong
    ├── KibanaForbidden        403: authenticated, but lacks a privilege
    ├── KibanaSpaceNotFound    the space does not exist
    ├── KibanaNotFound         404 for an object
    ├── KibanaValidationError  400: Kibana refused the request body (its message is kept)
    ├── KibanaServerError      5xx or 429 after retries
    └── KibanaUnexpectedAnswer 2xx that is not what the API documents (HTML from an SSO proxy, a wrong shape)
"""

from __future__ import annotations

from ..errors import ElasticPackError


class KibanaError(ElasticPackError):
    def __init__(self, message: str, status: int | None = None, body: object = None):
        super().__init__(message)
        self.status = status
        self.body = body


class KibanaUnreachable(KibanaError):
    pass


class KibanaAuthError(KibanaError):
    pass


class KibanaForbidden(KibanaError):
    pass


class KibanaSpaceNotFound(KibanaError):
    pass


class KibanaNotFound(KibanaError):
    pass


class KibanaValidationError(KibanaError):
    pass


class KibanaServerError(KibanaError):
    pass


class KibanaUnexpectedAnswer(KibanaError):
    pass
