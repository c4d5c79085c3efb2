# One period in which Telegram did not answer us (tg_tickets/tickets/outage.py opens and closes it).
from frappe.model.document import Document


class TelegramOutage(Document):
	pass
