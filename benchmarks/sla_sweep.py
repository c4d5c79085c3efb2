"""SLA sweep benchmark: 1,000 due tickets through the sweep and its notification jobs on real RQ workers, and the
minute sweep's cost with 10k / 100k / 1M open tickets and nothing due (it must stay flat).

The due run starts long-running `bench worker` processes (as production runs them; their start-up is not part
of a sweep), waits until they are idle, then times from the sweep's start until every job it enqueued has
finished and the notifications exist: claims, desk notifications, queued e-mail, Telegram DMs delivered
(record transport) to the agents with a linked account.

Seeds rows with bulk INSERT ... SELECT from MariaDB's sequence engine (1M rows in a few minutes), on a
SEPARATE benchmark site: it refuses to run unless the site's config has `tg_sla_benchmark_site: 1`, and it
removes every row it seeded at the end (unless --keep). Figures are printed, never asserted.

Run (a dedicated site on the test bench):
  scripts/benchmark sla_sweep [--sizes 10000,100000,1000000] [--due 1000] [--workers 2] [--profile]
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import frappe

OPEN_PREFIX = "SLB"  # open tickets, nothing due
DUE_PREFIX = "SLD"  # tickets with a due reminder
LEGACY_PREFIX = "SLL"  # open tickets from before SLA tracking, for the backfill
POLICY = "SLA Benchmark"
AGENTS = [f"sla.bench.agent{i}@tickets.test" for i in range(10)]
LINKED_AGENTS = 5  # of the agents above, those with a linked Telegram account
TELEGRAM_ID_BASE = 777_000_000


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
	for prefix in (LEGACY_PREFIX,):
		while frappe.db.sql(f"select 1 from `tabSLA Notification` where ticket like '{prefix}%%' limit 1"):
			frappe.db.sql(f"delete from `tabSLA Notification` where ticket like '{prefix}%%' limit 50000")
			frappe.db.commit()
	for prefix in (OPEN_PREFIX, DUE_PREFIX, LEGACY_PREFIX):
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
	frappe.db.sql(f"delete from `tabTelegram Message` where chat_id like '{TELEGRAM_ID_BASE // 1000}%%'")
	frappe.db.sql(f"delete from `tabTelegram Recorded Request` where chat_id like '{TELEGRAM_ID_BASE // 1000}%%'")
	frappe.db.sql(
		f"""update `tabTicket` set next_sla_event_at = %s - interval 1 minute, sla_state = 'ON_TRACK'
		where name like '{DUE_PREFIX}%%'""",
		(frappe.utils.now_datetime(),),
	)
	frappe.db.commit()


def seed_legacy(count):
	"""Open tickets without any SLA field, created over the last 10 days (HIGH: most crossed some threshold)."""
	chunk = 100_000
	for start in range(0, count, chunk):
		end = min(start + chunk, count) - 1
		frappe.db.sql(
			f"""insert into `tabTicket` (name, creation, modified, owner, modified_by, docstatus, idx, title, status,
				priority, status_rank, priority_rank, assigned_to, file_count, comment_count, sla_escalation_disabled,
				sla_policy_overridden, sla_paused_seconds)
			select concat(%(prefix)s, lpad(seq, 7, '0')), %(now)s - interval (seq mod 14400) minute, %(now)s,
				'Administrator', 'Administrator', 0, 0, concat('Legacy ticket ', seq), 'OPEN', 'HIGH', 2, 3,
				elt(1 + seq mod 10, {", ".join(frappe.db.escape(a) for a in AGENTS)}), 0, 0, 0, 0, 0
			from seq_{start}_to_{end}""",
			{"prefix": LEGACY_PREFIX, "now": frappe.utils.now_datetime()},
		)
		frappe.db.commit()


def time_backfill(count):
	"""The backfill patch's function over `count` legacy tickets, the benchmark policy as the default."""
	from tg_tickets.sla import backfill

	frappe.db.set_value("SLA Policy", POLICY, "is_default", 1)
	frappe.db.commit()
	t = time.perf_counter()
	seed_legacy(count)
	seeded = time.perf_counter() - t
	t = time.perf_counter()
	done = backfill.backfill_open_tickets()
	took = time.perf_counter() - t
	unannounced = frappe.db.sql(f"select count(*) from `tabSLA Notification` where ticket like '{LEGACY_PREFIX}%%'")[0][0]
	print(f"backfill: {count:,} legacy open tickets (seeded in {seeded:.1f} s): {done:,} got an SLA in {took:.1f} s "
		f"({took / max(done, 1) * 1e6:.0f} µs a ticket, batches of {backfill.BATCH}), {unannounced:,} past thresholds "
		"recorded unannounced")


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


def link_telegram_accounts():
	"""Half the agents linked a Telegram account: their alerts also go out as Telegram DMs (record transport)."""
	for i, user in enumerate(AGENTS[:LINKED_AGENTS]):
		if not frappe.db.exists("Telegram Agent", user):
			frappe.get_doc({"doctype": "Telegram Agent", "user": user, "telegram_user_id": str(TELEGRAM_ID_BASE + i)}).insert(
				ignore_permissions=True
			)
	frappe.db.commit()


