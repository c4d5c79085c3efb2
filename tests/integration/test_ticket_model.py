"""Ticket behaviour through the ORM: IDs, defaults, closing, validation, counters, natural order."""

import re

import frappe
import pytest

from tests.factories import make_chat, make_member, make_ticket
from tg_tickets.tickets.lifecycle import ClosedTicketError


pytestmark = pytest.mark.usefixtures("feature_on")


def test_ticket_id_is_three_letters_and_digits_and_not_sequential():
	names = [make_ticket(f"t{i}").name for i in range(40)]
	assert all(re.fullmatch(r"[A-Z]{3}\d{3,}", n) for n in names), names
	assert len(set(names)) == 40
	digits = [int(n[3:]) for n in names]
	steps = {b - a for a, b in zip(digits, digits[1:])}
	assert steps != {1}, "IDs must not be sequential"


def test_new_ticket_defaults_to_open_and_medium():
	ticket = make_ticket()
	assert (ticket.status, ticket.priority) == ("OPEN", "MEDIUM")
	assert ticket.comment_count == 0 and ticket.file_count == 0


def test_closing_stamps_closed_at_and_closed_by():
	member = make_member()
	frappe.set_user(member)
	ticket = make_ticket()
	ticket.status = "CLOSED"
	ticket.save()
	assert ticket.closed_at and ticket.closed_by == member


def test_closed_ticket_rejects_field_edits_but_allows_reopen_and_keeps_stamps():
	ticket = make_ticket()
	ticket.status = "CLOSED"
	ticket.save()
	closed_at = ticket.closed_at

	ticket.reload()
	ticket.title = "Sneaky edit"
	with pytest.raises(ClosedTicketError):
		ticket.save()
	assert frappe.db.get_value("Ticket", ticket.name, "title") == "Printer on fire"

	ticket.reload()
	ticket.status = "OPEN"
	ticket.title = "Edit along with the reopen"
	with pytest.raises(ClosedTicketError):
		ticket.save()

	ticket.reload()
	ticket.status = "OPEN"
	ticket.save()
	ticket.reload()
	assert ticket.status == "OPEN" and ticket.closed_at == closed_at
	ticket.title = "Edited after reopening"
	ticket.save()


def test_closed_ticket_rejects_new_comments():
	ticket = make_ticket()
	ticket.status = "CLOSED"
	ticket.save()
	with pytest.raises(ClosedTicketError):
		ticket.add_comment("Comment", "too late")
	assert frappe.db.count("Comment", {"reference_name": ticket.name, "comment_type": "Comment"}) == 0


@pytest.mark.parametrize(
	"fields, message",
	[
		({"status": "DONE"}, "Status"),
		({"priority": "URGENT"}, "Priority"),
		({"title": ""}, "Title"),
		({"title": "ok", "assigned_to": "Guest"}, "not a Tickets member"),
		({"title": "ok", "chats": [{"chat": "-999"}]}, "Could not find"),
	],
)
def test_bad_input_is_rejected_with_a_clear_message_and_nothing_is_stored(fields, message):
	before = frappe.db.count("Ticket")
	doc = frappe.get_doc({"doctype": "Ticket", "title": "ok", **fields})
	with pytest.raises(frappe.ValidationError) as error:
		doc.insert()
	assert message in str(error.value) or message in str(frappe.local.message_log)
	assert frappe.db.count("Ticket") == before


def test_chat_ticket_count_follows_links_unlinks_and_deletes():
	a, b = make_chat("A"), make_chat("B")
	t1 = make_ticket(chats=[a, b])
	t2 = make_ticket(chats=[a])
	count = lambda chat: frappe.db.get_value("Linked Chat", chat, "ticket_count")
	assert (count(a), count(b)) == (2, 1)
	t1.set("chats", [{"chat": b}])
	t1.save()
	assert (count(a), count(b)) == (1, 1)
	frappe.delete_doc("Ticket", t2.name)
	assert count(a) == 0
	# from a chat its tickets are one query away
	assert frappe.get_all("Ticket Chat", {"chat": b, "parenttype": "Ticket"}, pluck="parent") == [t1.name]


def test_comment_count_and_preview_follow_add_edit_and_delete():
	ticket = make_ticket()
	first = ticket.add_comment("Comment", "<p>First note</p>")
	second = ticket.add_comment("Comment", "Second note")
	ticket.reload()
	assert (ticket.comment_count, ticket.last_comment) == (2, "Second note")
	second.content = "Second note, edited"
	second.save()
	assert frappe.db.get_value("Ticket", ticket.name, "last_comment") == "Second note, edited"
	frappe.delete_doc("Comment", second.name, ignore_permissions=True)
	assert frappe.db.get_value("Ticket", ticket.name, ["comment_count", "last_comment"]) == (1, "First note")
	frappe.delete_doc("Comment", first.name, ignore_permissions=True)
	assert frappe.db.get_value("Ticket", ticket.name, ["comment_count", "last_comment"]) == (0, None)


def test_staged_comments_are_posted_with_the_new_ticket():
	ticket = make_ticket(staged_comments=["Called the customer", {"content": "Waiting for logs"}])
	comments = frappe.get_all(
		"Comment", {"reference_name": ticket.name, "comment_type": "Comment"}, pluck="content", order_by="creation"
	)
	assert comments == ["Called the customer", "Waiting for logs"]
	assert frappe.db.get_value("Ticket", ticket.name, "comment_count") == 2


def test_a_failing_ticket_insert_posts_none_of_its_staged_comments():
	before = frappe.db.count("Comment", {"reference_doctype": "Ticket"})
	with pytest.raises(frappe.ValidationError):
		make_ticket(title="", staged_comments=["orphan"])
	assert frappe.db.count("Comment", {"reference_doctype": "Ticket"}) == before
