"""SLA Policy controller: validates and delegates to tg_tickets.sla.policy (rules, selection, default)."""

from frappe.model.document import Document

from tg_tickets.sla import policy


class SLAPolicy(Document):
	def validate(self):
		policy.validate_policy(self)

	def on_update(self):
		policy.after_policy_change(self)
