"""Linked Chat: one Telegram chat (private, group, supergroup, forum or channel) and its tickets."""

import frappe
from frappe import _
from frappe.model.document import Document

from tg_tickets.tickets import queries


class LinkedChat(Document):
	def validate(self):
		self.chat_id = (self.chat_id or "").strip()
		try:
			int(self.chat_id)
		except ValueError:
			frappe.throw(_("Chat ID must be Telegram's numeric peer id, e.g. -1002000000001."))
		if self.username:
			self.username = self.username.strip().lstrip("@")

	def on_trash(self):
		linked = queries.tickets_of_chat(self.name)
		if linked:
			frappe.throw(
				_("Chat {0} is linked to tickets ({1}); unlink it first.").format(
					self.title, ", ".join("#" + name for name in linked)
				),
				frappe.LinkExistsError,
			)
