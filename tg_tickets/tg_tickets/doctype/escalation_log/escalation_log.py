"""One firing of an escalation rule on a ticket, written by tg_tickets/lifecycle/escalation.py only; named
<ticket>-<rule>-<cycle> (hashed), so a rule fires once per ticket and cycle whatever runs twice."""

from frappe.model.document import Document


class EscalationLog(Document):
	pass
