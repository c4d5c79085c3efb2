"""One condition of a policy; a ticket matches a policy when all its conditions hold."""

from frappe.model.document import Document


class SLAPolicyCondition(Document):
	pass
