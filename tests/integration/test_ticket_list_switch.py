"""The desk's ticket list under the owner's visibility switch (members see their own tickets and their teams'
unassigned ones): pages read part by part (tickets/list_plan.py) equal the plain query's — same rows, same
order, same count — for every sort the desk offers, paged."""

import itertools
import uuid

import frappe
import pytest

from tests.factories import make_chat, make_ticket, make_ticket_team, remove_tickets, settings
from tg_tickets.tickets.fields import natural_order_by

MEMBER, OTHER = "member@tickets.test", "admin@tickets.test"
FIELDS = ["`tabTicket`.`name`", "`tabTicket`.`title`", "`tabTicket`.`status`", "`tabTicket`.`priority`",
	"`tabTicket`.`assigned_to`", "`tabTicket`.`team`", "`tabTicket`.`creation`"]


@pytest.fixture(scope="module")
def switch_tickets(users):
	"""Tickets of every kind the rule tells apart, interleaved in time: the member's own, their two teams'
	unassigned ones (assignee NULL and ''), their team's but another's, another team's unassigned, no team."""
	tag = uuid.uuid4().hex[:6]
	mine, also_mine, theirs = (f"List {what} {tag}" for what in ("mine", "also", "theirs"))
	make_ticket_team(mine, [MEMBER], "Manual claim")
	make_ticket_team(also_mine, [MEMBER, OTHER], "Manual claim")
	make_ticket_team(theirs, [OTHER], "Manual claim")
	chat = make_chat(f"Switch chat {tag}")
	kinds = [
		{"assigned_to": MEMBER}, {"team": mine}, {"team": also_mine, "empty": True}, {"team": mine, "assigned_to": OTHER},
		{"team": theirs}, {}, {"assigned_to": MEMBER, "team": theirs}, {"team": also_mine},
	]
	statuses, priorities = itertools.cycle(["OPEN", "NEW", "PENDING", "OPEN", "BLOCKED"]), itertools.cycle(["LOW", "HIGH", "MEDIUM"])
	made = []
	for i in range(40):
		kind = dict(kinds[(i * 3) % len(kinds)])
		empty, assignee = kind.pop("empty", False), kind.pop("assigned_to", None)
		ticket = make_ticket(f"Switch {tag} {i:02d}", chats=[chat] if i % 4 == 0 else [], status=next(statuses),
			priority=next(priorities), **kind)
		# set in the row: routing's capacity checks are not what these tests are about
		if empty or assignee:
			frappe.db.set_value("Ticket", ticket.name, "assigned_to", assignee or "", update_modified=False)
		made.append(ticket.name)
	frappe.db.commit()
	yield {"tag": tag, "chat": chat, "names": made}
	remove_tickets(made, [MEMBER, OTHER])


def listed(client, **params):
	response = client.call("frappe.desk.reportview.get", doctype="Ticket", fields=FIELDS, **params)
	assert response.ok, response.text
	message = response.json()["message"]
	return [dict(zip(message["keys"], values)) for values in message["values"]] if message else []


def plain(filters, order_by, start, page_length):
	"""Frappe's own list query for the member (no override in between), as the desk would sort it."""
	rows = frappe.get_list("Ticket", fields=FIELDS, filters=filters, order_by=natural_order_by(order_by),
		limit_start=start, limit_page_length=page_length, user=MEMBER)
	return [{key: str(value) if value is not None and key == "creation" else value for key, value in row.items()} for row in rows]


def same_rows(got, expected):
	assert [r["name"] for r in got] == [r["name"] for r in expected]
	assert [{**r, "creation": str(r["creation"])} for r in got] == [{**r, "creation": str(r["creation"])} for r in expected]


SWITCH_ON = {"enabled": 1, "members_see_own_and_team_tickets": 1}
NEWEST, OLDEST = "`tabTicket`.`creation` desc", "`tabTicket`.`creation` asc"
FILTERS = {
	"none": [],
	"status": [["Ticket", "status", "=", "OPEN"]],
	"priority and status": [["Ticket", "priority", "=", "HIGH"], ["Ticket", "status", "in", ["OPEN", "NEW"]]],
}


