"""A reminder at a share of a target (e.g. 75 %)."""

from frappe.model.document import Document


class SLAReminderThreshold(Document):
	pass
