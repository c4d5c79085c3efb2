"""Escalation Rule controller: validates and delegates (tg_tickets/lifecycle/escalation.py)."""

from frappe.model.document import Document

from tg_tickets.lifecycle import escalation


class EscalationRule(Document):
	def validate(self):
		escalation.validate_rule(self)

	def on_update(self):
		escalation.forget_rules()

	def on_trash(self):
		escalation.forget_rules()
