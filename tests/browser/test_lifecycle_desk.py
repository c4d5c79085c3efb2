"""Lifecycle in Chromium: Escalate from the ticket's side sheet refuses an empty reason in the dialog and,
with a reason, fires the agent-request rule (the ticket goes to the supervisor, the history says why); the
conversation shows each customer message's sentiment and the ticket's trend."""

import re
import uuid

import frappe
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, open_table, screenshot
from tests.factories import clear_escalation_rules, make_admin, make_chat, make_escalation_rule, make_ticket

pytestmark = pytest.mark.browser

SUPERVISOR = "supervisor.browser@tickets.test"


@pytest.fixture
def escalation_rule():
	clear_escalation_rules()
	make_admin(SUPERVISOR)
	make_escalation_rule("Browser help", "Agent request", assign_to=SUPERVISOR)
	frappe.db.commit()
	yield
	frappe.db.rollback()
	clear_escalation_rules()
	frappe.db.commit()


def test_escalate_from_the_side_sheet_with_a_reason(browser, live_site, users, escalation_rule):
	tag = uuid.uuid4().hex[:6]
	name = make_ticket(f"Escalate me {tag}").name
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	open_table(page, f"?name={name}")
	page.locator(f'.list-row[data-name="{name}"] .tg-cell-title .tg-title').click()
	sheet = page.locator(f".tg-sheet.open[data-name='{name}']")
	sheet.locator(".tg-sheet-escalate").click()
	dialog = page.locator(".modal.show", has_text=f"Escalate ticket #{name}")
	dialog.locator(".btn-primary").click()  # no reason: Frappe's dialog refuses a missing mandatory field
	missing = page.locator(".modal.show", has_text="Missing Values Required")  # Frappe's message naming the reason
	expect(missing).to_contain_text("Reason")
	missing.locator(".btn-modal-close").click()
	expect(missing).to_have_count(0)
	expect(dialog).to_be_visible()
	frappe.db.rollback()
	assert not frappe.db.exists("Escalation Log", {"ticket": name})
	dialog.locator("textarea[data-fieldname='reason']").fill("Customer threatens to cancel")
	dialog.locator(".btn-primary").click()
	expect(dialog).to_be_hidden()
	expect(page.locator(".alert-message")).to_contain_text("Escalated: Browser help")
	screenshot(page, "escalated_from_the_side_sheet")
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket", name, "assigned_to") == SUPERVISOR
	assert frappe.db.get_value("Escalation Log", {"ticket": name}, "reason") == "Customer threatens to cancel"
	page.context.close()


def test_the_conversation_shows_sentiment_and_its_trend(browser, live_site, users):
	tag = uuid.uuid4().hex[:6]
	chat = make_chat(f"Mood {tag}")
	ticket = make_ticket(f"Mood {tag}", chats=[chat])
	for i, (text, score) in enumerate([("Thanks, great!", 0.8), ("This is terrible", -0.6)]):
		frappe.get_doc({"doctype": "Telegram Message", "direction": "Incoming", "message_kind": "Message",
			"ticket": ticket.name, "chat": chat, "chat_id": chat, "text": text, "sentiment": score, "sentiment_scored": 1,
			"message_key": f"mood:{tag}:{i}", "telegram_date": frappe.utils.now_datetime()}).insert(ignore_permissions=True)
	frappe.db.set_value("Ticket", ticket.name, {"sentiment": 0.1, "sentiment_trend": "[0.8, -0.6]"})
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	open_table(page, f"?name={ticket.name}")
	page.locator(f'.list-row[data-name="{ticket.name}"] .tg-cell-title .tg-title').click()
	sheet = page.locator(f".tg-sheet.open[data-name='{ticket.name}']")
	sheet.locator("[data-tab='telegram']").click()
	expect(sheet.locator(".tg-tmsg-in .tg-sentiment")).to_have_count(2)
	expect(sheet.locator(".tg-tmsg-in .tg-sentiment").first).to_have_attribute("data-sentiment", "positive")
	expect(sheet.locator(".tg-tmsg-in .tg-sentiment").last).to_have_attribute("data-sentiment", "negative")
	expect(sheet.locator(".tg-sentiment-trend .tg-trend-bar")).to_have_count(2)
	expect(sheet.locator(".tg-sentiment-trend")).to_contain_text("last 2 messages")
	screenshot(page, "conversation_sentiment")
	page.context.close()


def test_the_preferences_page_opens_the_users_own_and_saves_quiet_hours(browser, live_site, users):
	user = users["member"]
	if frappe.db.exists("Agent Notification Preferences", user):
		frappe.delete_doc("Agent Notification Preferences", user, ignore_permissions=True)
	frappe.db.delete("Agent Notification Channel", {"parent": user, "parenttype": "Agent Notification Preferences"})
	frappe.db.commit()
	page = login(browser, live_site, user)
	page.goto("/app/agent-notification-preferences")
	page.wait_for_url(re.compile(r".*/app/agent-notification-preferences/member(@|%40)tickets\.test$"))
	grid_rows = page.locator("[data-fieldname='channels'] .grid-body .rows > .grid-row")
	expect(grid_rows).to_have_count(7)
	page.locator("input[data-fieldname='quiet_hours']").check()
	page.locator("input[data-fieldname='quiet_hours_from']").fill("22:00:00")
	page.locator("input[data-fieldname='quiet_hours_to']").fill("07:00:00")
	page.locator("input[data-fieldname='quiet_hours_to']").press("Tab")
	page.locator(".page-actions button.primary-action:visible").click()
	expect(page.locator(".indicator-pill:visible").filter(has_text="Not Saved")).to_have_count(0)
	screenshot(page, "notification_preferences")
	frappe.db.rollback()
	saved = frappe.db.get_value("Agent Notification Preferences", user, ["quiet_hours", "quiet_hours_from", "quiet_hours_to"])
	assert [str(v) for v in saved] == ["1", "22:00:00", "7:00:00"]
	page.context.close()
