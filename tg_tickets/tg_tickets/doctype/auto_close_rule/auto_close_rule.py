"""Auto Close Rule controller: validates and delegates (tg_tickets/lifecycle/auto_close.py)."""

from frappe.model.document import Document

from tg_tickets.lifecycle import auto_close


class AutoCloseRule(Document):
	def validate(self):
		auto_close.validate_rule(self)

	def on_update(self):
		auto_close.forget_rules()

	def on_trash(self):
		auto_close.forget_rules()
