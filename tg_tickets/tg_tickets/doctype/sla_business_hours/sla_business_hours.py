"""One business-hours window on a weekday; several rows a day make a lunch break."""

from frappe.model.document import Document


class SLABusinessHours(Document):
	pass
