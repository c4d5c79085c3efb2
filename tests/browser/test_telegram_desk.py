"""The Telegram conversation in the desk, in a real browser against the live test site: the side sheet's
Telegram tab (messages, edits, deletions, delivery states), replies to the customer (Queued → Sent through the
record transport and the site's worker; refused by the server → rolled back with its message), moving a
message to another ticket, inbound messages arriving without a reload, and the broadcast follow-up on the
Telegram Message list."""

import threading
import uuid

import frappe
import pytest
from playwright.sync_api import expect

from tests import telegram_fakes as tg
from tests.browser.conftest import open_table, screenshot
from tests.factories import make_chat, make_ticket, telegram_messages
from tests.integration import test_telegram_sync
from tests.waiting import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _record_transport(tickets_on):
	from tests.factories import set_settings

	set_settings(transport="record", topic_group_chat=None)
	frappe.db.commit()


@pytest.fixture
def tag():
	return "tg" + uuid.uuid4().hex[:10]


def in_own_thread(function, *args):
	"""Runs the Telegram tests' asyncio helpers in a thread of their own (Playwright's event loop occupies
	this one), with its own connection to the site, like another process: Frappe's per-context state
	(e.g. the realtime events waiting for a commit) must not cross between the two. This test waits for it
	and sees what it committed."""
	outcome = {}
	site, sites_path = frappe.local.site, frappe.local.sites_path

	def run():
		frappe.init(site=site, sites_path=sites_path)
		frappe.connect()
		frappe.flags.in_test = True
		frappe.set_user("Administrator")
		try:
			outcome["result"] = function(*args)
		except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
			outcome["error"] = error
		finally:
			frappe.db.rollback()
			frappe.destroy()

	thread = threading.Thread(target=run)  # a new thread starts with a fresh context
	thread.start()
	thread.join()
	frappe.db.rollback()
	if "error" in outcome:
		raise outcome["error"]
	return outcome["result"]


def receive(*updates):
	"""The real inbound path: Telethon dispatch → listener → inbox → inbound job."""
	return in_own_thread(test_telegram_sync.receive, *updates)


def customer_ticket(tag, title, first_name="Nora"):
	"""A customer's private chat and an open ticket linked to it (committed)."""
	uid = tg.user_id()
	chat = make_chat(f"{first_name} {tag}", chat_id=uid)
	ticket = make_ticket(f"{tag} {title}", chats=[chat])
	frappe.db.commit()
	return uid, chat, ticket


def open_conversation(page, tag, ticket, rows=1):
	open_table(page)
	page.fill(".tg-search input", tag)
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(rows)
	page.locator(f'.tg-ticket-table .list-row[data-name="{ticket.name}"] .tg-cell-title .tg-title').click()
	sheet = page.locator(f".tg-sheet.open[data-name='{ticket.name}']")
	sheet.locator("[data-tab='telegram']").click()
	expect(sheet.locator(".tg-reply")).to_be_visible()
	# realtime reaches the page once its socket is connected (an agent's desk has long been by then)
	page.wait_for_function("() => frappe.realtime.socket && frappe.realtime.socket.connected")
	return sheet


def conversation_with_message(page, tag, title, text):
	"""A customer's ticket with one message from them, its conversation open in the side sheet."""
	uid, chat, ticket = customer_ticket(tag, title)
	receive(tg.private_message(uid, text))
	sheet = open_conversation(page, tag, ticket)
	expect(bubble(sheet, text)).to_be_visible()
	return uid, ticket, sheet


def bubble(sheet, text):
	return sheet.locator(".tg-conversation .tg-tmsg", has_text=text)


def fresh_messages(**filters):
	frappe.db.rollback()
	return telegram_messages(**filters)


