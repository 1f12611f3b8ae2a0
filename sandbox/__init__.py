"""A local stand-in for Nextcloud instances (DAV, OCS, OAuth2) for tests and demos; see sandbox.server."""

from sandbox.server import Org, RequestRecord, Sandbox

__all__ = ["Org", "RequestRecord", "Sandbox"]
