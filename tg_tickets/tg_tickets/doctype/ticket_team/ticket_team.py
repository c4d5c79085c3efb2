"""Ticket Team: members, supervisor, the categories and keywords it takes, and its assignment model.
Validates and delegates: routing reads teams through tg_tickets/routing/teams.py (cached)."""

import frappe
from frappe import _
from frappe.model.document import Document

from tg_tickets import permissions
from tg_tickets.routing import agents, teams


class TicketTeam(Document):
	def validate(self):
		seen = set()
		for row in self.members:
			if row.user in seen:
				frappe.throw(_("{0} is listed twice in this team.").format(row.user), title=_("Duplicate member"))
			seen.add(row.user)
			if permissions.ticket_role(row.user) is None:
				frappe.throw(_("{0} has no Tickets role and cannot be a team member.").format(row.user),
					title=_("Not an agent"))
		if self.is_default and frappe.db.exists("Ticket Team", {"is_default": 1, "name": ("!=", self.name)}):
			frappe.throw(_("Another team is already the default team."), title=_("One default team"))

	def on_update(self):
		for row in self.members:
			agents.ensure_agent(row.user)
		teams.clear_cache()

	def on_trash(self):
		teams.clear_cache()
