"""Erasure Request: a Telegram user asked to be forgotten (tg_tickets/privacy/erasure.py carries it out)."""

from frappe.model.document import Document

from tg_tickets.privacy import erasure


class ErasureRequest(Document):
	def validate(self):
		erasure.validate_request(self)

	def on_trash(self):
		erasure.refuse_delete_when_done(self)
