"""SLA sweep benchmark: the minute sweep's cost with 10k / 100k / 1M open tickets and nothing due (it must stay
flat), and 1,000 due tickets through the sweep and its notification jobs.

Seeds rows with bulk INSERT ... SELECT from MariaDB's sequence engine (1M rows in a few minutes), on a
SEPARATE benchmark site: it refuses to run unless the site's config has `tg_sla_benchmark_site: 1`, and it
removes every row it seeded at the end (unless --keep). Figures are printed, never asserted.

Run from the bench's sites folder with the bench's python, e.g.:
  cd ~/tg-bench-sla/sites && ../env/bin/python ../apps/tg_tickets/benchmarks/sla_sweep.py --site sla-bench.localhost
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import frappe

OPEN_PREFIX = "SLB"  # open tickets, nothing due
DUE_PREFIX = "SLD"  # tickets with a due reminder
POLICY = "SLA Benchmark"
AGENTS = [f"sla.bench.agent{i}@tickets.test" for i in range(10)]


def connect(site):
	frappe.init(site=site, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	if not frappe.get_conf().get("tg_sla_benchmark_site"):
		sys.exit(f"{site} is not marked as a benchmark site: bench --site {site} set-config tg_sla_benchmark_site 1")
	if not frappe.get_conf().get("mute_emails"):
		sys.exit(f"set mute_emails on {site} first: the benchmark queues real e-mail")


def ensure_fixtures():
	for email in AGENTS:
		if not frappe.db.exists("User", email):
			user = frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0})
			user.insert(ignore_permissions=True)
			user.add_roles("Tickets Member")
	if not frappe.db.exists("SLA Policy", POLICY):
		frappe.get_doc(
			{
				"doctype": "SLA Policy", "policy_name": POLICY, "timezone": "UTC", "enabled": 1,
				"targets": [{"priority": "HIGH", "first_response_minutes": 30, "resolution_minutes": 240}],
				"reminder_thresholds": [{"percent": 75}], "escalation_enabled": 0,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Email Account", "SLA Benchmark Outgoing"):
		# No SMTP server here: skip the connection check; mute_emails keeps the mail queued.
		account = frappe.get_doc(
			{
				"doctype": "Email Account", "email_account_name": "SLA Benchmark Outgoing",
				"email_id": "sla-bench@tickets.test", "enable_outgoing": 1, "default_outgoing": 1,
				"smtp_server": "127.0.0.1", "smtp_port": 2525, "no_smtp_authentication": 1,
			}
		)
		account.flags.ignore_validate = True
		account.insert(ignore_permissions=True)
	frappe.db.commit()


def seed(prefix, first, count, due=False):
	"""Bulk rows: open OPEN/HIGH tickets on the benchmark policy, next event in the future (or due)."""
	chunk = 100_000
	for start in range(first, first + count, chunk):
		end = min(start + chunk, first + count) - 1
		# Times in the system timezone, as Frappe stores them (the database server's now() may differ).
		if due:
			timing = """%(now)s - interval 25 minute, %(now)s - interval 25 minute,
				%(now)s + interval 5 minute, %(now)s + interval 215 minute, %(now)s - interval 1 minute"""
		else:
			timing = """%(now)s, %(now)s, %(now)s + interval 30 minute, %(now)s + interval 4 hour,
				%(now)s + interval 1 day + interval (seq mod 86400) second"""
		frappe.db.sql(
			f"""insert into `tabTicket` (name, creation, modified, first_response_due, resolution_due, next_sla_event_at,
				owner, modified_by, docstatus, idx, title, status, priority, status_rank, priority_rank,
				assigned_to, sla_policy, sla_state, file_count, comment_count, sla_escalation_disabled, sla_policy_overridden)
			select concat(%(prefix)s, lpad(seq, 7, '0')), {timing},
				'Administrator', 'Administrator', 0, 0, concat('Benchmark ticket ', seq), 'OPEN', 'HIGH', 2, 3,
				elt(1 + seq mod 10, {", ".join(frappe.db.escape(a) for a in AGENTS)}), %(policy)s, 'ON_TRACK', 0, 0, 0, 0
			from seq_{start}_to_{end}""",
			{"prefix": prefix, "policy": POLICY, "now": frappe.utils.now_datetime()},
		)
		frappe.db.commit()


def cleanup():
	for prefix in (OPEN_PREFIX, DUE_PREFIX):
		while frappe.db.sql(f"select 1 from `tabTicket` where name like '{prefix}%%' limit 1"):
			frappe.db.sql(f"delete from `tabTicket` where name like '{prefix}%%' limit 50000")
			frappe.db.commit()
	reset_due_side_effects()
	frappe.db.commit()


def reset_due_side_effects():
	frappe.db.sql(f"delete from `tabSLA Notification` where ticket like '{DUE_PREFIX}%%'")
	frappe.db.sql(f"delete from `tabNotification Log` where document_type = 'Ticket' and document_name like '{DUE_PREFIX}%%'")
	frappe.db.sql("delete r from `tabEmail Queue Recipient` r join `tabEmail Queue` q on q.name = r.parent where q.sender like '%%sla-bench@%%'")
	frappe.db.sql("delete from `tabEmail Queue` where sender like '%%sla-bench@%%'")
	frappe.db.sql(
		f"""update `tabTicket` set next_sla_event_at = %s - interval 1 minute, sla_state = 'ON_TRACK'
		where name like '{DUE_PREFIX}%%'""",
		(frappe.utils.now_datetime(),),
	)
	frappe.db.commit()


def time_sweep(runs=50):
	from tg_tickets.sla import sweep

	samples = []
	for _ in range(runs):
		start = time.perf_counter()
		found = sweep.run()
		samples.append((time.perf_counter() - start) * 1000)
		frappe.db.rollback()
		assert found == 0, f"{found} tickets unexpectedly due"
	samples.sort()
	return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], samples[-1]


def open_count():
	return frappe.db.sql("select count(*) from `tabTicket` where next_sla_event_at is not null")[0][0]


def due_run_in_process():
	"""The sweep's query, then the jobs' functions run here one after the other, in the chunks the sweep
	would enqueue: the SLA jobs, then the e-mail digest job."""
	from tg_tickets.sla import notify, sweep

	# The sweep's query here; its enqueue is timed in the worker run (queued jobs would linger otherwise).
	start = time.perf_counter()
	names = sweep.due_tickets()
	found = len(names)
	swept = time.perf_counter() - start
	fired = 0
	for i in range(0, len(names), sweep.TICKETS_PER_JOB):
		fired += sum(len(v) for v in sweep.process_tickets(names[i : i + sweep.TICKETS_PER_JOB]).values())
	jobs_done = time.perf_counter() - start
	mails = notify.send_email_digests()
	total = time.perf_counter() - start
	return found, fired, mails, swept, jobs_done, total


def due_run_with_workers(site, workers):
	"""Sweep, commit, then real `bench worker --burst` processes drain the queue (process start-up included).
	The queue holds the SLA jobs and, enqueued by them, the e-mail digest job."""
	from tg_tickets.sla import sweep

	bench = Path(os.getcwd()).parent
	cmd = [str(bench / "env/bin/python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", site,
		"worker", "--queue", "short", "--burst"]
	start = time.perf_counter()
	found = sweep.run()
	frappe.db.commit()
	swept = time.perf_counter() - start
	logs = [open(bench / "logs" / f"sla-benchmark-worker-{i}.log", "w") for i in range(workers)]
	procs = [subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT) for log in logs]
	for p in procs:
		p.wait()
	total = time.perf_counter() - start
	frappe.db.rollback()
	fired = frappe.db.sql(f"select count(*) from `tabSLA Notification` where ticket like '{DUE_PREFIX}%%'")[0][0]
	mailed = frappe.db.sql(
		f"select count(*) from `tabSLA Notification` where ticket like '{DUE_PREFIX}%%' and emailed_at is not null"
	)[0][0]
	return found, fired, mailed, swept, total


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", default=os.environ.get("TG_TICKETS_SITE"), required=not os.environ.get("TG_TICKETS_SITE"))
	parser.add_argument("--sizes", default="10000,100000,1000000")
	parser.add_argument("--due", type=int, default=1000)
	parser.add_argument("--workers", type=int, default=2)
	parser.add_argument("--keep", action="store_true", help="keep the seeded rows")
	args = parser.parse_args()
	connect(args.site)
	ensure_fixtures()
	cleanup()
	print(f"site {args.site}: {frappe.db.count('Ticket')} tickets before seeding")
	print("EXPLAIN:", frappe.db.sql(
		"explain select name from `tabTicket` where next_sla_event_at <= %s order by next_sla_event_at limit 5000",
		(frappe.utils.now_datetime(),),
		as_dict=True,
	))
	seeded = 0
	try:
		for size in [int(s) for s in args.sizes.split(",")]:
			t = time.perf_counter()
			seed(OPEN_PREFIX, seeded, size - seeded)
			seeded = size
			print(f"seeded to {size:>9,} open tickets in {time.perf_counter() - t:6.1f} s")
			median, p95, worst = time_sweep()
			print(f"  sweep, nothing due, {open_count():>9,} open: median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms")

		seed(DUE_PREFIX, 0, args.due, due=True)
		found, fired, mails, swept, jobs_done, total = due_run_in_process()
		print(f"{args.due} due, jobs run in-process: sweep query {swept * 1000:.0f} ms, sweep+SLA jobs "
			f"{jobs_done:.2f} s ({fired} notifications for {found} tickets), +e-mail digest job {total - jobs_done:.2f} s "
			f"({mails} e-mails) = {total:.2f} s")
		reset_due_side_effects()
		found, fired, mailed, swept, total = due_run_with_workers(args.site, args.workers)
		print(f"{args.due} due, {args.workers} real `bench worker --burst` processes: sweep+enqueue {swept * 1000:.0f} ms, "
			f"sweep+all jobs incl. e-mail digest {total:.2f} s (worker start-up included), {fired} notifications, "
			f"{mailed} e-mailed")
	finally:
		if not args.keep:
			t = time.perf_counter()
			cleanup()
			print(f"cleaned up in {time.perf_counter() - t:.1f} s")
		frappe.destroy()


if __name__ == "__main__":
	main()