def test_agent_sees_the_conversation_and_a_reply_shows_queued_then_sent(member_page, users, tag):
	from telethon.tl import types

	uid, chat, ticket = customer_ticket(tag, "order late")
	first, second = tg.next_id(), tg.next_id()
	receive(tg.private_message(uid, "My ordr is late", message_id=first), tg.private_message(uid, "wrong chat, sorry", message_id=second))
	receive(tg.edit(uid, first, "My order is late"), types.UpdateDeleteMessages(messages=[second], pts=3, pts_count=1))
	sheet = open_conversation(member_page, tag, ticket)

	incoming = bubble(sheet, "My order is late")
	expect(incoming).to_have_attribute("data-direction", "Incoming")
	expect(incoming.locator(".tg-tmsg-sender")).to_have_text("Jane Cooper")  # the sender's Telegram name
	incoming.locator(".tg-tmsg-edits summary").click()
	expect(incoming.locator(".tg-tmsg-previous")).to_contain_text("My ordr is late")
	expect(bubble(sheet, "wrong chat, sorry").locator(".tg-tmsg-deleted-note")).to_contain_text("Deleted in Telegram")
	# replying to the customer and writing an internal note are different things, and look it
	expect(sheet.locator(".tg-reply-label")).to_contain_text("Reply to customer on Telegram")
	expect(sheet.locator(".tg-reply-send")).to_have_text("Send to customer on Telegram")
	expect(sheet.locator("[data-tab='comments']")).to_contain_text("Internal comments")

	# every status the reply's bubble shows, in order, as the page renders them
	member_page.evaluate(
		"""(mark) => {
			window.tg_seen = [];
			const box = document.querySelector('.tg-sheet.open .tg-conversation');
			const look = () => box.querySelectorAll('.tg-tmsg-out').forEach((el) => {
				const status = el.querySelector('[data-status]');
				if (!el.textContent.includes(mark) || !status) return;
				if (window.tg_seen[window.tg_seen.length - 1] !== status.dataset.status) window.tg_seen.push(status.dataset.status);
			});
			new MutationObserver(look).observe(box, { childList: true, subtree: true, attributes: true });
		}""",
		f"{tag} on its way",
	)
	sheet.locator(".tg-reply-input").fill(f"Your parcel {tag} on its way today")
	sheet.locator(".tg-reply-send").click()
	reply = bubble(sheet, f"{tag} on its way")
	expect(reply.locator(".tg-tmsg-status")).to_have_attribute("data-status", "Sent")
	expect(sheet.locator(".tg-reply-input")).to_have_value("")
	seen = member_page.evaluate("() => window.tg_seen")
	assert seen[-2:] == ["Queued", "Sent"] and "Failed" not in seen, seen
	screenshot(member_page, "telegram_conversation")
	[row] = fresh_messages(ticket=ticket.name, direction="Outgoing")
	assert (row.status, row.agent, row.chat, row.text) == ("Sent", users["member"], chat, f"Your parcel {tag} on its way today")
	assert frappe.db.exists("Telegram Recorded Request", {"telegram_message": row.name})
	assert member_page.errors == []


def test_a_reply_telegram_refuses_shows_failed_with_the_reason_without_a_reload(member_page, tag):
	from tg_tickets import api
	from tg_tickets.telegram import gateway

	uid, ticket, sheet = conversation_with_message(member_page, tag, "blocked bot", "Thanks, bye")

	def reply_to_a_customer_who_blocked_the_bot():
		api.send_reply(ticket.name, f"{tag} anything else?")
		# Delivery takes the chat's lock before it commits: the site's worker cannot deliver the reply
		# through the record transport meanwhile.
		blocked = gateway.TelegramTransport(tg.offline_client(tg.FakeSender(fail={uid: "USER_IS_BLOCKED"})))
		test_telegram_sync.deliver(str(uid), blocked)

	in_own_thread(reply_to_a_customer_who_blocked_the_bot)
	reply = bubble(sheet, f"{tag} anything else?")
	expect(reply.locator(".tg-tmsg-status")).to_have_attribute("data-status", "Failed")
	expect(reply.locator(".tg-tmsg-failure")).to_contain_text("UserIsBlockedError")
	screenshot(member_page, "telegram_reply_failed")


def test_a_reply_the_server_refuses_rolls_back_with_its_message(member_page, tag):
	_, ticket, sheet = conversation_with_message(member_page, tag, "closed meanwhile", "Hello?")

	# Meanwhile the ticket is closed elsewhere, without any event reaching this browser.
	frappe.db.set_value("Ticket", ticket.name, {"status": "CLOSED"}, update_modified=False)
	frappe.db.commit()

	sheet.locator(".tg-reply-input").fill("Sorry for the wait")
	sheet.locator(".tg-reply-send").click()
	expect(sheet.locator(".tg-sheet-error")).to_contain_text("is closed. Reopen it before replying")
	expect(member_page.locator(".modal.show .msgprint")).to_contain_text("is closed")
	member_page.locator(".modal.show .btn-modal-close").click()
	expect(bubble(sheet, "Sorry for the wait")).to_have_count(0)
	expect(sheet.locator(".tg-reply-input")).to_have_value("Sorry for the wait")
	# the reload after the refusal shows the ticket as it is: closed, no reply possible
	expect(sheet.locator(".tg-reply-blocked")).to_contain_text("closed")
	expect(sheet.locator(".tg-reply-send")).to_be_disabled()
	screenshot(member_page, "telegram_reply_refused")
	assert fresh_messages(ticket=ticket.name, direction="Outgoing") == []


