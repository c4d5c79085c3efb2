"""Issue 4 benchmark: the ticket table in Chromium at 1,000,000 tickets.

Seeds the benchmark site with benchmarks/ticket_list.py's seed() when it does not hold the wanted number of
tickets (reused by later runs), starts the site's web/socketio/worker processes (by default as a production
bench runs them: gunicorn behind nginx; `--server dev` for `frappe serve`), times the boot page alone over
HTTP (Frappe's own and ours), logs in as a Tickets Member
in headless Chromium and loads /app/ticket `--runs` times (after one warm-up load), timing each from the
start of navigation until 20 rows are visible and clickable (Playwright's actionability check on the 20th).
Also times switching to the table from another desk page without a reload. Prints figures; asserts nothing.

    scripts/benchmark desk_table [--tickets 1000000] [--chats 100000] [--runs 10] [--reseed] [--profile]
        [--server production|dev]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from _site import connect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MEMBER = "agent0@bench.test"
ROWS = 20
ROWS_READY = f"() => document.querySelectorAll('.tg-ticket-table .list-row[data-name]').length >= {ROWS}"


def prepare(frappe, tickets: int, chats: int, reseed: bool):
	from ticket_list import seed

	from tests.factories import make_user, mark_setup_complete

	have = frappe.db.sql("select count(*) from `tabTicket`")[0][0]
	if reseed or have != tickets:
		seed(frappe, tickets, chats)
	mark_setup_complete()
	make_user(MEMBER, "Tickets Member")  # only this role, and the test password
	frappe.db.set_single_value("Tickets Settings", "enabled", 1)
	# The table's default state (newest first, no filters), not whatever the last run left behind.
	frappe.db.sql("delete from `__UserSettings` where `user` = %s", (MEMBER,))
	frappe.db.commit()
	frappe.cache.hdel("_user_settings", f"Ticket::{MEMBER}")
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
	return frappe.db.sql("select count(*) from `tabTicket`")[0][0]


def build_desk_assets(bench: str):
	"""The desk bundle must be built for this checkout (mirroring the app into the bench drops built assets);
	Frappe's own bundles too when the bench has none yet (`bench build --app` alone would leave the desk
	without its scripts)."""
	assets = os.path.join(bench, "sites", "assets", "assets.json")
	have_frappe = os.path.exists(assets) and "desk.bundle.js" in open(assets).read()
	command = ["bench", "build", "--app", "tg_tickets"] if have_frappe else ["bench", "build"]
	subprocess.run(command, cwd=bench, check=True, stdout=subprocess.DEVNULL)


def percentiles(samples):
	ordered = sorted(samples)
	p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
	return f"p50 {statistics.median(ordered):7.0f} ms   p95 {p95:7.0f} ms   max {ordered[-1]:7.0f} ms"


NAVIGATION_TIMING = """() => {
	const n = performance.getEntriesByType("navigation")[0];
	return {
		"request sent (the /app/ticket boot page)": n.requestStart,
		"first byte of the boot page": n.responseStart,
		"boot page received": n.responseEnd,
		"DOM parsed (scripts ran)": n.domInteractive,
		"DOMContentLoaded done (desk started)": n.domContentLoadedEventEnd,
		"load event done": n.loadEventEnd,
		"rows ready (now)": performance.now(),
	};
}"""


def failed(page, what: str):
	path = os.path.join(os.environ.get("TG_TICKETS_ARTIFACTS") or "/tmp", "desk_table_benchmark_failed.png")
	page.screenshot(path=path)
	return RuntimeError(f"{what}; see {path}; page errors: {getattr(page, 'errors', [])}")


def rows_ready(page):
	try:
		page.wait_for_function(ROWS_READY, timeout=60_000)
	except Exception:
		raise failed(page, f"the table did not show {ROWS} rows") from None
	page.locator(".tg-ticket-table .list-row[data-name]").nth(ROWS - 1).click(trial=True, timeout=60_000)


def waterfall(page, load):
	"""One more load, printing each request the page made on the browser's clock: when it started and how long
	it took (ms after navigation began; the browser's timings, not when this script heard of them)."""
	finished = []
	page.on("requestfinished", lambda r: finished.append(r))
	total = load()
	navigation_start = page.evaluate("() => performance.timeOrigin")
	print(f"\nrequests of one full load ({total:.0f} ms until the rows were ready), by start time:")
	rows = []
	for request in finished:
		timing = request.timing
		started = timing["startTime"] - navigation_start
		took = timing["responseEnd"] if timing["responseEnd"] >= 0 else float("nan")
		rows.append((started, took, request))
	for started, took, request in sorted(rows, key=lambda r: r[0]):
		if "/assets/" in request.url:
			continue
		print(f"  start {started:7.0f} ms  took {took:6.0f} ms  {request.method:4} {request.url.split('?')[0][:90]}")
	# The browser's own clock for the same load (from its navigation start): where the rest of the time went.
	timing = page.evaluate(NAVIGATION_TIMING)
	print("the same load in the browser's navigation timing (ms after navigation start):")
	for name, at in timing.items():
		print(f"  {at:7.0f} ms  {name}")


def boot_pages(url: str, runs: int) -> dict[str, list[float]]:
	"""Server time of the desk's boot page alone (HTML, no browser), on another desk page and on the table's."""
	import requests

	from tests.factories import PASSWORD

	session = requests.Session()
	session.post(f"{url}/api/method/login", data={"usr": MEMBER, "pwd": PASSWORD}).raise_for_status()
	samples = {}
	for path in ("/app/linked-chat", "/app/ticket"):
		session.get(url + path).raise_for_status()  # warm-up
		times = []
		for _ in range(runs):
			started = time.perf_counter()
			session.get(url + path).raise_for_status()
			times.append((time.perf_counter() - started) * 1000)
		samples[path] = times
	return samples


def measure(url: str, runs: int, profile: bool = False):
	from playwright.sync_api import sync_playwright

	from tests.browser.conftest import CHROMIUM_ARGS
	from tests.factories import PASSWORD

	with sync_playwright() as playwright:
		browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
		context = browser.new_context(viewport={"width": 1600, "height": 900}, base_url=url)
		page = context.new_page()
		page.errors = []
		page.on("pageerror", lambda error: page.errors.append(str(error)))
		page.goto("/login")
		page.fill("#login_email", MEMBER)
		page.fill("#login_password", PASSWORD)
		page.click(".btn-login")
		page.wait_for_url("**/app**")

		def full_load():
			started = time.perf_counter()
			page.goto("/app/ticket", wait_until="commit")
			rows_ready(page)
			return (time.perf_counter() - started) * 1000

		def in_app_switch():
			page.goto("/app/linked-chat")
			try:
				page.wait_for_selector(".list-row-container", timeout=60_000)
			except Exception:
				raise failed(page, "the Linked Chat list did not show") from None
			started = time.perf_counter()
			page.evaluate("() => frappe.set_route('List', 'Ticket')")
			rows_ready(page)
			return (time.perf_counter() - started) * 1000

		warm_up = full_load()
		loads = [full_load() for _ in range(runs)]
		if profile:
			waterfall(page, full_load)
		switches = [in_app_switch() for _ in range(runs)]
		browser.close()
	return warm_up, loads, switches


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--tickets", type=int, default=1_000_000)
	parser.add_argument("--chats", type=int, default=100_000)
	parser.add_argument("--runs", type=int, default=10)
	parser.add_argument("--reseed", action="store_true")
	parser.add_argument("--profile", action="store_true", help="print the requests of one extra load")
	parser.add_argument(
		"--server", choices=("production", "dev"), default="production",
		help="production: gunicorn behind nginx, as a production bench serves the desk; dev: frappe serve",
	)
	options = parser.parse_args()

	frappe = connect()
	frappe.db.sql("set session max_statement_time = 0")
	site = frappe.local.site
	total = prepare(frappe, options.tickets, options.chats, options.reseed)
	frappe.destroy()

	build_desk_assets(os.environ["TG_TICKETS_BENCH"])
	from tests.live import LiveSite

	live = LiveSite.start(site, web_server=options.server)
	try:
		boot = boot_pages(live.url, options.runs)
		warm_up, loads, switches = measure(live.url, options.runs, options.profile)
	finally:
		live.stop()
	print(f"\n{total:,} tickets on {site}; {MEMBER} (Tickets Member) in headless Chromium")
	print(f"web server: {live.describe()}")
	print(f"boot page alone (HTML over HTTP, no browser), {options.runs} requests each:")
	print(f"  /app/linked-chat (Frappe's own desk boot)      {percentiles(boot['/app/linked-chat'])}")
	print(f"  /app/ticket (the same boot, the table's page)  {percentiles(boot['/app/ticket'])}")
	print(f"time until {ROWS} rows are visible and clickable, {options.runs} loads each:")
	print(f"  first load after start (warm-up, not counted)  {warm_up:7.0f} ms")
	print(f"  full page load of /app/ticket                  {percentiles(loads)}")
	print(f"  switch to the table from another desk page     {percentiles(switches)}")
	print("  samples (full loads, ms): " + ", ".join(f"{s:.0f}" for s in loads))


if __name__ == "__main__":
	main()
