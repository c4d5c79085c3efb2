""""""

from frappe.model.document import Document


class TicketCategoryDetail(Document):
	pass
