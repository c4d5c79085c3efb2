"""Lifecycle benchmark: the auto-close sweep (10,000 due among 1,000,000 tickets, end to end through
long-running RQ workers; and with nothing due), sentiment scoring per inbound message, and escalation
evaluation for 1,000 due tickets.

1. Seeds N tickets in bulk (default 1,000,000: most closed or open, 1 % SOLVED with an auto-close time in the
   future) plus DUE tickets (default 10,000) SOLVED, each with its customer chat, whose warning is due. Times
   the minute sweep with nothing due (DUE not yet due), then from the sweep's start until the workers have
   queued every warning (round 1: warn), then again once the closes are due (round 2: close, a full save per
   ticket: topics, SLA, routing, history).
2. Sentiment: scores a realistic mix of English and Russian customer messages (µs per message) and times the
   inbox's follow-up insert with its scoring and trend update for batches of messages on 200 open tickets.
3. Escalation: 1,000 open tickets due for a look, one rule per trigger kind; times the evaluation when no
   rule fires, and when one rule fires on each (priority raised: a full save per ticket).

Runs on its own benchmark site (`scripts/benchmark lifecycle`), removes what it seeded (unless --keep), and
prints figures; it asserts nothing about time.
  scripts/benchmark lifecycle [--tickets 1000000] [--due 10000] [--workers 2] [--escalation 1000]
"""

import argparse
import datetime
import os
import statistics
import sys
import time

import frappe

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sla_sweep import Workers  # noqa: E402  (the same long-running workers as the SLA benchmark)

BULK_PREFIX = "LCB"  # the million: nothing due
DUE_PREFIX = "LCD"  # SOLVED, warning due
ESC_PREFIX = "LCE"  # open, escalation look due
CHAT_BASE = 9_300_000_000
RULE = "Lifecycle benchmark"
ESC_RULES = ("LC bench breach", "LC bench sentiment", "LC bench age", "LC bench reopened")

MESSAGES = [
	"Thanks, that fixed it!", "This is terrible, nothing works since yesterday", "Can you check my invoice please?",
	"Спасибо большое, всё отлично работает", "Опять не работает, это ужасно", "Подскажите, как сменить пароль?",
	"I am very disappointed with the service, this is the third time", "ok", "Хорошо, но очень медленно",
	"The app crashes when I open the settings page, please help", "Не могу войти в личный кабинет уже второй день!!!",
	"Great support, quick and friendly 👍",
]