def test_moving_a_message_to_another_ticket_and_a_flagged_one_to_this_ticket(member_page, tag):
	uid, chat, right = customer_ticket(tag, "invoice")
	wrong = make_ticket(f"{tag} printer", chats=[chat])
	frappe.db.commit()
	# the private chat's newest open ticket gets the message: here the wrong one
	receive(tg.private_message(uid, "Invoice INV-000042 is wrong"))
	[message] = fresh_messages(chat=chat, direction="Incoming")
	assert message.ticket == wrong.name
	sheet = open_conversation(member_page, tag, wrong, rows=2)
	bubble(sheet, "INV-000042").locator("[data-action='move']").click()
	dialog = member_page.locator(".modal.show.tg-move-dialog")
	dialog.locator("input[data-fieldname='ticket']").fill(right.name)
	dialog.locator(".awesomplete [role='option']", has_text=right.name).first.click()
	dialog.locator(".btn-modal-primary").click()
	expect(bubble(sheet, "INV-000042")).to_have_count(0)
	frappe.db.rollback()
	moved = frappe.get_doc("Telegram Message", message.name)
	assert (moved.ticket, moved.moved_from_ticket, moved.text) == (right.name, wrong.name, "Invoice INV-000042 is wrong")

	# the other ticket shows it, with where it came from
	member_page.locator(f'.tg-ticket-table .list-row[data-name="{right.name}"] .tg-cell-title .tg-title').click()
	sheet = member_page.locator(f".tg-sheet.open[data-name='{right.name}']")
	expect(bubble(sheet, "INV-000042").locator(".tg-tmsg-moved")).to_contain_text(f"#{wrong.name}")

	# the same customer posted in the agents' group outside any ticket: flagged, offered here
	from tests.factories import settings
	from tests.integration.test_telegram_sync import topic_group

	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		receive(tg.topic_message(channel, None, uid, f"Also the {tag} delivery address"))
	flagged = sheet.locator(".tg-flagged-list .tg-tmsg-flagged", has_text=f"{tag} delivery address")
	expect(flagged.locator(".tg-flag-pill")).to_have_text("Flagged")
	screenshot(member_page, "telegram_flagged_message")
	flagged.locator("[data-action='move-here']").click()
	expect(sheet.locator(".tg-flagged-list .tg-tmsg")).to_have_count(0)
	expect(bubble(sheet, f"{tag} delivery address")).to_be_visible()
	[posted] = fresh_messages(chat=group, direction="Incoming")
	assert (posted.ticket, posted.flagged) == (right.name, 0)
	assert member_page.errors == []


def test_an_incoming_message_appears_in_the_open_sheet_without_a_reload(member_page, tag):
	uid, _, sheet = conversation_with_message(member_page, tag, "live", "first message")
	member_page.evaluate("() => { window.tg_no_reload = true; }")

	# through the real inbound path: the listener stores the update, the inbound job processes it
	receive(tg.private_message(uid, f"{tag} are you there?"))
	expect(bubble(sheet, f"{tag} are you there?")).to_be_visible()
	assert member_page.evaluate("() => window.tg_no_reload") is True
	texts = sheet.locator(".tg-conversation .tg-tmsg .tg-tmsg-text").all_inner_texts()
	assert texts == ["first message", f"{tag} are you there?"]
	screenshot(member_page, "telegram_live_incoming")


def test_broadcast_follow_up_opens_tickets_one_by_one_each_linked_to_its_chat(member_page, tag):
	from frappe.desk.doctype.tag.tag import add_tag

	chats = [make_chat(f"Segment {i} {tag}", chat_id=tg.user_id()) for i in range(2)]
	outside = make_chat(f"Outside {tag}", chat_id=tg.user_id())
	for chat in chats:
		add_tag(tag, "Linked Chat", chat)
	frappe.db.commit()
	# customers answer a broadcast: each message goes to the bot's intake (no open ticket yet)
	receive(*(tg.private_message(int(c), f"{tag} reply from {c}") for c in chats + [outside]))

	page = member_page
	page.goto("/app/telegram-message")
	page.get_by_role("button", name="Broadcast follow-up").click()
	dialog = page.locator(".modal.show", has_text="Recent incoming messages from a segment")
	dialog.locator("input[data-fieldname='tag']").fill(tag)
	dialog.locator("input[data-fieldname='days']").fill("1")
	dialog.locator(".btn-modal-primary").click()
	rows = page.locator(".frappe-list .list-row-container .list-row", has_text=tag)
	expect(rows).to_have_count(2)
	expect(page.locator(".frappe-list .list-row", has_text=f"reply from {outside}")).to_have_count(0)
	screenshot(page, "telegram_broadcast_follow_up")
	for i in range(2):
		rows.nth(i).locator(".list-row-checkbox").check()
	page.locator(".actions-btn-group > button").click()
	page.locator(".actions-btn-group .dropdown-menu a", has_text="Open tickets one by one").click()

	created = []
	for _ in range(2):
		# the next form opens as the previous one closes: take the one for a chat not done yet
		pending = ",".join(f"[data-chat='{c}']" for c in created)
		chip = page.locator(f".modal.show.tg-new-ticket .tg-chat-chip{':not(' + pending + ')' if pending else ''}")
		expect(chip).to_have_count(1)
		chat = chip.get_attribute("data-chat")
		assert chat in chats
		form = page.locator(".modal.show.tg-new-ticket", has=page.locator(f".tg-chat-chip[data-chat='{chat}']"))
		expect(form.locator("textarea[data-fieldname='description']")).to_have_value(f"{tag} reply from {chat}")
		form.locator("input[data-fieldname='title']").fill(f"{tag} follow-up {chat}")
		form.locator(".btn-modal-primary").click()
		created.append(chat)
	expect(page.locator(".modal.show.tg-new-ticket")).to_have_count(0)
	assert sorted(created) == sorted(chats)
	frappe.db.rollback()
	for chat in chats:
		name = frappe.db.get_value("Ticket", {"title": f"{tag} follow-up {chat}"})
		assert name and [r.chat for r in frappe.get_doc("Ticket", name).chats] == [chat]
	assert page.errors == []


