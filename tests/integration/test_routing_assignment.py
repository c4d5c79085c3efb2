"""Routing applied on the site: every model at ticket creation, capacity and availability, the queue drained
oldest first, the reason in the ticket's history, open counts kept, ToDo and bell mirrored."""

import frappe
import pytest

from tests.factories import clear_routing, make_member, make_ticket, make_ticket_team, set_agent, settings
from tg_tickets.routing import agents, assign
from tg_tickets.tickets import assignment

A, B, C = "ana@routing.test", "ben@routing.test", "cat@routing.test"


@pytest.fixture(autouse=True)
def agents_ready():
	for user in (A, B, C):
		make_member(user)
	clear_routing()
	frappe.db.commit()
	with settings(enabled=1):
		yield
	frappe.db.rollback()
	clear_routing()
	frappe.db.commit()


def history(ticket_name):
	return frappe.get_all("Comment", filters={"reference_doctype": "Ticket", "reference_name": ticket_name,
		"comment_type": "Info"}, pluck="content", order_by="creation asc")


def open_count(user):
	return frappe.db.get_value("Ticket Agent", user, "open_tickets")


def test_round_robin_assigns_in_turn_skipping_away_agents_and_says_why():
	make_ticket_team("Billing", [A, B, C], "Round-robin", categories=["Billing"])
	for user in (A, B, C):
		set_agent(user, "Online")
	set_agent(B, "Away")
	holders = [make_ticket(f"invoice {i}", category="Billing").assigned_to for i in range(4)]
	assert holders == [A, C, A, C]
	ticket = make_ticket("one more", category="Billing")
	assert ticket.team == "Billing" and ticket.waiting_since is None
	line = history(ticket.name)[-1]
	assert "Round-robin in team Billing (team: category Billing); next in rotation" in line
	assert line.startswith("Assigned to")


def test_load_balanced_picks_the_fewest_open_tickets():
	make_ticket_team("Tech", [A, B], "Load-balanced", keywords="crash\nerror")
	set_agent(A, "Online")
	set_agent(B, "Online")
	make_ticket("first", assigned_to=A)
	make_ticket("second", assigned_to=A)
	assert open_count(A) == 2
	ticket = make_ticket("App crash on start")
	assert (ticket.team, ticket.assigned_to) == ("Tech", B)
	assert "keyword 'crash'" in history(ticket.name)[-1]


def test_skill_based_prefers_the_skilled_member():
	make_ticket_team("Tech", [A, B], "Skill-based", keywords="login", skills={B: "2fa, sso"})
	set_agent(A, "Online")
	set_agent(B, "Online")
	make_ticket("held", assigned_to=B)
	ticket = make_ticket("Login fails: 2FA code late")
	assert ticket.assigned_to == B
	assert "skill '2fa'" in history(ticket.name)[-1]


@pytest.mark.parametrize("model, why", [("Manual claim", "waits for an agent to claim it"),
	("Supervisor", "waits for the supervisor to assign it")])
def test_manual_and_supervisor_teams_keep_tickets_waiting(model, why):
	make_ticket_team("Desk", [A], model, is_default=1)
	set_agent(A, "Online")
	ticket = make_ticket("Anything")
	assert ticket.assigned_to is None and ticket.team == "Desk" and ticket.waiting_since
	assert why in history(ticket.name)[-1]


def test_no_match_goes_to_the_default_team():
	make_ticket_team("Billing", [A], "Round-robin", categories=["Billing"])
	make_ticket_team("General", [B], "Round-robin", is_default=1)
	set_agent(A, "Online")
	set_agent(B, "Online")
	ticket = make_ticket("Hello there")
	assert (ticket.team, ticket.assigned_to) == ("General", B)


def test_nobody_is_assigned_past_capacity_or_while_offline():
	make_ticket_team("Billing", [A, B], "Round-robin", default_capacity=2, is_default=1)
	set_agent(A, "Online")
	set_agent(B, "Offline")
	holders = [make_ticket(f"t{i}").assigned_to for i in range(3)]
	assert holders == [A, A, None]
	assert open_count(A) == 2 and open_count(B) == 0


