"""Linked Chat endpoints for the desk: the chat picker and a chat's tickets."""

import frappe

PICKER_LIMIT = 20


@frappe.whitelist()
def search_chats(txt: str = "", limit: int = PICKER_LIMIT) -> list[dict]:
	"""The chat picker: matches the chat's name, @username or numeric account id."""
	txt = (txt or "").strip().lstrip("@")
	or_filters = None
	if txt:
		like = f"%{txt}%"
		or_filters = [["title", "like", like], ["username", "like", like], ["chat_id", "like", like]]
	return frappe.get_list(
		"Linked Chat", or_filters=or_filters, fields=["name", "title", "username", "chat_type", "photo"],
		order_by="modified desc", limit=min(int(limit or PICKER_LIMIT), 50),
	)


@frappe.whitelist()
def chat_tickets(chat: str, start: int = 0, limit: int = 20) -> list[dict]:
	frappe.get_doc("Linked Chat", chat).check_permission("read")
	return frappe.get_list(
		"Ticket",
		filters=[["Ticket Chat", "chat", "=", chat]],
		fields=["name", "title", "status", "priority", "assigned_to", "creation"],
		order_by="creation desc", start=int(start), limit=min(int(limit), 100),
		group_by="`tabTicket`.name",
	)
