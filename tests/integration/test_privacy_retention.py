"""Retention policies and erasure requests on the real site (tg_tickets/privacy/, tickets/purge.py): the dry
run counts what the run then removes, nothing outside the filter is touched, nothing of a deleted ticket is
left in any table or on disk, anonymised tickets keep their figures, an erasure reaches across tickets."""

import os
import secrets
import uuid
from datetime import timedelta

import frappe
import pytest
from frappe.core.doctype.access_log.access_log import _make_access_log

from tests.factories import make_admin, make_chat, make_ticket, set_settings
from tg_tickets.privacy import audit, erasure, retention
from tg_tickets.tickets import purge

# Frappe's own logs may name a ticket without holding its data (a failed job's traceback).
NOT_DATA = {"tabError Log", "tabScheduled Job Log", "tabRetention Run", "tabRQ Job"}


def full_ticket(title, chat, *, category=None, closed_days_ago=40, agent=None):
	"""A ticket with one of everything: messages, comment, file on disk, views, print, edits (Version rows),
	status log, rating, escalation log, search rows; closed `closed_days_ago` days ago."""
	doc = make_ticket(title, chats=[chat], category=category, description=f"Call {title} at +7 900 123 45 67")
	doc.add_comment("Comment", f"{title} said their phone is +7 900 123 45 67")
	file = frappe.get_doc(
		{
			"doctype": "File", "file_name": f"{doc.name}-{uuid.uuid4().hex[:6]}.txt", "is_private": 1,
			"content": f"passport of {title} {uuid.uuid4().hex}".encode(), "attached_to_doctype": "Ticket", "attached_to_name": doc.name,
		}
	).insert(ignore_permissions=True)
	for direction, sender in (("Incoming", chat), ("Outgoing", None)):
		frappe.get_doc(
			{
				"doctype": "Telegram Message", "ticket": doc.name, "direction": direction, "chat": chat, "chat_id": chat,
				"sender_id": sender, "sender_name": title if sender else None, "text": f"hello from {title}",
				"message_key": f"test:{uuid.uuid4().hex}", "message_id": secrets.randbelow(10**6),
			}
		).insert(ignore_permissions=True)
	audit.record_view(doc.name, "Form", agent or "Administrator")
	_make_access_log(doctype="Ticket", document=doc.name, method="Print", file_type="PDF")
	# Frappe writes no Version rows under tests unless asked (save's ignore_version defaults to in_test)
	doc = frappe.get_doc("Ticket", doc.name)
	doc.priority = "HIGH"
	doc.save(ignore_version=False)
	doc = frappe.get_doc("Ticket", doc.name)
	doc.status = "CLOSED"
	doc.save(ignore_version=False)
	frappe.get_doc(
		{"doctype": "Ticket Rating", "name": f"{doc.name}-0", "ticket": doc.name, "cycle": 0, "rating": 4, "chat": chat,
		 "comment": f"{title} liked it"}
	).db_insert()
	frappe.get_doc(
		{"doctype": "Escalation Log", "ticket": doc.name, "cycle": 0, "trigger": "Test", "fired_at": frappe.utils.now_datetime()}
	).insert(ignore_permissions=True)
	closed_at = frappe.utils.now_datetime() - timedelta(days=closed_days_ago)
	frappe.db.sql("update `tabTicket` set closed_at = %s where name = %s", (closed_at, doc.name))
	return frappe._dict(name=doc.name, file=file.name, path=purge.file_path(file.file_url), chat=chat)


def traces_of(name: str) -> list[str]:
	"""Every table (and column) of the database still holding the ticket's name: equal in short text columns,
	contained in long ones."""
	columns = frappe.db.sql(
		"""select table_name, column_name, data_type from information_schema.columns
		where table_schema = database() and data_type in ('varchar', 'char', 'text', 'mediumtext', 'longtext')""",
		as_dict=True,
	)
	by_table = {}
	for column in columns:
		if column.table_name not in NOT_DATA:
			by_table.setdefault(column.table_name, []).append(column)
	found = []
	for table, cols in by_table.items():
		condition = " or ".join(
			f"`{c.column_name}` = %(name)s" if c.data_type in ("varchar", "char") else f"`{c.column_name}` like %(like)s"
			for c in cols
		)
		if frappe.db.sql(f"select 1 from `{table}` where {condition} limit 1", {"name": name, "like": f"%{name}%"}):
			found.append(table)
	return sorted(found)


