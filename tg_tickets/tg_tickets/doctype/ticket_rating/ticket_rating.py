"""A customer's rating of one closing of a ticket, made by the bot only (tg_tickets/lifecycle/ratings.py);
named <ticket>-<closing>, so a ticket is rated at most once per closing."""

import frappe
from frappe.model.document import Document


class TicketRating(Document):
	pass


def on_doctype_update():
	# the customer's comment: the chat's rating still waiting for one
	frappe.db.add_index("Ticket Rating", ["chat", "comment_until"], "chat_comment_until_idx")
