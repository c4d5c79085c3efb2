""""""

from frappe.model.document import Document


class TelegramAgent(Document):
	pass
