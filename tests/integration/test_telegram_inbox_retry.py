"""Inbox rows (Telegram Update) that fail: transient failures come back with backoff through the sweep, the
rest (and transient ones past the limit) end Failed, listed for admins, who re-queue them with Retry."""


import frappe
import pytest
from frappe.utils import add_to_date, now_datetime

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_ticket, telegram_messages
from tests.integration.test_telegram_sync import dispatch
from tests.waiting import wait_until
from tg_tickets.telegram import inbox, routes


pytestmark = pytest.mark.usefixtures("feature_on")


def inbox_row(chat):
	return frappe.get_all("Telegram Update", filters={"chat_id": str(chat)}, fields=["*"])[0]


def failing_for(chat, error, monkeypatch):
	"""The inbound handler fails for one chat's updates (as a deadlock would), and works for the rest."""
	real_handle = routes.handle

	def handle(record, context=None):
		if str(record.chat_id) == str(chat):
			raise error
		return real_handle(record, context)

	monkeypatch.setattr(routes, "handle", handle)
	return real_handle


def make_due(name):
	frappe.db.set_value("Telegram Update", name, "next_attempt_at", add_to_date(now_datetime(), seconds=-1))
	frappe.db.commit()


def test_a_transient_failure_is_retried_with_growing_backoff_then_failed(monkeypatch):
	uid, other = tg.user_id(), tg.user_id()
	for chat in (uid, other):
		make_ticket("Deadlocked", chats=[make_chat("Deadlock", chat_id=chat)])
	frappe.db.commit()
	failing_for(uid, frappe.QueryDeadlockError("Deadlock found when trying to get lock"), monkeypatch)
	dispatch(tg.private_message(uid, "stuck for now"), tg.private_message(other, "goes through"))

	delays = []
	for attempt in range(1, inbox.MAX_PROCESS_ATTEMPTS + 1):
		before = now_datetime()
		inbox.process_pending()
		row = inbox_row(uid)
		assert row.attempts == attempt and "QueryDeadlockError" in row.error
		if attempt < inbox.MAX_PROCESS_ATTEMPTS:
			assert row.status == "Pending" and row.next_attempt_at > before
			delays.append(round((row.next_attempt_at - before).total_seconds() / 30) * 30)
			inbox.process_pending()  # not due yet: left alone
			assert inbox_row(uid).attempts == attempt
			make_due(row.name)
	assert delays == [30, 60, 120, 240]
	assert (row.status, row.next_attempt_at) == ("Failed", None)
	# the other chat's update was never held up
	assert [m.text for m in telegram_messages(chat=str(other), direction="Incoming")] == ["goes through"]
	assert telegram_messages(chat=str(uid), direction="Incoming") == []


def test_a_failure_that_would_repeat_fails_at_once(monkeypatch):
	uid = tg.user_id()
	make_ticket("Broken", chats=[make_chat("Broken", chat_id=uid)])
	frappe.db.commit()
	failing_for(uid, KeyError("topic_id"), monkeypatch)
	dispatch(tg.private_message(uid, "bad luck"))
	inbox.process_pending()
	row = inbox_row(uid)
	assert (row.status, row.attempts, row.next_attempt_at) == ("Failed", 1, None) and "KeyError" in row.error


def test_admins_see_failed_updates_and_retry_them_members_cannot(monkeypatch, clients):
	uid = tg.user_id()
	chat = make_chat("Retry me", chat_id=uid)
	ticket = make_ticket("Retry me", chats=[chat])
	frappe.db.commit()
	real_handle = failing_for(uid, RuntimeError("a bug, fixed by the next deploy"), monkeypatch)
	dispatch(tg.private_message(uid, "please process me"))
	inbox.process_pending()
	row = inbox_row(uid)
	assert row.status == "Failed"
	monkeypatch.setattr(routes, "handle", real_handle)  # the cause is fixed

	failed_filter = {"filters": frappe.as_json([["status", "=", "Failed"], ["chat_id", "=", str(uid)]])}
	assert clients["member"].get(clients["member"].resource("Telegram Update"), params=failed_filter).status_code == 403
	listed = clients["admin"].get(clients["admin"].resource("Telegram Update"), params=failed_filter)
	assert listed.ok and [r["name"] for r in listed.json()["data"]] == [row.name]

	refused = clients["member"].call("tg_tickets.api.telegram.retry_failed_updates", names=[row.name])
	assert refused.status_code == 403
	frappe.db.rollback()
	assert frappe.db.get_value("Telegram Update", row.name, "status") == "Failed"

	response = clients["admin"].call("tg_tickets.api.telegram.retry_failed_updates", names=[row.name])
	assert response.ok, response.text
	assert response.json()["message"]["requeued"] == [row.name]
	wait_until(lambda: frappe.db.get_value("Telegram Update", row.name, "status") == "Processed",
		message="the worker never processed the re-queued update")
	[message] = telegram_messages(chat=chat, direction="Incoming")
	assert (message.text, message.ticket) == ("please process me", ticket.name)
	# a row that is not Failed is left as it is
	again = clients["admin"].call("tg_tickets.api.telegram.retry_failed_updates", names=[row.name])
	assert again.json()["message"]["requeued"] == []


def test_a_deadlock_that_drops_the_whole_transaction_leaves_the_batch_to_the_sweep(monkeypatch):
	uid, other = tg.user_id(), tg.user_id()
	for chat in (uid, other):
		make_ticket("Victim", chats=[make_chat("Victim", chat_id=chat)])
	frappe.db.commit()
	real_handle = routes.handle

	def deadlock_victim(record, context=None):
		if str(record.chat_id) == str(uid):
			frappe.db.rollback()  # what InnoDB does to a deadlock victim: the whole transaction, savepoints too
			raise frappe.QueryDeadlockError("Deadlock found when trying to get lock")
		return real_handle(record, context)

	monkeypatch.setattr(routes, "handle", deadlock_victim)
	dispatch(tg.private_message(other, "before"), tg.private_message(uid, "victim"), tg.private_message(other, "after"))
	inbox.process_pending()
	frappe.db.rollback()
	rows = frappe.get_all("Telegram Update", filters={"chat_id": ["in", [str(uid), str(other)]]}, fields=["status", "attempts"])
	assert {(r.status, r.attempts) for r in rows} == {("Pending", 0)}  # nothing half-kept
	assert telegram_messages(chat=str(other), direction="Incoming") == []

	monkeypatch.setattr(routes, "handle", real_handle)  # the next run (the sweep's) goes through
	inbox.process_pending()
	assert [m.text for m in telegram_messages(chat=str(other), direction="Incoming")] == ["before", "after"]
	assert [m.text for m in telegram_messages(chat=str(uid), direction="Incoming")] == ["victim"]
