"""Per agent and ticket: when the last Telegram DM went out and what waits for the summary
(tg_tickets/notify/deliver.py writes it; named from user and ticket)."""

from frappe.model.document import Document


class AgentNotificationBurst(Document):
	pass