class Workers:
	"""Long-running `bench worker` processes, as production runs them: started once, idle before the sweep."""

	def __init__(self, count, niceness=None):
		from frappe.installer import update_site_config
		from frappe.utils.background_jobs import get_queue

		self.queue = get_queue("short")
		bench = Path(os.getcwd()).parent
		cmd = [str(bench / "env/bin/python"), "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "short,default"]
		self.common_config = str(bench / "sites" / "common_site_config.json")
		# Frappe nices its workers (+10 by default, below the web processes); on a machine shared with other
		# work that decides how much CPU they get. The bench's setting is restored once the workers run.
		self.niceness = niceness
		if niceness is not None:
			update_site_config("background_process_niceness", niceness, site_config_path=self.common_config)
		self.logs = [open(bench / "logs" / f"sla-benchmark-worker-{i}.log", "w") for i in range(count)]
		self.procs = [subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT) for log in self.logs]
		self.pids = {p.pid for p in self.procs}

	def ours(self):
		from rq import Worker

		return [w for w in Worker.all(connection=self.queue.connection) if w.pid in self.pids]

	def wait_idle(self, timeout=120):
		from frappe.installer import update_site_config

		deadline = time.time() + timeout
		while time.time() < deadline:
			workers = self.ours()
			if len(workers) == len(self.procs) and all(w.get_state() == "idle" for w in workers) and self.queue.is_empty():
				if self.niceness is not None:
					update_site_config("background_process_niceness", "None", site_config_path=self.common_config)
				return
			if any(p.poll() is not None for p in self.procs):
				sys.exit("a benchmark worker exited; see logs/sla-benchmark-worker-*.log")
			time.sleep(0.2)
		sys.exit("the benchmark workers did not become idle")

	def busy(self):
		from rq.registry import StartedJobRegistry

		return not self.queue.is_empty() or StartedJobRegistry(queue=self.queue).count > 0

	def jobs_since(self, since):
		"""(method, started_at, ended_at) of the jobs enqueued since `since` (UTC, naive) that finished or failed."""
		from rq.job import Job
		from rq.registry import FailedJobRegistry, FinishedJobRegistry

		ids = FinishedJobRegistry(queue=self.queue).get_job_ids() + FailedJobRegistry(queue=self.queue).get_job_ids()
		jobs = [j for j in Job.fetch_many(ids, connection=self.queue.connection) if j and j.enqueued_at and j.enqueued_at >= since]
		return [(j.kwargs.get("method"), j.started_at, j.ended_at, j.get_status()) for j in jobs]

	def stop(self):
		from frappe.installer import update_site_config

		if self.niceness is not None:
			update_site_config("background_process_niceness", "None", site_config_path=self.common_config)
		for p in self.procs:
			p.terminate()  # RQ: warm shutdown
		for p in self.procs:
			try:
				p.wait(timeout=30)
			except subprocess.TimeoutExpired:
				p.kill()
		for log in self.logs:
			log.close()


def due_counts():
	"""What the due tickets' notifications left behind (committed rows, read from a fresh snapshot)."""
	frappe.db.rollback()
	one = lambda q: frappe.db.sql(q)[0][0]  # noqa: E731
	return {
		"claims": one(f"select count(*) from `tabSLA Notification` where ticket like '{DUE_PREFIX}%%'"),
		"claims e-mailed": one(
			f"select count(*) from `tabSLA Notification` where ticket like '{DUE_PREFIX}%%' and emailed_at is not null"
		),
		"desk notifications": one(
			f"select count(*) from `tabNotification Log` where document_type = 'Ticket' and document_name like '{DUE_PREFIX}%%'"
		),
		"e-mails queued": one("select count(*) from `tabEmail Queue` where sender like '%%sla-bench@%%'"),
		"telegram DMs sent": one(
			f"""select count(*) from `tabTelegram Message` where direction = 'Outgoing' and status = 'Sent'
			and chat_id like '{TELEGRAM_ID_BASE // 1000}%%'"""
		),
		"telegram DMs waiting": one(
			f"""select count(*) from `tabTelegram Message` where direction = 'Outgoing' and status != 'Sent'
			and chat_id like '{TELEGRAM_ID_BASE // 1000}%%'"""
		),
	}


def complete(counts, due):
	return (
		counts["claims"] == due and counts["claims e-mailed"] == due and counts["desk notifications"] == due
		and counts["e-mails queued"] > 0 and counts["telegram DMs sent"] > 0 and counts["telegram DMs waiting"] == 0
	)


