"""Faster answers in a real browser: the `/` picker in the side sheet's reply box, the missing-placeholder guard
and the preview, the reply reaching the record transport with Telegram's formatting; on the full form, a
suggested article sent as a link and as a Telegram URL button, recorded on the ticket."""

import json

import frappe
import pytest
from playwright.sync_api import expect

# the record transport for every test here, and a unique tag per test: the Telegram desk tests' fixtures
from tests.browser.test_telegram_desk import _record_transport, customer_ticket, open_conversation, tag  # noqa: F401
from tests.waiting import wait_until

pytestmark = pytest.mark.browser


def recorded(message_name):
	frappe.db.rollback()
	payload = frappe.db.get_value("Telegram Recorded Request", {"telegram_message": message_name}, "payload")
	return json.loads(payload) if payload else None


def outgoing(ticket):
	frappe.db.rollback()
	return frappe.get_all("Telegram Message", filters={"ticket": ticket, "direction": "Outgoing"},
		fields=["name", "text", "payload"], order_by="creation")


def test_the_picker_inserts_a_response_and_a_missing_placeholder_blocks_sending_until_filled(member_page, users, tag):
	response = frappe.get_doc({
		"doctype": "Canned Response", "title": f"Welcome {tag}", "shortcut": f"/hi-{tag}", "scope": "Everyone",
		"body": "Hello <b>{{customer_name}}</b>, team {{team}} here.",
	}).insert()
	other = frappe.get_doc({
		"doctype": "Canned Response", "title": f"Goodbye {tag}", "shortcut": f"/hi-{tag}-bye", "scope": "Everyone",
		"body": "Bye!",
	}).insert()
	uid, chat, ticket = customer_ticket(tag, "picker")
	frappe.db.set_value("Ticket", ticket.name, "team", None)
	frappe.db.commit()
	sheet = open_conversation(member_page, tag, ticket, rows=1)
	box = sheet.locator(".tg-reply-input")

	box.click()
	box.type(f"/hi-{tag}")
	picker = sheet.locator(".tg-picker.show .tg-picker-item")
	expect(picker).to_have_count(2)
	expect(picker.nth(0)).to_contain_text(f"/hi-{tag}")  # the exact shortcut first
	expect(picker.nth(0)).to_have_attribute("aria-selected", "true")
	box.press("ArrowDown")
	expect(picker.nth(1)).to_have_attribute("aria-selected", "true")
	box.press("ArrowUp")
	box.press("Enter")
	expect(sheet.locator(".tg-picker.show")).to_have_count(0)
	expect(box).to_have_value(f"Hello <b>Nora {tag}</b>, team {{{{team}}}} here.")

	# the preview shows what Telegram will show, the empty placeholder marked; sending is refused
	preview = sheet.locator(".tg-reply-preview-text")
	expect(preview.locator("b")).to_have_text(f"Nora {tag}")
	expect(preview.locator("mark.tg-placeholder-missing")).to_have_text("{{team}}")
	expect(sheet.locator(".tg-reply-preview-problem")).to_contain_text("Fill or remove before sending: {{team}} (Team)")
	sheet.locator(".tg-reply-send").click()
	expect(member_page.locator(".tg-sheet-error")).to_contain_text("Fill or remove the placeholders before sending: {{team}}")
	assert outgoing(ticket.name) == []

	box.fill(f"Hello <b>Nora {tag}</b>, team Billing here.")
	expect(preview.locator("mark")).to_have_count(0)
	expect(sheet.locator(".tg-reply-preview-problem")).to_have_text("")
	sheet.locator(".tg-reply-send").click()
	expect(sheet.locator(".tg-conversation .tg-tmsg-out", has_text=f"Hello Nora {tag}, team Billing here.")).to_be_visible()

	[message] = outgoing(ticket.name)
	assert message.text == f"Hello Nora {tag}, team Billing here."
	sent = wait_until(lambda: recorded(message.name), timeout=30, message="the reply at the record transport")
	assert sent["text"] == message.text
	assert sent["entities"] == [{"kind": "bold", "offset": 6, "length": len(f"Nora {tag}")}]
	frappe.db.rollback()
	assert frappe.db.get_value("Canned Response Usage", {"response": response.name, "agent": users["member"]}, "uses") == 1
	assert not frappe.db.exists("Canned Response Usage", {"response": other.name})


def test_a_suggested_article_goes_out_as_a_link_and_as_a_url_button_from_the_full_form(member_page, users, tag, live_site):
	article = frappe.get_doc({
		"doctype": "Knowledge Base Article", "title": f"Refund policy {tag}", "status": "Published",
		"body": "<p>Refunds take 3–5 business days.</p>",
	}).insert()
	uid, chat, ticket = customer_ticket(tag, "suggestions")
	frappe.db.set_value("Ticket", ticket.name, "description", f"I want a refund for order {tag}")
	frappe.db.commit()
	member_page.goto(f"/app/ticket/{ticket.name}")
	form = member_page.locator(".frappe-control[data-fieldname='telegram_conversation']")
	suggestion = form.locator(f".tg-suggestion[data-article='{article.name}']")
	expect(suggestion).to_be_visible()
	expect(form.locator(".tg-suggestion").first).to_have_attribute("data-article", article.name)

	suggestion.locator("[data-action='insert-link']").click()
	box = form.locator(".tg-reply-input")
	expect(box).to_have_value(f"{live_site.url}/{article.route}")
	box.press("Home")
	box.type("Please read ")
	form.locator(".tg-reply-send").click()
	expect(form.locator(".tg-conversation .tg-tmsg-out", has_text="Please read")).to_be_visible()
	# the send redraws the suggestions with a "Sent on this ticket" line above them: click once they have moved
	# (a click while they moved landed beside the button once, in a full run)
	expect(form.locator(f".tg-articles-sent [data-sent-article='{article.name}']")).to_have_count(1)

	suggestion.locator("[data-action='send-button']").click()
	expect(form.locator(".tg-conversation .tg-tmsg-out", has_text=f"Refund policy {tag}")).to_be_visible()
	# the reply box lists what was sent on this ticket
	expect(form.locator(f".tg-articles-sent [data-sent-article='{article.name}']")).to_have_count(2)
	link_message, button_message = outgoing(ticket.name)
	sent = wait_until(lambda: recorded(button_message.name), timeout=30, message="the button at the record transport")
	[[button]] = sent["buttons"]
	assert button["text"] == "Open the article" and button["url"].endswith("/" + article.route)
	sends = frappe.get_all("Knowledge Base Article Send", filters={"ticket": ticket.name},
		fields=["article", "how", "agent", "telegram_message"], order_by="creation")
	assert [(s.article, s.how, s.agent, s.telegram_message) for s in sends] == [
		(article.name, "Link", users["member"], link_message.name),
		(article.name, "Button", users["member"], button_message.name),
	]