@pytest.mark.parametrize("order_by", [NEWEST, OLDEST])
@pytest.mark.parametrize("which", list(FILTERS))
def test_pages_read_part_by_part_equal_the_plain_query(member, switch_tickets, order_by, which):
	filters = FILTERS[which]
	with settings(**SWITCH_ON):
		for start, page_length in ((0, 20), (0, 3), (3, 3), (7, 5), (0, 500)):
			got = listed(member, filters=filters, order_by=order_by, start=start, page_length=page_length)
			expected = plain(filters, order_by, start, page_length)
			same_rows(got, expected)
		assert expected, "the set holds visible rows for every filter"


@pytest.mark.parametrize("order_by", ["`tabTicket`.`modified` desc", "`tabTicket`.`priority` desc",
	"`tabTicket`.`status` asc", "`tabTicket`.`title` asc", "`tabTicket`.`creation` desc, `tabTicket`.`title` asc"])
def test_other_sorts_stay_the_plain_query(member, switch_tickets, order_by):
	with settings(**SWITCH_ON):
		for start, page_length in ((0, 20), (4, 6)):
			got = listed(member, filters=[], order_by=order_by, start=start, page_length=page_length)
			same_rows(got, plain([], order_by, start, page_length))
			assert len(got) == page_length


def test_a_child_table_filter_stays_the_plain_query(member, switch_tickets):
	filters = [["Ticket Chat", "chat", "=", switch_tickets["chat"]]]
	with settings(**SWITCH_ON):
		got = listed(member, filters=filters, order_by=NEWEST, page_length=20)
		same_rows(got, plain(filters, NEWEST, 0, 20))
	assert got


def test_what_a_member_sees_and_counts_is_the_rule(member, switch_tickets):
	"""The rule in Python over every ticket of the set, against the list, get_list and the count."""
	teams = set(frappe.get_all("Ticket Team Member", filters={"user": MEMBER, "parenttype": "Ticket Team"}, pluck="parent"))
	rows = frappe.get_all("Ticket", filters={"name": ["in", switch_tickets["names"]]}, fields=["name", "assigned_to", "team"])
	visible = {r.name for r in rows if r.assigned_to == MEMBER or (not r.assigned_to and r.team in teams)}
	assert 0 < len(visible) < len(rows)
	assert any(r.assigned_to == "" and r.name in visible for r in rows)  # '' counts as unassigned
	title = [["Ticket", "title", "like", f"Switch {switch_tickets['tag']}%"]]
	with settings(**SWITCH_ON):
		listed_names = {r["name"] for r in listed(member, filters=title, order_by=NEWEST, page_length=100)}
		response = member.call("frappe.client.get_list", doctype="Ticket", filters=title, fields=["name"], limit_page_length=100)
		by_get_list = {r["name"] for r in response.json()["message"]}
		count = member.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=title).json()["message"]
		everything = member.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=[]).json()["message"]
		plain_everything = len(frappe.get_list("Ticket", user=MEMBER, limit_page_length=0, pluck="name"))
	assert listed_names == by_get_list == visible
	assert count == len(visible)
	assert everything == plain_everything


def test_the_list_indexes_are_created_on_migrate_for_a_site_that_lacks_them():
	from tg_tickets.install import after_migrate
	from tg_tickets.tickets.indexes import TICKET_INDEXES

	make_ticket("Index " + uuid.uuid4().hex[:8])
	frappe.db.commit()
	tickets = frappe.db.count("Ticket")
	for index in ("assignee_creation_idx", "team_assignee_creation_idx"):
		frappe.db.sql_ddl(f"alter table `tabTicket` drop index `{index}`")
	after_migrate()
	frappe.db.commit()
	present = {row[2]: [] for row in frappe.db.sql("show index from `tabTicket`")}
	for row in frappe.db.sql("show index from `tabTicket`"):
		present[row[2]].append(row[4])
	assert {name: present.get(name) for name in TICKET_INDEXES} == TICKET_INDEXES
	assert frappe.db.count("Ticket") == tickets
