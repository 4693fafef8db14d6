"""The resource groups of ``EnvoyClient``, one module each: ``client.loads`` and
``client.webhooks``."""

from .loads import LoadsResource
from .webhooks import WebhooksResource

__all__ = ["LoadsResource", "WebhooksResource"]
