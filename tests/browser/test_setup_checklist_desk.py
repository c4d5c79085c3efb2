"""The first-day checklist on the Tickets workspace in a real browser: an admin sees the six steps, each done
or not from the site's state; the bot step turns done after a passing connection test, not after a click."""

import re

import frappe
import pytest
from playwright.sync_api import expect

from tests import telegram_fakes as tg
from tests.browser.conftest import login
from tests.browser.test_telegram_desk import in_own_thread
from tests.factories import set_settings
from tg_tickets.onboarding import checklist
from tg_tickets.telegram import connection

pytestmark = pytest.mark.browser


def test_the_admin_sees_the_checklist_from_the_sites_state(browser, live_site, users):
	set_settings(api_id=12345, api_hash=tg.API_HASH, bot_token=tg.BOT_TOKEN, topic_group_chat=None)
	frappe.db.set_value("Module Onboarding", checklist.ONBOARDING, "is_complete", 0)
	frappe.db.commit()
	page = login(browser, live_site, users["admin"])
	try:
		page.goto("/app/tickets")
		steps = page.locator(".onboarding-step")
		expect(steps).to_have_count(6)
		connect = steps.filter(has_text="Connect the bot and test the connection")
		expect(connect).to_have_class(re.compile(r"\bpending\b"))
		states = checklist.states()
		for step_name, title in [("Create a Ticket Team", "Create a team"), ("Invite Agents", "Invite agents")]:
			expect(steps.filter(has_text=title)).to_have_class(re.compile(r"\b%s\b" % ("complete" if states[step_name] else "pending")))

		sender = tg.BotLoginSender(int(tg.BOT_TOKEN.split(":")[0]))
		outcome = in_own_thread(lambda: connection.test_and_record(tg.login_client(sender)))
		assert outcome["status"] == "OK"
		page.reload()

		expect(page.locator(".onboarding-step").filter(has_text="Connect the bot and test the connection")).to_have_class(
			re.compile(r"\bcomplete\b")
		)
		assert page.errors == []
	finally:
		from frappe.utils.password import remove_encrypted_password

		page.context.close()
		set_settings(api_id=None)
		for field in ("api_hash", "bot_token"):  # as the bot_credentials fixture: no credentials left behind
			remove_encrypted_password("Tickets Settings", "Tickets Settings", field)
		frappe.db.commit()
