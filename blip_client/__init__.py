"""Blip HTTP client, its exception tree and LIME identity helpers (see blip-api.md).

    client.py      BlipClient: one method per Blip operation, one private request method
    errors.py      the BlipError tree (drawn in its docstring)
    identity.py    node/identity helpers and masking for logs
    lime.py        addresses, MIME types, ticket statuses shared by client and fake
    retry.py       backoff and Retry-After parsing
    fake*.py       FakeBlip, the local fake server (``python -m blip_client.fake``)

The fake is not imported here, so that using the client does not pull in Flask.
"""

from blip_client.client import BlipClient
from blip_client.errors import (BlipAuthError, BlipBadRequest, BlipCommandFailure, BlipError,
                                BlipHTTPError, BlipNotFound, BlipRateLimited, BlipServerError,
                                BlipTimeout, BlipTransportError)
from blip_client.identity import (customer_from_desk_relay, desk_relay_address, mask_identity,
                                  mask_text, phone_from_identity, strip_instance)

__all__ = [
    "BlipClient",
    "BlipError", "BlipTransportError", "BlipTimeout", "BlipHTTPError", "BlipBadRequest",
    "BlipAuthError", "BlipRateLimited", "BlipServerError", "BlipCommandFailure", "BlipNotFound",
    "mask_identity", "mask_text", "phone_from_identity", "customer_from_desk_relay",
    "desk_relay_address", "strip_instance",
]
