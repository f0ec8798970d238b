"""Agent-side driver of the fake: a Desk agent acting on tickets, pushing events to the bot.

Mixed into FakeBlip, which provides ``state``, ``bot_identity``, the ``emit_*`` flags and
``_push_to_bot``. Each action changes the ticket under the state lock, then pushes outside it:
ticket messages ([EXT], §4.6) only if ``emit_ticket_messages``, the close redirect ([DOC], §4.6)
only if ``emit_close_redirect``, so a test can simulate a bot that misses either.
"""

import copy

from blip_client import fake_desk
from blip_client.fake_push import agent_text, close_redirect, ticket_message
from blip_client.fake_state import CommandError, now_iso

DEFAULT_AGENT = "atendente%40radiomemory.com.br@blip.ai"


class AgentDriver:
    """Ticket actions of a human agent (or of the customer) as seen by the bot."""

    def agent_take(self, ticket_id: str, agent_identity: str = DEFAULT_AGENT) -> dict:
        """Agent claims the ticket: status Open, openDate; pushes the Open ticket message."""
        ticket = self._change(fake_desk.set_status, ticket_id, "Open",
                              agent_identity=agent_identity)
        self._push_ticket(ticket)
        return ticket

    def agent_reply(self, ticket_id: str, text: str) -> dict:
        """Agent writes to the customer: pushes the relayed text (§4.5); returns the envelope."""
        with self.state.lock:
            ticket = self._ticket(ticket_id)
            ticket.setdefault("firstResponseDate", now_iso())
            envelope = agent_text(ticket, text, self.bot_identity)
        self._push_to_bot(envelope)
        return envelope

    def agent_transfer(self, ticket_id: str, team: str) -> dict:
        """Agent transfers to a team: old Transferred, new Waiting; returns the new ticket."""
        with self.state.lock:
            try:
                old, new = fake_desk.transfer(self.state, ticket_id, team)
            except CommandError as exc:
                raise ValueError(exc.description) from None
            old, new = copy.deepcopy(old), copy.deepcopy(new)
        self._push_ticket(old)
        self._push_ticket(new)
        return new

    def agent_close(self, ticket_id: str, *, tags=None) -> dict:
        """Agent closes: ClosedAttendant; pushes the redirect and/or the ticket message."""
        with self.state.lock:
            agent = self._ticket(ticket_id).get("agentIdentity") or DEFAULT_AGENT
            ticket = self._change(fake_desk.set_status, ticket_id, "ClosedAttendant",
                                  agent_identity=agent, closed_by=agent)
            if tags is not None:
                self.state.tickets[ticket_id]["tags"] = ticket["tags"] = list(tags)
        if self.emit_close_redirect:
            self._push_to_bot(close_redirect(ticket, self.bot_identity))
        self._push_ticket(ticket)
        return ticket

    def client_close(self, ticket_id: str) -> dict:
        """Customer ends the attendance: ClosedClient; pushes the ticket message."""
        ticket = self._change(fake_desk.set_status, ticket_id, "ClosedClient")
        self._push_ticket(ticket)
        return ticket

    def _change(self, transition, ticket_id, *args, **kwargs) -> dict:
        with self.state.lock:
            try:
                return copy.deepcopy(transition(self.state, ticket_id, *args, **kwargs))
            except CommandError as exc:
                raise ValueError(exc.description) from None

    def _ticket(self, ticket_id) -> dict:
        ticket = self.state.tickets.get(ticket_id)
        if ticket is None:
            raise ValueError(f"unknown ticket {ticket_id}")
        return ticket

    def _push_ticket(self, ticket: dict) -> None:
        if self.emit_ticket_messages:
            self._push_to_bot(ticket_message(ticket, self.bot_identity))
