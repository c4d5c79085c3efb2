"""Sites from before routing: agents go Offline after 15 idle minutes (the new setting's default, which
Frappe does not write into an existing Single), and every current assignee gets an agent row with its
open tickets counted."""

import frappe


def execute():
	if frappe.db.get_single_value("Tickets Settings", "agent_idle_minutes") in (None, 0, ""):
		if not frappe.db.exists("Singles", {"doctype": "Tickets Settings", "field": "agent_idle_minutes"}):
			frappe.db.set_single_value("Tickets Settings", "agent_idle_minutes", 15)
	from tg_tickets.routing.agents import ensure_agent

	for user in frappe.db.sql_list(
		"select distinct assigned_to from `tabTicket` where assigned_to is not null and assigned_to != ''"
	):
		if frappe.db.exists("User", user):
			ensure_agent(user)
