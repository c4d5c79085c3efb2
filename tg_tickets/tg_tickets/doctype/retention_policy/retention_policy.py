"""Retention Policy: which closed tickets leave, and how (tg_tickets/privacy/retention.py does the work)."""

from frappe.model.document import Document

from tg_tickets.privacy import retention


class RetentionPolicy(Document):
	def validate(self):
		retention.validate_policy(self)
