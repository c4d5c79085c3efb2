"""Tickets Settings: the owner's switches (tickets on/off, what members see) and what members may do."""

import frappe
from frappe import _
from frappe.model.document import Document

from tg_tickets import permissions


class TicketsSettings(Document):
	def validate(self):
		before = self.get_doc_before_save()
		if before and bool(before.enabled) != bool(self.enabled) and not permissions.is_owner():
			frappe.throw(_("Only a Tickets Owner can switch tickets on or off."), frappe.PermissionError)
		switch = "members_see_own_and_team_tickets"
		if before and bool(before.get(switch)) != bool(self.get(switch)) and not permissions.is_owner():
			frappe.throw(_("Only a Tickets Owner can change what members see."), frappe.PermissionError)

	def on_update(self):
		frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
