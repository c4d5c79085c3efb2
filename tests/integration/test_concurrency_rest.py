"""Concurrent writers over REST: ticket IDs stay unique, comment counters stay exact."""

from concurrent.futures import ThreadPoolExecutor

import frappe
import pytest

from tests.factories import PASSWORD, make_member, make_ticket, settings
from tg_tickets.tickets import codes


@pytest.fixture(scope="module")
def member_clients(live_site):
	"""Eight sessions of one member: eight requests in flight at once, not the shared single session."""
	email = make_member()
	frappe.db.commit()
	return [live_site.session(email, PASSWORD) for _ in range(8)]


def test_eight_concurrent_creators_get_unique_ids(member_clients):
	def create_five(client):
		names = []
		for i in range(5):
			response = client.post(client.resource("Ticket"), json={"title": f"concurrent {i}"})
			assert response.ok, response.text
			names.append(response.json()["data"]["name"])
		return names

	with settings(enabled=1, members_can_create_tickets=1):
		with ThreadPoolExecutor(max_workers=8) as pool:
			names = [n for batch in pool.map(create_five, member_clients) for n in batch]
	assert len(names) == 40 and len(set(names)) == 40
	frappe.db.rollback()
	assert frappe.db.count("Ticket", {"name": ("in", names)}) == 40


def test_an_id_drawn_twice_at_once_is_redrawn_at_insert(monkeypatch):
	"""Simulates the race: the code was free when drawn but another creator inserted it first."""
	taken = make_ticket("first").name
	real_new_code = codes.new_code
	draws = iter([taken])
	monkeypatch.setattr(codes, "new_code", lambda exists, offset=0: next(draws, None) or real_new_code(exists, offset))
	second = make_ticket("second", chats=[])
	assert second.name != taken
	assert frappe.db.get_value("Ticket", taken, "title") == "first"
	assert frappe.db.get_value("Ticket", second.name, "title") == "second"


def test_concurrent_comments_keep_count_and_latest_preview_exact(member_clients):
	with settings(enabled=1):
		ticket = make_ticket("busy ticket")
		frappe.db.commit()

		def comment_five(args):
			index, client = args
			for i in range(5):
				response = client.call(
					"frappe.desk.form.utils.add_comment", reference_doctype="Ticket", reference_name=ticket.name,
					content=f"comment {index}-{i}", comment_email=client.cookies.get("user_id") or "x", comment_by="agent",
				)
				assert response.ok, response.text

		with ThreadPoolExecutor(max_workers=8) as pool:
			list(pool.map(comment_five, enumerate(member_clients)))
	frappe.db.rollback()
	count, preview = frappe.db.get_value("Ticket", ticket.name, ["comment_count", "last_comment"])
	latest = frappe.get_all("Comment", {"reference_name": ticket.name, "comment_type": "Comment"},
		pluck="content", order_by="creation desc, name desc", limit=1)[0]
	assert count == 40 == frappe.db.count("Comment", {"reference_name": ticket.name, "comment_type": "Comment"})
	assert preview == latest