def rows_of(name: str) -> dict:
	return {
		"messages": frappe.db.count("Telegram Message", {"ticket": name}),
		"comments": frappe.db.count("Comment", {"reference_doctype": "Ticket", "reference_name": name, "comment_type": "Comment"}),
		"files": frappe.db.count("File", {"attached_to_doctype": "Ticket", "attached_to_name": name}),
		"versions": frappe.db.count("Version", {"ref_doctype": "Ticket", "docname": name}),
		"views": frappe.db.count("Ticket View", {"ticket": name}),
		"status log": frappe.db.count("Ticket Status Log", {"ticket": name}),
		"ratings": frappe.db.count("Ticket Rating", {"ticket": name}),
	}


@pytest.fixture(scope="module")
def scenario():
	set_settings(enabled=1)
	category = f"Retention {uuid.uuid4().hex[:6]}"
	frappe.get_doc({"doctype": "Ticket Category", "category_name": category, "enabled": 1}).insert(ignore_permissions=True)
	other_category = f"Kept {uuid.uuid4().hex[:6]}"
	frappe.get_doc({"doctype": "Ticket Category", "category_name": other_category, "enabled": 1}).insert(ignore_permissions=True)
	customer = make_chat("Ivan Petrov", username="ivan_petrov")
	other_customer = make_chat("Maria Ivanova", username="maria_i")
	agent = make_admin()
	matched = [full_ticket(f"Old {i}", customer, category=category, agent=agent) for i in range(3)]
	kept = {
		"other category": full_ticket("Other category", other_customer, category=other_category),
		"recently closed": full_ticket("Recent", other_customer, category=category, closed_days_ago=5),
	}
	open_ticket = make_ticket("Still open", chats=[other_customer], category=category)
	frappe.db.sql("update `tabTicket` set closed_at = %s where name = %s", (frappe.utils.now_datetime() - timedelta(days=90), open_ticket.name))
	kept["open"] = frappe._dict(name=open_ticket.name, path=None)
	frappe.db.commit()
	return frappe._dict(category=category, customer=customer, matched=matched, kept=kept, agent=agent)


