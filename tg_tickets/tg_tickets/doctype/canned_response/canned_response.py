"""Canned Response: a prepared answer the reply box inserts after `/shortcut`. Rules live in
tg_tickets/replies/responses.py (scopes, rights, placeholders); edits are kept in Version (track_changes)."""

import frappe
from frappe.model.document import Document

from tg_tickets.replies import responses


class CannedResponse(Document):
	def validate(self):
		responses.validate(self)


def on_doctype_update():
	# The picker filters the visible responses by shortcut prefix.
	frappe.db.add_index("Canned Response", ["shortcut"], "shortcut_idx")
