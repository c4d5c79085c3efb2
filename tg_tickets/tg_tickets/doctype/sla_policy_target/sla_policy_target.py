"""A priority's first-response and resolution targets, in business minutes (0 = no target)."""

from frappe.model.document import Document


class SLAPolicyTarget(Document):
	pass
