"""Browser fixtures: Debian's Chromium driven by Playwright against the live test site, one logged-in page
per role. Data is created through the ORM and committed, so the web process sees it."""

import os
from pathlib import Path

import frappe
import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_admin, make_member, make_owner, mark_setup_complete, set_settings

# Without a proxy in front, the desk finds the socketio server on its own port only when the web process runs
# as a dev server (window.dev_server); the live site's processes inherit this, so realtime reaches the browser.
os.environ.setdefault("DEV_SERVER", "1")

CHROMIUM_ARGS = [
	"--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
	"--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("TG_TICKETS_ARTIFACTS") or "artifacts")
TIMEOUT_MS = 30_000  # waits for the page to get there, never a timing assertion
# Assertions wait for the page to converge; the machine may be busy, and realtime refreshes are debounced (2 s).
expect.set_options(timeout=15_000)


def launch_chromium(playwright):
	return playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def tickets_on(live_site):
	"""Tickets switched on for the whole browser session (members may create and edit, not delete)."""
	current = frappe.get_single("Tickets Settings")
	previous = {k: current.get(k) for k in ("enabled", "members_can_create_tickets", "members_can_edit_tickets")}
	set_settings(enabled=1, members_can_create_tickets=1, members_can_edit_tickets=1)
	mark_setup_complete()
	frappe.db.commit()
	yield
	frappe.db.rollback()
	set_settings(**previous)
	frappe.db.commit()


# Module scope: Playwright's sync API keeps an asyncio loop running while it is open, which would break
# later tests that call asyncio.run() (the Telegram tests).
@pytest.fixture(scope="module")
def browser(tickets_on):
	from playwright.sync_api import sync_playwright

	with sync_playwright() as playwright:
		chromium = launch_chromium(playwright)
		yield chromium
		chromium.close()


@pytest.fixture(scope="session")
def users(tickets_on):
	made = {"member": make_member(), "admin": make_admin(), "owner": make_owner()}
	frappe.db.commit()
	return made


OPEN_PAGES = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
	outcome = yield
	report = outcome.get_result()
	if report.when == "call" and report.failed:
		# What the browser showed when a test failed, next to the other screenshots.
		for i, page in enumerate(OPEN_PAGES):
			try:
				screenshot(page, f"failed-{item.name}-{i}")
				report.sections.append(("page errors", "\n".join(page.errors)))
			except Exception:
				pass


@pytest.fixture(autouse=True)
def _forget_pages():
	yield
	OPEN_PAGES.clear()


def forget_list_settings(user):
	"""Frappe restores a user's last list filters and sort; each test starts from the defaults."""
	frappe.db.sql("delete from `__UserSettings` where `user` = %s", (user,))
	frappe.db.commit()
	frappe.cache.hdel("_user_settings", f"Ticket::{user}")


# Other benches on this machine share the Redis pub/sub channel and migrate sites of the same name: their
# "version-update" broadcast would cover the page with a reload prompt mid-test. Every page of a test context
# (each navigation loads the desk anew) keeps the desk from listening for it, before the desk starts.
MUTE_VERSION_UPDATES = """document.addEventListener("DOMContentLoaded", () => {
	const realtime = window.frappe && frappe.realtime;
	if (!realtime) return;
	const on = realtime.on;
	realtime.on = function (event) {
		return event === "version-update" ? undefined : on.apply(this, arguments);
	};
});"""


def login(browser, live_site, user, password=PASSWORD):
	forget_list_settings(user)
	context = browser.new_context(viewport={"width": 1600, "height": 900}, base_url=live_site.url)
	context.set_default_timeout(TIMEOUT_MS)
	context.add_init_script(MUTE_VERSION_UPDATES)
	page = context.new_page()
	page.errors = []
	page.on("pageerror", lambda error: page.errors.append(str(error)))
	page.goto("/login")
	page.fill("#login_email", user)
	page.fill("#login_password", password)
	page.click(".btn-login")
	page.wait_for_url("**/app**")
	page.wait_for_function("() => window.frappe && frappe.app && frappe.realtime && frappe.realtime.socket")
	OPEN_PAGES.append(page)
	return page


@pytest.fixture
def member_page(browser, live_site, users):
	page = login(browser, live_site, users["member"])
	yield page
	page.context.close()


# Frappe's microtemplates name each `{% for x in y %}` loop's counters with random three-letter words
# (frappe.utils.get_random); now and then one is a reserved word ("for", "new", "try", "var"), the navbar's
# template does not compile and the desk never starts. That page load failed inside Frappe: load it again.
FRAPPE_TEMPLATE_FLAKE = "frappe.template.compile(...) is not a function"


def open_table(page, query=""):
	page.goto("/app/ticket" + query)
	try:
		page.wait_for_selector(".tg-ticket-table .list-row[data-name]")
	except Exception:
		if FRAPPE_TEMPLATE_FLAKE in page.errors:
			page.errors[:] = [e for e in page.errors if e != FRAPPE_TEMPLATE_FLAKE]
			return open_table(page, query)
		screenshot(page, "failed_open_table")
		raise AssertionError(f"the ticket table did not render; page errors: {page.errors}")
	return page


def screenshot(page, name):
	ARTIFACTS.mkdir(parents=True, exist_ok=True)
	page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