def test_the_queue_is_drained_oldest_first_when_an_agent_comes_online():
	make_ticket_team("Billing", [A, B], "Round-robin", default_capacity=1, is_default=1)
	waiting = [make_ticket(f"w{i}").name for i in range(3)]
	frappe.db.commit()
	set_agent(A, "Online")
	frappe.db.commit()
	assert assign.drain("Billing") == 1
	assert frappe.db.get_value("Ticket", waiting[0], "assigned_to") == A
	assert frappe.db.get_value("Ticket", waiting[1], "assigned_to") is None
	set_agent(B, "Online")
	frappe.db.commit()
	assign.drain("Billing")
	assert frappe.db.get_value("Ticket", waiting[1], "assigned_to") == B
	assert frappe.db.get_value("Ticket", waiting[2], "waiting_since") is not None
	# A closes a ticket: capacity frees, the oldest waiting ticket follows
	doc = frappe.get_doc("Ticket", waiting[0])
	doc.status = "SOLVED"
	doc.save()
	frappe.db.commit()
	assert open_count(A) == 0
	assign.drain("Billing")
	assert frappe.db.get_value("Ticket", waiting[2], "assigned_to") == A
	assert "the queue, oldest first" in history(waiting[2])[-1]


def test_open_counts_follow_reassignment_status_and_deletion():
	set_agent(A, "Online")
	set_agent(B, "Online")
	ticket = make_ticket("count me", assigned_to=A)
	assert open_count(A) == 1
	ticket.assigned_to = B
	ticket.save()
	assert (open_count(A), open_count(B)) == (0, 1)
	ticket.status = "CLOSED"
	ticket.save()
	assert open_count(B) == 0
	ticket.status = "OPEN"
	ticket.save()
	assert open_count(B) == 1
	frappe.delete_doc("Ticket", ticket.name, force=True)
	assert open_count(B) == 0
	agents.recount([A, B])
	assert (open_count(A), open_count(B)) == (0, 0)


def test_claim_refuses_a_taken_ticket_naming_the_holder():
	make_ticket_team("Desk", [A, B], "Manual claim", is_default=1)
	set_agent(A, "Online")
	set_agent(B, "Online")
	ticket = make_ticket("claim me")
	assignment.claim(ticket.name, A)
	assert frappe.db.get_value("Ticket", ticket.name, ["assigned_to", "waiting_since"]) == (A, None)
	with pytest.raises(assignment.AlreadyClaimedError, match="already took"):
		assignment.claim(ticket.name, B)


def test_claim_while_away_or_full_is_refused():
	make_ticket_team("Desk", [A], "Manual claim", default_capacity=1, is_default=1)
	set_agent(A, "Away")
	first, second = make_ticket("one"), make_ticket("two")
	with pytest.raises(agents.UnavailableAgentError, match="Online"):
		assignment.claim(first.name, A)
	set_agent(A, "Online")
	assignment.claim(first.name, A)
	with pytest.raises(agents.UnavailableAgentError, match="capacity"):
		assignment.claim(second.name, A)
	assert frappe.db.get_value("Ticket", second.name, "assigned_to") is None


def test_an_assignment_shows_in_frappes_todo_and_bell():
	set_agent(A, "Online")
	ticket = make_ticket("todo mirror", assigned_to=A)
	assert frappe.get_all("ToDo", {"reference_type": "Ticket", "reference_name": ticket.name, "status": "Open"},
		pluck="allocated_to") == [A]
	assert frappe.parse_json(frappe.db.get_value("Ticket", ticket.name, "_assign")) == [A]
	# the bell: a Notification Log of type Assignment for the assignee
	assert frappe.db.exists("Notification Log", {"for_user": A, "type": "Assignment", "document_type": "Ticket",
		"document_name": ticket.name})
	ticket.assigned_to = B
	ticket.save()
	assert frappe.get_all("ToDo", {"reference_type": "Ticket", "reference_name": ticket.name, "status": "Open"},
		pluck="allocated_to") == [B]
	assert frappe.parse_json(frappe.db.get_value("Ticket", ticket.name, "_assign")) == [B]


