"""A date on which no business window starts."""

from frappe.model.document import Document


class SLAHoliday(Document):
	pass
