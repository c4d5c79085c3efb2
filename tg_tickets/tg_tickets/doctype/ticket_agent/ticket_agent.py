"""Ticket Agent: one per agent — availability (Online/Away/Offline), capacity and the open-ticket count the
server keeps (tg_tickets/routing/agents.py). Agents switch their own availability from the navbar."""

from frappe.model.document import Document

from tg_tickets.routing import agents, assign


class TicketAgent(Document):
	def on_update(self):
		before = self.get_doc_before_save()
		if before and self.availability == "Online" and (before.availability != "Online" or self.capacity > before.capacity):
			assign.enqueue_drain_for(self.user)
		agents.publish_queue_changed()