def connect(site):
	frappe.init(site=site, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	if not frappe.get_conf().get("tg_sla_benchmark_site"):
		sys.exit(f"{site} is not marked as a benchmark site (scripts/benchmark marks it)")


def now():
	return frappe.utils.now_datetime()


def insert_tickets(prefix, first, count, status, extra_columns="", extra_values=""):
	chunk = 100_000
	for start in range(first, first + count, chunk):
		end = min(start + chunk, first + count) - 1
		frappe.db.sql(
			f"""insert into `tabTicket` (name, creation, modified, owner, modified_by, docstatus, idx, title, status,
				priority, status_rank, priority_rank, file_count, comment_count, sla_escalation_disabled,
				sla_policy_overridden, reopen_count, closed_by_system, escalation_disabled{extra_columns})
			select concat(%(prefix)s, lpad(seq, 7, '0')), %(now)s - interval 3 day, %(now)s, 'Administrator',
				'Administrator', 0, 0, concat('Lifecycle ticket ', seq), {status}, 'MEDIUM', 2, 2, 0, 0, 0, 0, 0, 0, 0
				{extra_values}
			from seq_{start}_to_{end}""",
			{"prefix": prefix, "now": now()},
		)
		frappe.db.commit()


def seed_bulk(count):
	# 1 % SOLVED with their auto-close ahead, the rest CLOSED or OPEN (no auto-close time)
	insert_tickets(BULK_PREFIX, 0, count,
		"if(seq mod 100 = 0, 'SOLVED', if(seq mod 2 = 0, 'CLOSED', 'OPEN'))",
		", next_auto_close_event_at, auto_close_at, auto_close_rule",
		f", if(seq mod 100 = 0, %(now)s + interval 1 day + interval (seq mod 86400) second, null), "
		f"if(seq mod 100 = 0, %(now)s + interval 3 day, null), if(seq mod 100 = 0, {frappe.db.escape(RULE)}, null)")


def seed_due(count):
	"""SOLVED tickets whose warning is due, each with its own private customer chat."""
	insert_tickets(DUE_PREFIX, 0, count, "'SOLVED'",
		", next_auto_close_event_at, auto_close_at, auto_close_rule",
		f", %(now)s - interval 1 minute, %(now)s + interval 1 day, {frappe.db.escape(RULE)}")
	chunk = 100_000
	for start in range(0, count, chunk):
		end = min(start + chunk, count) - 1
		frappe.db.sql(
			f"""insert into `tabLinked Chat` (name, creation, modified, owner, modified_by, docstatus, idx, chat_id,
				title, chat_type, ticket_count)
			select {CHAT_BASE} + seq, %(now)s, %(now)s, 'Administrator', 'Administrator', 0, 0, {CHAT_BASE} + seq,
				concat('Customer ', seq), 'Private', 1 from seq_{start}_to_{end}""",
			{"now": now()},
		)
		frappe.db.sql(
			f"""insert into `tabTicket Chat` (name, creation, modified, owner, modified_by, docstatus, idx, parent,
				parentfield, parenttype, chat)
			select concat('lcc', seq), %(now)s, %(now)s, 'Administrator', 'Administrator', 0, 1,
				concat(%(prefix)s, lpad(seq, 7, '0')), 'chats', 'Ticket', {CHAT_BASE} + seq from seq_{start}_to_{end}""",
			{"now": now(), "prefix": DUE_PREFIX},
		)
		frappe.db.commit()


def cleanup():
	for prefix in (BULK_PREFIX, DUE_PREFIX, ESC_PREFIX):
		for table, column in (("Telegram Message", "ticket"), ("Comment", "reference_name"), ("Escalation Log", "ticket"),
				("Ticket Status Log", "ticket"), ("Version", "docname"), ("Ticket Chat", "parent"), ("Ticket", "name")):
			while frappe.db.sql(f"select 1 from `tab{table}` where `{column}` like '{prefix}%%' limit 1"):
				frappe.db.sql(f"delete from `tab{table}` where `{column}` like '{prefix}%%' limit 50000")
				frappe.db.commit()
	frappe.db.sql(f"delete from `tabLinked Chat` where name like '{str(CHAT_BASE)[:4]}%%'")
	frappe.db.sql(f"delete from `tabTelegram Recorded Request` where chat_id like '{str(CHAT_BASE)[:4]}%%'")
	for rule in ESC_RULES:
		frappe.db.delete("Escalation Rule", rule)
	frappe.db.delete("Auto Close Rule", RULE)
	frappe.db.commit()
	frappe.cache.delete_value("tg_tickets:auto_close_rules")
	frappe.cache.delete_value("tg_tickets:escalation_rules")


def ensure_rule():
	if not frappe.db.exists("Auto Close Rule", RULE):
		frappe.get_doc({"doctype": "Auto Close Rule", "rule_name": RULE, "close_after_hours": 72, "warn_before_hours": 24,
			"reopen_window_hours": 48}).insert(ignore_permissions=True)
	# The live transport with placeholder credentials and no listener running: the outbox hands the warnings'
	# chats to the listener's Redis list (as production does) and they stay Queued. Telegram itself sends a bot's
	# messages at about 30 a second, so delivering 10,000 warnings is Telegram's pace, not the sweep's.
	settings = frappe.get_single("Tickets Settings")
	settings.update({"enabled": 1, "transport": "telegram", "topic_group_chat": None, "ratings_enabled": 0,
		"api_id": 12345, "api_hash": "0123456789abcdef0123456789abcdef", "bot_token": "12345:lifecycle-benchmark"})
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.db.commit()


def restore_settings():
	from frappe.utils.password import remove_encrypted_password

	from tg_tickets.telegram.delivery import OUTBOX_LIST

	frappe.db.set_single_value("Tickets Settings", {"transport": "record", "api_id": None})
	for field in ("api_hash", "bot_token"):
		remove_encrypted_password("Tickets Settings", "Tickets Settings", field)
	frappe.cache.delete_value(OUTBOX_LIST)
	frappe.db.commit()
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")


def time_sweep_nothing_due(runs=50):
	from tg_tickets.lifecycle import auto_close

	samples = []
	for _ in range(runs):
		start = time.perf_counter()
		found = auto_close.run()
		samples.append((time.perf_counter() - start) * 1000)
		frappe.db.rollback()
		assert found == 0, f"{found} unexpectedly due"
	samples.sort()
	return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], samples[-1]


def count(sql):
	frappe.db.rollback()
	return frappe.db.sql(sql)[0][0]


