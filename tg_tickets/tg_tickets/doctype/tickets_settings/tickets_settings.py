"""Tickets Settings: the owner's switch and what members may do."""

import frappe
from frappe import _
from frappe.model.document import Document

from tg_tickets import permissions


class TicketsSettings(Document):
	def validate(self):
		before = self.get_doc_before_save()
		if before and bool(before.enabled) != bool(self.enabled) and not permissions.is_owner():
			frappe.throw(_("Only a Tickets Owner can switch tickets on or off."), frappe.PermissionError)

	def on_update(self):
		frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
