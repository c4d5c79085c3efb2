"""Retention Run: the record of one retention run or erasure (policy, counts, who configured it, who ran it).
Written by tg_tickets.privacy.retention; it outlives the data it removed and is never edited or deleted."""

from frappe.model.document import Document

from tg_tickets.privacy import audit


class RetentionRun(Document):
	def validate(self):
		audit.refuse_change(self, "validate")

	def on_trash(self):
		audit.refuse_change(self, "on_trash")
