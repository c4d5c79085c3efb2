"""Ticket controller: validates and delegates. Rules live in tg_tickets.tickets.*; other domains (SLA, Telegram
topics) react through the Ticket doc_events declared in hooks.py, after these methods."""

import frappe
from frappe.model.document import Document

from tg_tickets.tickets import codes, counters, indexes, lifecycle, search


class Ticket(Document):
	def autoname(self):
		self.name = codes.new_code(lambda code: frappe.db.exists("Ticket", code))

	def db_insert(self, *args, **kwargs):
		# Two creators can draw the same free code at once; the primary key decides, the loser redraws.
		for attempt in range(1, 9):
			try:
				return super().db_insert(*args, **kwargs)
			except frappe.DuplicateEntryError:
				if attempt == 8:
					raise
				frappe.clear_last_message()
				self.name = codes.new_code(lambda code: frappe.db.exists("Ticket", code), attempt)
				self.set_parent_in_children()

	def validate(self):
		lifecycle.set_ranks(self)
		lifecycle.validate_assignee(self)
		lifecycle.apply_status_rules(self)
		self.drop_duplicate_chats()

	def drop_duplicate_chats(self):
		seen = set()
		for row in list(self.chats):
			if row.chat in seen:
				self.remove(row)
			seen.add(row.chat)

	def after_insert(self):
		# Comments staged in the new-ticket form are posted in the same transaction as the ticket.
		for comment in self.get("staged_comments") or []:
			text = comment.get("content") if isinstance(comment, dict) else comment
			if text and str(text).strip():
				self.add_comment("Comment", text)

	def on_update(self):
		search.index_ticket(self)
		before = self.get_doc_before_save()
		old_chats = {row.chat for row in before.chats} if before else set()
		new_chats = {row.chat for row in self.chats}
		if old_chats != new_chats:
			counters.refresh_chat_ticket_counts(old_chats ^ new_chats)

	def on_trash(self):
		self.flags.chats_to_recount = [row.chat for row in self.chats]

	def after_delete(self):
		counters.refresh_chat_ticket_counts(self.flags.chats_to_recount or [])
		search.unindex_ticket(self.name)


def on_doctype_update():
	indexes.ensure_ticket_indexes()