def through_workers(workers, expected, done_sql, label):
	from tg_tickets.lifecycle import auto_close

	workers.wait_idle()
	since = datetime.datetime.utcnow()
	start = time.perf_counter()
	found = auto_close.run()
	frappe.db.commit()  # jobs are enqueued after commit
	swept = time.perf_counter() - start
	while True:
		time.sleep(0.05)
		if workers.busy():
			continue
		if count(done_sql) >= expected and not workers.busy():
			break
		if time.perf_counter() - start > 900:
			sys.exit(f"{label}: not done after 900 s ({count(done_sql)} of {expected})")
	took = time.perf_counter() - start
	jobs = workers.jobs_since(since)
	longest = max(((e - s).total_seconds() for _m, s, e, _st in jobs if s and e), default=0)
	print(f"  {label}: {found:,} due, sweep {swept * 1000:.0f} ms, all {len(jobs)} jobs finished and {expected:,} tickets done "
		f"at {took:.1f} s (longest job {longest:.1f} s; load {os.getloadavg()[0]:.1f})")
	return took


def auto_close_part(args):
	print(f"1. auto-close: seeding {args.tickets:,} tickets and {args.due:,} due …")
	t = time.perf_counter()
	seed_bulk(args.tickets - args.due)
	seed_due(args.due)
	print(f"  seeded in {time.perf_counter() - t:.0f} s; {frappe.db.count('Ticket'):,} tickets on the site")
	frappe.db.sql(f"update `tabTicket` set next_auto_close_event_at = %s + interval 2 hour where name like '{DUE_PREFIX}%%'", now())
	frappe.db.commit()
	median, p95, worst = time_sweep_nothing_due()
	print(f"  sweep with nothing due: median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms (load {os.getloadavg()[0]:.1f})")
	print("  EXPLAIN:", frappe.db.sql("explain select name from `tabTicket` where next_auto_close_event_at <= %s "
		"order by next_auto_close_event_at limit 10000", now(), as_dict=True))
	frappe.db.sql(f"update `tabTicket` set next_auto_close_event_at = %s - interval 1 minute where name like '{DUE_PREFIX}%%'", now())
	frappe.db.commit()
	workers = Workers(args.workers)
	try:
		warn = through_workers(workers, args.due,
			f"select count(*) from `tabTicket` where name like '{DUE_PREFIX}%%' and auto_close_warned_at is not null",
			"round 1, warnings queued")
		warnings = count(f"select count(*) from `tabTelegram Message` where ticket like '{DUE_PREFIX}%%' and payload like '%%lc:h:%%'")
		frappe.db.sql(f"""update `tabTicket` set next_auto_close_event_at = %s - interval 1 minute,
			auto_close_at = %s - interval 1 minute where name like '{DUE_PREFIX}%%'""", (now(), now()))
		frappe.db.commit()
		close = through_workers(workers, args.due,
			f"select count(*) from `tabTicket` where name like '{DUE_PREFIX}%%' and status = 'CLOSED'",
			"round 2, tickets closed")
	finally:
		workers.stop()
	closed_by_system = count(f"select count(*) from `tabTicket` where name like '{DUE_PREFIX}%%' and closed_by_system = 1")
	print(f"  {warnings:,} warning messages with the button; {closed_by_system:,} closed by the system "
		f"(warn {warn:.1f} s, close {close:.1f} s)")


def sentiment_part(args):
	from tg_tickets.lifecycle import sentiment, sentiment_trend
	from tg_tickets.telegram import routes
	from tg_tickets.telegram.records import InboundRecord

	print("2. sentiment")
	texts = MESSAGES * 500
	sentiment.score("warm up")
	start = time.perf_counter()
	for text in texts:
		sentiment.score(text)
	per = (time.perf_counter() - start) / len(texts) * 1e6
	print(f"  scoring alone: {per:.0f} µs a message ({len(texts):,} English and Russian messages)")
	chats = 200
	insert_tickets(ESC_PREFIX, 0, chats, "'OPEN'")
	frappe.db.sql(
		f"""insert into `tabTicket Chat` (name, creation, modified, owner, modified_by, docstatus, idx, parent,
			parentfield, parenttype, chat)
		select concat('lcs', seq), %(now)s, %(now)s, 'Administrator', 'Administrator', 0, 1,
			concat(%(prefix)s, lpad(seq, 7, '0')), 'chats', 'Ticket', {CHAT_BASE + 500_000} + seq from seq_0_to_{chats - 1}""",
		{"now": now(), "prefix": ESC_PREFIX},
	)
	frappe.db.commit()
	batches, per_batch = 10, 200
	timings = {"scoring": 0.0, "trend update": 0.0, "whole insert": 0.0}
	message_id = 1
	for batch in range(batches):
		context = routes.BatchContext()
		records = []
		for i in range(per_batch):
			chat = CHAT_BASE + 500_000 + (i % chats)
			records.append(InboundRecord(bot_id=1, chat_id=chat, message_id=message_id, kind="message", key=f"lc{message_id}",
				chat_type="Private", date=datetime.datetime.utcnow().isoformat(), text=MESSAGES[message_id % len(MESSAGES)]))
			message_id += 1
		context.current_ticket = {str(CHAT_BASE + 500_000 + i): (f"{ESC_PREFIX}{i:07d}", "OPEN") for i in range(chats)}
		t = time.perf_counter()
		sentiment_trend.score_texts([r.text for r in records])
		timings["scoring"] += time.perf_counter() - t
		t = time.perf_counter()
		context.insert_followups(records)
		scores = dict(context.scores)
		timings["whole insert"] += time.perf_counter() - t
		t = time.perf_counter()
		sentiment_trend.update_trends(scores)
		timings["trend update"] += time.perf_counter() - t
		frappe.db.commit()
	n = batches * per_batch
	whole = timings["whole insert"] + timings["trend update"]
	print(f"  inbox follow-up insert of {n:,} messages in batches of {per_batch}: {whole / n * 1000:.3f} ms a message in all, "
		f"of which scoring {timings['scoring'] / n * 1000:.3f} ms and the trend update {timings['trend update'] / n * 1000:.3f} ms")