def make_policy(action, category, days=30, batch_size=2):
	doc = frappe.get_doc(
		{"doctype": "Retention Policy", "policy_name": f"Test {action} {uuid.uuid4().hex[:6]}", "action": action,
		 "closed_for_days": days, "statuses": "CLOSED", "category": category, "batch_size": batch_size}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return doc


def test_a_dry_run_counts_what_the_run_then_deletes_and_nothing_else_is_touched(scenario):
	before_kept = {k: rows_of(t.name) for k, t in scenario.kept.items()}
	assert all(os.path.exists(t.path) for t in scenario.matched)
	policy = make_policy("Delete", scenario.category)

	assert retention.dry_run(policy.name) == 3
	assert frappe.db.get_value("Ticket", scenario.matched[0].name, "title") == "Old 0"  # a dry run changes nothing
	run = frappe.get_doc("Retention Run", retention.run_policy(policy.name, run_by="Administrator"))

	assert (run.status, run.tickets_processed, run.action, run.configured_by) == ("Done", 3, "Delete", "Administrator")
	dry = frappe.get_all("Retention Run", filters={"policy": policy.name, "dry_run": 1}, pluck="tickets_matched")
	assert dry == [run.tickets_processed]
	details = frappe.parse_json(run.details)
	assert details["Ticket"] == 3 and details["Telegram Message"] == 6 and details["files on disk"] == 3
	kept_traces = traces_of(scenario.kept["other category"].name)
	assert {"tabTicket", "tabTelegram Message", "tabFile", "tabVersion", "tabComment", "tabTicket View"} <= set(kept_traces)
	for ticket in scenario.matched:
		assert traces_of(ticket.name) == []
		assert not os.path.exists(ticket.path)
	assert {k: rows_of(t.name) for k, t in scenario.kept.items()} == before_kept
	assert all(os.path.exists(t.path) for t in scenario.kept.values() if t.path)
	assert frappe.db.get_value("Linked Chat", scenario.customer, "ticket_count") == 0
	# the run's record outlives the data and is itself immutable
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc("Retention Run", run.name, ignore_permissions=True)
	assert retention.dry_run(policy.name) == 0


def test_anonymising_removes_the_customer_but_keeps_the_figures():
	customer = make_chat("Olga Sidorova", username="olga_s")
	category = f"Anon {uuid.uuid4().hex[:6]}"
	frappe.get_doc({"doctype": "Ticket Category", "category_name": category, "enabled": 1}).insert(ignore_permissions=True)
	ticket = full_ticket("Olga Sidorova", customer, category=category)
	frappe.db.commit()
	policy = make_policy("Anonymise", category)

	assert retention.dry_run(policy.name) == 1
	retention.run_policy(policy.name)

	doc = frappe.get_doc("Ticket", ticket.name)
	assert doc.title == purge.ANONYMISED and not doc.description and doc.anonymised_at
	assert (doc.status, doc.priority) == ("CLOSED", "HIGH")
	texts = frappe.get_all("Telegram Message", filters={"ticket": ticket.name}, pluck="text")
	assert texts == [purge.ANONYMISED] * 2
	assert not frappe.db.get_all("Telegram Message", filters={"ticket": ticket.name, "sender_name": ("is", "set")})
	assert rows_of(ticket.name)["files"] == 0 and not os.path.exists(ticket.path)
	assert rows_of(ticket.name)["status log"] >= 2 and rows_of(ticket.name)["ratings"] == 1  # figures stay
	assert frappe.db.get_value("Ticket Rating", f"{ticket.name}-0", ["rating", "comment"]) == (4, None)
	chat = frappe.db.get_value("Linked Chat", customer, ["title", "username"])
	assert chat == (purge.ANONYMISED, None)
	comments = frappe.get_all("Comment", filters={"reference_name": ticket.name, "comment_type": "Comment"}, pluck="content")
	assert comments == [purge.ANONYMISED]
	searchable = frappe.db.sql("select body from tg_ticket_search_text where ticket = %s", (ticket.name,))
	assert searchable == ((purge.ANONYMISED,),)
	assert frappe.db.sql_list("select word from tg_ticket_search_word where ticket = %s", (ticket.name,)) == ["anonymised"]
	# anonymised tickets are not selected again
	assert retention.dry_run(policy.name) == 0


def test_an_erasure_request_forgets_the_customer_across_tickets():
	user_id = str(secrets.randbelow(10**9) + 10**9)
	group = make_chat("Support group", chat_type="Supergroup")
	customer = make_chat("Pavel Smirnov", chat_id=user_id, username="pavel_s")
	own = full_ticket("Pavel Smirnov", customer, closed_days_ago=1)
	group_ticket = make_ticket("Group question", chats=[group])
	for sender, text in ((user_id, "Pavel here, my card is 4276"), ("777", "someone else")):
		frappe.get_doc(
			{"doctype": "Telegram Message", "ticket": group_ticket.name, "direction": "Incoming", "chat": group,
			 "chat_id": group, "sender_id": sender, "sender_name": "Pavel" if sender == user_id else "Other",
			 "text": text, "message_key": f"test:{uuid.uuid4().hex}", "message_id": 10 if sender == user_id else 11}
		).insert(ignore_permissions=True)
	frappe.get_doc({"doctype": "Telegram Update", "update_key": f"u:{uuid.uuid4().hex}", "chat_id": group, "message_id": "10",
		"status": "Processed", "payload": "Pavel here"}).insert(ignore_permissions=True)
	frappe.get_doc({"doctype": "Telegram Update", "update_key": f"u:{uuid.uuid4().hex}", "chat_id": user_id, "message_id": "1",
		"status": "Processed", "payload": "raw"}).insert(ignore_permissions=True)
	frappe.get_doc({"doctype": "Telegram Session Entity", "bot_id": "1", "entity_id": user_id, "username": "pavel_s",
		"phone": "79001234567", "display_name": "Pavel Smirnov"}).insert(ignore_permissions=True)
	frappe.get_doc({"doctype": "Telegram Intake Session", "chat": customer, "state": "{}"}).insert(ignore_permissions=True)
	request = frappe.get_doc({"doctype": "Erasure Request", "telegram_user_id": user_id, "action": "Delete"}).insert(
		ignore_permissions=True
	)
	frappe.db.commit()

	run = erasure.erase(request.name)

	assert frappe.db.get_value("Erasure Request", request.name, ["status", "retention_run"]) == ("Done", run)
	assert traces_of(own.name) == [] and not os.path.exists(own.path)
	assert traces_of(user_id) == ["tabErasure Request"]  # only the request itself names the user
	group_texts = dict(frappe.db.get_all("Telegram Message", filters={"ticket": group_ticket.name}, fields=["message_id", "text"], as_list=True))
	assert group_texts == {10: purge.ANONYMISED, 11: "someone else"}
	assert frappe.db.count("Telegram Update", {"chat_id": group, "message_id": "10"}) == 0
	with pytest.raises(frappe.ValidationError):
		erasure.erase(request.name)


def test_a_policy_that_cannot_run_is_refused_with_the_reason():
	for values, reason in (
		({"closed_for_days": 0}, "whole number of days"),
		({"statuses": "NEW"}, "Only tickets that are over"),
		({"batch_size": 100000}, "batch size"),
	):
		doc = frappe.get_doc({"doctype": "Retention Policy", "policy_name": f"Bad {uuid.uuid4().hex[:6]}", "action": "Delete",
			"closed_for_days": 30, "statuses": "CLOSED", **values})
		with pytest.raises(frappe.ValidationError, match=reason):
			doc.insert(ignore_permissions=True)
