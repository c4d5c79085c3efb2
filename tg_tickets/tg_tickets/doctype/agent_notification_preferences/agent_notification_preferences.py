"""Agent Notification Preferences controller: validates and delegates (tg_tickets/notify/preferences.py)."""

from frappe.model.document import Document

from tg_tickets.notify import preferences


class AgentNotificationPreferences(Document):
	def validate(self):
		preferences.validate(self)

	def on_update(self):
		preferences.after_save(self)