def test_an_admin_finds_a_failed_inbox_update_and_retries_it(browser, live_site, users, tag, monkeypatch):
	from tests.browser.conftest import login
	from tg_tickets.telegram import routes

	uid, chat, ticket = customer_ticket(tag, "inbox retry")
	real_handle = routes.handle

	def broken(record, context=None):
		raise RuntimeError("a bug, fixed by the next deploy")

	monkeypatch.setattr(routes, "handle", broken)
	receive(tg.private_message(uid, f"{tag} lost for a while"))
	monkeypatch.setattr(routes, "handle", real_handle)
	frappe.db.rollback()
	name = frappe.db.get_value("Telegram Update", {"chat_id": str(uid)})
	assert frappe.db.get_value("Telegram Update", name, "status") == "Failed"

	page = login(browser, live_site, users["admin"])
	page.goto(f"/app/telegram-update?chat_id={uid}")
	page.get_by_role("button", name="Failed").click()
	row = page.locator(".frappe-list .list-row-container .list-row", has=page.locator(f".list-row-checkbox[data-name='{name}']"))
	expect(row.locator(".indicator-pill").first).to_contain_text("Failed")
	screenshot(page, "telegram_inbox_failed")
	row.locator(".list-row-checkbox").check()
	page.locator(".actions-btn-group > button").click()
	page.locator(".actions-btn-group .dropdown-menu a", has_text="Retry").click()
	expect(page.locator(".desk-alert", has_text="1 update(s) queued again")).to_be_visible()
	wait_until(lambda: frappe.db.get_value("Telegram Update", name, "status") == "Processed",
		message="the re-queued update was never processed")
	assert [m.text for m in fresh_messages(chat=chat, direction="Incoming")] == [f"{tag} lost for a while"]
	assert page.errors == []
	page.context.close()


def test_a_reply_carries_a_file_of_the_ticket(member_page, tag):
	import json

	uid, chat, ticket = customer_ticket(tag, "with invoice")
	file = frappe.get_doc({
		"doctype": "File", "file_name": f"invoice-{tag}.txt", "attached_to_doctype": "Ticket",
		"attached_to_name": ticket.name, "content": b"INV-000042", "is_private": 1,
	}).insert(ignore_permissions=True)
	frappe.db.commit()
	sheet = open_conversation(member_page, tag, ticket)
	sheet.locator(f".tg-reply-file[value='{file.name}']").check()
	sheet.locator(".tg-reply-input").fill("Here is your invoice")
	sheet.locator(".tg-reply-send").click()
	reply = bubble(sheet, "Here is your invoice")
	expect(reply.locator(".tg-tmsg-status")).to_have_attribute("data-status", "Sent")
	expect(reply.locator(".tg-tmsg-file")).to_contain_text(f"invoice-{tag}.txt")
	[row] = fresh_messages(ticket=ticket.name, direction="Outgoing")
	assert json.loads(row.attachments) == [file.name] and row.text == "Here is your invoice"


def test_a_member_who_may_not_edit_tickets_reads_the_conversation_but_cannot_reply_or_move(member_page, tag):
	from tests.factories import settings

	with settings(members_can_edit_tickets=0):
		_, _, sheet = conversation_with_message(member_page, tag, "read only", "Is anyone there?")
		expect(sheet.locator(".tg-reply-blocked")).to_contain_text("cannot edit tickets")
		expect(sheet.locator(".tg-reply-send")).to_be_disabled()
		expect(sheet.locator(".tg-reply-input")).to_be_disabled()
		expect(sheet.locator("[data-action='move']")).to_have_count(0)