def escalation_part(args):
	from tg_tickets.lifecycle import escalation

	print(f"3. escalation: {args.escalation:,} open tickets due for a look")
	frappe.db.sql(f"delete from `tabTicket Chat` where parent like '{ESC_PREFIX}%%'")
	frappe.db.sql(f"delete from `tabTelegram Message` where ticket like '{ESC_PREFIX}%%'")
	frappe.db.sql(f"delete from `tabTicket` where name like '{ESC_PREFIX}%%'")
	frappe.db.commit()
	insert_tickets(ESC_PREFIX, 0, args.escalation, "'OPEN'", ", next_escalation_at", ", %(now)s - interval 1 minute")
	rules = [
		dict(rule_name=ESC_RULES[0], trigger="SLA breach", raise_priority=1),
		dict(rule_name=ESC_RULES[1], trigger="Customer sentiment", sentiment_messages=3, sentiment_threshold=-0.5, raise_priority=1),
		dict(rule_name=ESC_RULES[2], trigger="Ticket age", age_hours=24 * 30, raise_priority=1,
			conditions=[{"ticket_field": "priority", "operator": "in", "value": "MEDIUM, HIGH"}]),
		dict(rule_name=ESC_RULES[3], trigger="Reopened", reopened_times=2, raise_priority=1),
	]
	for rule in rules:
		frappe.get_doc({"doctype": "Escalation Rule", "enabled": 1, **rule}).insert(ignore_permissions=True)
	frappe.db.commit()
	names = escalation.due_tickets()
	start = time.perf_counter()
	for i in range(0, len(names), escalation.TICKETS_PER_JOB):
		escalation.process_tickets(names[i : i + escalation.TICKETS_PER_JOB])
	took = time.perf_counter() - start
	print(f"  {len(names):,} due, no rule fires (the age rule's 30 days are ahead): evaluated in {took:.2f} s")
	frappe.db.set_value("Escalation Rule", ESC_RULES[2], "age_hours", 1)
	frappe.db.sql(f"update `tabTicket` set next_escalation_at = %s - interval 1 minute where name like '{ESC_PREFIX}%%'", now())
	frappe.db.commit()
	escalation.forget_rules()
	names = escalation.due_tickets()
	start = time.perf_counter()
	fired = 0
	for i in range(0, len(names), escalation.TICKETS_PER_JOB):
		fired += len(escalation.process_tickets(names[i : i + escalation.TICKETS_PER_JOB]))
	took = time.perf_counter() - start
	print(f"  {len(names):,} due, the age rule fires on {fired:,} (priority raised, history, bell): {took:.2f} s")


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", default=os.environ.get("TG_TICKETS_SITE"))
	parser.add_argument("--tickets", type=int, default=1_000_000)
	parser.add_argument("--due", type=int, default=10_000)
	parser.add_argument("--workers", type=int, default=2)
	parser.add_argument("--escalation", type=int, default=1000)
	parser.add_argument("--parts", default="auto_close,sentiment,escalation")
	parser.add_argument("--keep", action="store_true")
	args = parser.parse_args()
	connect(args.site)
	cleanup()
	ensure_rule()
	print(f"site {args.site}: {os.cpu_count()} CPUs, load {os.getloadavg()}")
	try:
		parts = args.parts.split(",")
		if "auto_close" in parts:
			auto_close_part(args)
		if "sentiment" in parts:
			sentiment_part(args)
		if "escalation" in parts:
			escalation_part(args)
	finally:
		restore_settings()
		if not args.keep:
			cleanup()


if __name__ == "__main__":
	main()