def test_frappes_assign_to_moves_the_ticket_assignee():
	from frappe.desk.form.assign_to import add, remove

	set_agent(A, "Online")
	ticket = make_ticket("sidebar")
	add({"assign_to": [A], "doctype": "Ticket", "name": ticket.name})
	assert frappe.db.get_value("Ticket", ticket.name, "assigned_to") == A
	assert open_count(A) == 1
	remove("Ticket", ticket.name, A)
	assert frappe.db.get_value("Ticket", ticket.name, "assigned_to") in (None, "")
	assert open_count(A) == 0


def test_an_unanswered_ticket_returns_to_the_queue_after_the_teams_minutes():
	from frappe.utils import add_to_date, now_datetime

	make_ticket_team("Billing", [A], "Manual claim", is_default=1, return_unanswered_after=30)
	set_agent(A, "Online")
	silent = make_ticket("nobody answered", assigned_to=A)
	answered = make_ticket("answered", assigned_to=A)
	fresh = make_ticket("just taken", assigned_to=A)
	assert silent.held_since and silent.waiting_since is None
	for name, minutes in ((silent.name, 31), (answered.name, 31), (fresh.name, 10)):
		frappe.db.set_value("Ticket", name, "held_since", add_to_date(now_datetime(), minutes=-minutes), update_modified=False)
	frappe.db.set_value("Ticket", answered.name, "first_responded_at", now_datetime(), update_modified=False)
	frappe.db.commit()
	assign.return_unanswered()
	assert frappe.db.get_value("Ticket", silent.name, ["assigned_to", "held_since"]) == (None, None)
	assert frappe.db.get_value("Ticket", silent.name, "waiting_since") is not None
	assert "no reply within 30 minutes, back to the Billing queue" in history(silent.name)[-1]
	assert frappe.db.get_value("Ticket", answered.name, "assigned_to") == A
	assert frappe.db.get_value("Ticket", fresh.name, "assigned_to") == A
	assert open_count(A) == 2


def test_held_since_follows_the_assignee():
	set_agent(A, "Online")
	ticket = make_ticket("held", assigned_to=A)
	first = ticket.held_since
	frappe.db.set_value("Ticket", ticket.name, "held_since", "2026-01-01 00:00:00", update_modified=False)
	ticket.reload()
	ticket.priority = "HIGH"
	ticket.save()
	assert str(ticket.held_since) == "2026-01-01 00:00:00"
	ticket.assigned_to = B
	ticket.save()
	assert ticket.held_since and str(ticket.held_since) != "2026-01-01 00:00:00"
	ticket.status = "SOLVED"
	ticket.save()
	assert ticket.held_since is None and first


def test_a_direct_edit_cannot_hand_a_ticket_to_an_away_or_full_agent():
	set_agent(A, "Away")
	set_agent(B, "Online", capacity=1)
	ticket = make_ticket("by hand")
	ticket.assigned_to = A
	with pytest.raises(agents.UnavailableAgentError, match="Away"):
		ticket.save()
	ticket.reload()
	ticket.assigned_to = B
	ticket.save()
	other = make_ticket("second by hand")
	other.assigned_to = B
	with pytest.raises(agents.UnavailableAgentError, match="capacity"):
		other.save()
	# someone never set up as an agent is not routed, so not checked; a reopen keeps its holder
	make_ticket("not an agent", assigned_to=C)
	ticket.status = "SOLVED"
	ticket.save()
	set_agent(B, "Offline")
	ticket.status = "OPEN"
	ticket.save()
	assert frappe.db.get_value("Ticket", ticket.name, "assigned_to") == B
