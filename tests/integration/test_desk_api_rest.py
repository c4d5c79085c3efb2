"""The desk's endpoints (tg_tickets.api.*) over REST as the roles that call them: one-call ticket creation,
single-field optimistic edits and their refusals, list extras and the linked-chats facet."""

import json

import frappe
import pytest

from tests.factories import make_chat, make_ticket, settings






def message(response):
	assert response.ok, response.text
	return response.json()["message"]


def test_create_ticket_posts_staged_comments_and_links_chats_in_one_call(member):
	chat = make_chat("Dora", username="dora_api")
	frappe.db.commit()
	with settings(enabled=1):
		row = message(member.call(
			"tg_tickets.api.ticket.create_ticket",
			doc=json.dumps({"title": "Card declined", "chats": [chat], "closed_at": "2020-01-01 00:00:00"}),
			staged_comments=json.dumps(["First note", "Second note"]),
		))
	frappe.db.rollback()
	assert (row["status"], row["priority"], row["closed_at"]) == ("OPEN", "MEDIUM", None)
	assert [c["name"] for c in row["chats"]] == [chat]
	assert frappe.db.get_value("Ticket", row["name"], "comment_count") == 2
	assert frappe.db.get_value("Linked Chat", chat, "ticket_count") >= 1


def test_create_ticket_is_refused_when_members_may_not_create(member):
	with settings(enabled=1, members_can_create_tickets=0):
		response = member.call("tg_tickets.api.ticket.create_ticket", doc=json.dumps({"title": "Nope"}))
	assert response.status_code == 403
	frappe.db.rollback()
	assert not frappe.db.exists("Ticket", {"title": "Nope"})


def test_set_field_saves_and_returns_the_row(member):
	ticket = make_ticket("Slow app")
	frappe.db.commit()
	with settings(enabled=1):
		row = message(member.call("tg_tickets.api.ticket.set_field", name=ticket.name, fieldname="priority", value="HIGH"))
	assert row["priority"] == "HIGH"
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket", ticket.name, "priority") == "HIGH"


@pytest.mark.parametrize("fieldname, value, status, text", [
	("title", "Edited", 417, "closed and read-only"),
	("comment_count", 99, 417, "cannot be edited"),
])
def test_set_field_refusals_carry_the_servers_reason(member, fieldname, value, status, text):
	ticket = make_ticket("Frozen")
	ticket.status = "CLOSED"
	ticket.save()
	frappe.db.commit()
	with settings(enabled=1):
		response = member.call("tg_tickets.api.ticket.set_field", name=ticket.name, fieldname=fieldname, value=value)
	assert response.status_code == status
	assert text in response.text
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket", ticket.name, "title") == "Frozen"


def test_set_field_is_refused_without_the_edit_switch(member):
	ticket = make_ticket("Locked for members")
	frappe.db.commit()
	with settings(enabled=1, members_can_edit_tickets=0):
		response = member.call("tg_tickets.api.ticket.set_field", name=ticket.name, fieldname="title", value="x")
	assert response.status_code == 403


def test_list_extras_and_chat_facet_count_linked_chats(member):
	chat = make_chat("Eve", username="eve_api")
	tickets = [make_ticket(f"Facet {i}", chats=[chat]) for i in range(2)]
	frappe.db.commit()
	with settings(enabled=1):
		extras = message(member.call("tg_tickets.api.ticket.list_extras", http="GET", names=json.dumps([t.name for t in tickets])))
		facet = message(member.call(
			"frappe.desk.listview.get_group_by_count", doctype="Ticket", field="chats",
			current_filters=json.dumps([["Ticket", "title", "like", "Facet %"]]),
		))
	assert {name: [c["name"] for c in chats] for name, chats in extras["chats"].items()} == {t.name: [chat] for t in tickets}
	assert {"name": chat, "count": 2, "title": "Eve"} in [{k: r[k] for k in ("name", "count", "title")} for r in facet]


def test_outsider_gets_nothing(outsider):
	ticket = make_ticket("Private")
	frappe.db.commit()
	with settings(enabled=1):
		extras = outsider.call("tg_tickets.api.ticket.list_extras", http="GET", names=json.dumps([ticket.name]))
		row = outsider.call("tg_tickets.api.ticket.get_row", http="GET", name=ticket.name)
	assert (extras.status_code, row.status_code) == (403, 403)
	assert "Private" not in extras.text + row.text