def due_run_with_workers(workers, due):
	"""From the sweep's start until every job it enqueued (SLA jobs, and the Telegram deliveries they enqueue)
	has finished and the notifications exist. The workers are already running and idle."""
	from tg_tickets.sla import sweep

	workers.wait_idle()
	since = datetime.datetime.utcnow()
	start = time.perf_counter()
	found = sweep.run()
	frappe.db.commit()  # the sweep's jobs are enqueued after commit
	swept = time.perf_counter() - start
	while True:
		time.sleep(0.01)
		if workers.busy():
			continue
		counts = due_counts()
		if complete(counts, due) and not workers.busy():
			break
		if time.perf_counter() - start > 300:
			sys.exit(f"not done after 300 s: {counts}")
	done = time.perf_counter() - start
	jobs = workers.jobs_since(since)
	return found, swept, done, jobs, counts


def profile_jobs(due):
	"""The sweep's SLA jobs run here, under cProfile (no workers): where a job's time goes."""
	import cProfile
	import pstats

	from tg_tickets.sla import sweep

	names = sweep.due_tickets()
	size = sweep.tickets_per_job(len(names))
	profiler = cProfile.Profile()
	start = time.perf_counter()
	profiler.enable()
	for i in range(0, len(names), size):
		sweep.process_tickets(names[i : i + size])
	profiler.disable()
	print(f"profile: {len(names)} due tickets in-process in {time.perf_counter() - start:.2f} s (under cProfile)")
	pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
	pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def print_due_run(found, swept, done, jobs, counts, workers, niceness):
	by_method = {}
	for method, started, ended, status in jobs:
		by_method.setdefault((method, status), []).append((ended - started).total_seconds() if started and ended else 0)
	print(f"{found} due, {workers} long-running `bench worker` processes ({niceness}, idle at start): sweep {swept * 1000:.0f} ms, "
		f"every job finished and the notifications stored at {done:.2f} s")
	for (method, status), durations in sorted(by_method.items()):
		print(f"  {len(durations):4} x {method} ({status}): {sum(durations):.2f} s in jobs, longest {max(durations):.2f} s")
	print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", default=os.environ.get("TG_TICKETS_SITE"), required=not os.environ.get("TG_TICKETS_SITE"))
	parser.add_argument("--sizes", default="10000,100000,1000000", help="open tickets with nothing due; '' to skip")
	parser.add_argument("--due", type=int, default=1000)
	parser.add_argument("--workers", type=int, default=2)
	parser.add_argument("--worker-niceness", type=int, help="instead of Frappe's (background_process_niceness, +10)")
	parser.add_argument("--rounds", type=int, default=3, help="timed runs of the due tickets")
	parser.add_argument("--profile", action="store_true", help="also run the due tickets' jobs in-process under cProfile")
	parser.add_argument("--backfill", type=int, default=0, help="legacy open tickets for the backfill patch's timing")
	parser.add_argument("--keep", action="store_true", help="keep the seeded rows")
	args = parser.parse_args()
	connect(args.site)
	ensure_fixtures()
	link_telegram_accounts()
	cleanup()
	print(f"site {args.site}: {frappe.db.count('Ticket')} tickets before seeding; {os.cpu_count()} CPUs, load {os.getloadavg()}")
	seeded = 0
	workers = None
	try:
		if args.due:
			seed(DUE_PREFIX, 0, args.due, due=True)
			workers = Workers(args.workers, args.worker_niceness)
			finished = []
			for _ in range(args.rounds):
				print(f"  load {os.getloadavg()}")
				niceness = "Frappe's niceness" if args.worker_niceness is None else f"niceness {args.worker_niceness}"
				run = due_run_with_workers(workers, args.due)
				print_due_run(*run, args.workers, niceness)
				finished.append(run[2])
				reset_due_side_effects()
			print(f"{args.due} due over {args.rounds} rounds: every job finished at median {statistics.median(finished):.2f} s, "
				f"best {min(finished):.2f} s, worst {max(finished):.2f} s")
			workers.stop()
			workers = None
			if args.profile:
				profile_jobs(args.due)
				reset_due_side_effects()
			frappe.db.sql(f"update `tabTicket` set next_sla_event_at = null where name like '{DUE_PREFIX}%%'")
			frappe.db.commit()
		for size in [int(s) for s in args.sizes.split(",") if s]:
			t = time.perf_counter()
			seed(OPEN_PREFIX, seeded, size - seeded)
			seeded = size
			print(f"seeded to {size:>9,} open tickets in {time.perf_counter() - t:6.1f} s")
			median, p95, worst = time_sweep()
			print(f"  sweep, nothing due, {open_count():>9,} open: median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms")
		if args.backfill:
			time_backfill(args.backfill)
		print("EXPLAIN:", frappe.db.sql(
			"explain select name from `tabTicket` where next_sla_event_at <= %s order by next_sla_event_at limit 5000",
			(frappe.utils.now_datetime(),),
			as_dict=True,
		))
	finally:
		if workers:
			workers.stop()
		if not args.keep:
			t = time.perf_counter()
			cleanup()
			print(f"cleaned up in {time.perf_counter() - t:.1f} s")
		frappe.destroy()


if __name__ == "__main__":
	main()
