""""""

from frappe.model.document import Document


class TelegramRecordedRequest(Document):
	pass
