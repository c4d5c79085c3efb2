"""Tickets Settings: the owner's switches (tickets on/off, what members see) and what members may do."""

import frappe
from frappe import _
from frappe.model.document import Document

from tg_tickets import permissions


CONNECTION_FIELDS = ("api_id", "api_hash", "bot_token", "topic_group_chat")


class TicketsSettings(Document):
	def validate(self):
		before = self.get_doc_before_save()
		if before and bool(before.enabled) != bool(self.enabled) and not permissions.is_owner():
			frappe.throw(_("Only a Tickets Owner can switch tickets on or off."), frappe.PermissionError)
		switch = "members_see_own_and_team_tickets"
		if before and bool(before.get(switch)) != bool(self.get(switch)) and not permissions.is_owner():
			frappe.throw(_("Only a Tickets Owner can change what members see."), frappe.PermissionError)
		if before and any(before.get(f) != self.get(f) for f in CONNECTION_FIELDS):
			# a connection test vouches for the credentials and the group it ran with
			self.connection_status = self.connection_message = self.connection_checked_at = None

	def on_update(self):
		frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
