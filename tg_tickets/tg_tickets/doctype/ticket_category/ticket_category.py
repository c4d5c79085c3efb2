from frappe.model.document import Document


class TicketCategory(Document):
	pass
