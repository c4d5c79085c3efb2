"""Outage mode in a real browser: the banner appears on the agent's open desk when Telegram goes down (realtime,
no reload), says since when, what is affected and how many replies wait, is there after a reload, and goes
away by itself when Telegram answers again."""

import frappe
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_table
from tg_tickets.tickets import outage, outage_rules

pytestmark = pytest.mark.browser


@pytest.fixture
def no_outage():
	outage.reset()
	frappe.db.sql("update `tabTelegram Outage` set status = 'Resolved', ended_at = now() where status = 'Active'")
	frappe.db.commit()
	yield
	outage.report(outage_rules.OK, ["outbound"])
	outage.report(outage_rules.LISTENER_PRESENT)


def test_the_banner_follows_telegrams_state_on_an_open_desk(member_page, no_outage):
	page = open_table(member_page)
	banner = page.locator(".tg-outage-banner")
	expect(banner).to_have_count(0)
	queued = outage.queued_replies()

	outage.report(outage_rules.AUTH, ["outbound"], reason="Telegram refused the bot's authorization")

	expect(banner).to_be_visible()
	expect(banner).to_contain_text("Telegram is not answering")
	expect(banner.locator(".tg-outage-affected")).to_have_text("affected: customers' messages, replies, forum topics")
	expect(banner.locator(".tg-outage-queued")).to_have_text(f"{queued} replies queued")
	expect(banner.locator(".tg-outage-link")).to_have_count(0)  # the record is for admins
	page.reload()
	expect(page.locator(".tg-outage-banner .tg-outage-since")).to_contain_text("since")
	# The recovery below is announced over realtime: the reloaded page must be listening by then.
	page.wait_for_function("() => frappe.realtime.socket && frappe.realtime.socket.connected")

	outage.report(outage_rules.OK, ["outbound"])

	expect(page.locator(".tg-outage-banner")).to_have_count(0)
	assert page.errors == []
