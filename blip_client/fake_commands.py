"""Command routing of the fake server: (to, method, uri pattern) → handler (blip-api.md §9)."""

import re
from urllib.parse import unquote

from blip_client import fake_desk, fake_extensions
from blip_client.fake_state import NOT_FOUND, CommandError, FakeState
from blip_client.identity import strip_instance
from blip_client.lime import SERVER

METHODS = {"get", "set", "merge", "delete", "subscribe", "unsubscribe", "observe"}

_ROUTES = [(to, method, re.compile(pattern), handler)
           for to, method, pattern, handler in fake_desk.ROUTES + fake_extensions.ROUTES]


def split_uri(uri: str) -> tuple[str, dict[str, str]]:
    """Split a command URI into its decoded path and decoded query parameters."""
    raw_path, _, raw_query = uri.partition("?")
    query = {}
    for part in filter(None, raw_query.split("&")):
        key, _, value = part.partition("=")
        query[unquote(key)] = unquote(value)  # not unquote_plus: '+' is literal in identities
    return unquote(raw_path), query


def execute(state: FakeState, command: dict) -> dict:
    """Run one command against the state and return the full response envelope."""
    target = strip_instance(command.get("to") or SERVER).lower()
    method = str(command["method"]).lower()
    path, query = split_uri(str(command["uri"]))
    try:
        with state.lock:
            result = _dispatch(state, command, target, method, path, query)
    except CommandError as failure:
        return failure_response(state.bot_identity, command, failure.code, failure.description)
    response = _base_response(state.bot_identity, command, "success")
    if result is not None:
        response["type"], response["resource"] = result
    return response


def failure_response(bot_identity: str, command: dict, code: int, description: str) -> dict:
    """A ``status: "failure"`` command response with the given reason."""
    response = _base_response(bot_identity, command, "failure")
    response["reason"] = {"code": code, "description": description}
    return response


def _dispatch(state, command, target, method, path, query):
    for to, route_method, pattern, handler in _ROUTES:
        if to == target and route_method == method:
            match = pattern.fullmatch(path)
            if match:
                return handler(state, command, match, query)
    raise CommandError(NOT_FOUND, f"No resource for {method} on this URI")


def _base_response(bot_identity: str, command: dict, status: str) -> dict:
    sender = strip_instance(command.get("to") or SERVER)
    uri = str(command.get("uri", ""))
    command_uri = uri if uri.startswith("lime://") else f"lime://{bot_identity}{uri}"
    return {"id": command.get("id"), "method": command.get("method"), "status": status,
            "from": f"{sender}/#fake", "to": bot_identity,
            "metadata": {"#command.uri": command_uri}}
