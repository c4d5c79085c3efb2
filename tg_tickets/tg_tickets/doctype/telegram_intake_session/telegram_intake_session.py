""""""

from frappe.model.document import Document


class TelegramIntakeSession(Document):
	pass
