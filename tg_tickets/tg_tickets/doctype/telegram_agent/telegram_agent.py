"""Telegram Agent: a desk user's Telegram account, where SLA alerts and other direct messages go.
Linking one makes the agent's private chat (tg_tickets.telegram.agents, wired in hooks.py)."""

from frappe.model.document import Document


class TelegramAgent(Document):
	pass
