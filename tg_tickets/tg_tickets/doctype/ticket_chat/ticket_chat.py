from frappe.model.document import Document


class TicketChat(Document):
	pass


def on_doctype_update():
	import frappe

	# From a chat to its tickets in one index range (the linked-chat filter of the ticket list).
	frappe.db.add_index("Ticket Chat", ["chat", "parent"], "chat_parent_idx")
