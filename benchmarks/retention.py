"""Issue 14 benchmark: a retention policy purging 100,000 closed tickets with their messages, while the
desk's ticket list call (`frappe.desk.reportview.get` through our wrapper, as in benchmarks/ticket_list.py,
newest first, as a Tickets Member) is sampled from another process and connection.

Seeds the site's base tickets once (kept between runs) and, before every run, the old closed tickets the
policy purges (each with its chat link, status log row, comment, search row and `--messages` messages).
Prints the purge time, the list call's p50/p95/max before and during the purge, and the load average.
It asserts nothing.

    scripts/benchmark retention [--purge 100000] [--base 200000] [--messages 3] [--batch 500]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _site import connect, fmt, summary

OLD_CATEGORY = "Bench retention old"
MEMBER = "agent0@bench.test"
CODE = "concat('{prefix}', lpad({n}, 7, '0'))"


def seed_base(frappe, base: int):
	"""Tickets the policy never selects (newer, or open): what the desk lists while the purge runs."""
	db = frappe.db
	have = db.sql("select count(*) from `tabTicket` where name like 'B%%'")[0][0]
	if have == base:
		return
	print(f"seeding {base:,} base tickets ...", flush=True)
	started = time.time()
	db.sql("delete from `tabTicket` where name like 'B%%'")
	db.sql("delete from `tabTelegram Message` where name like 'bm%%'")
	db.commit()
	for low in range(1, base + 1, 100_000):
		high = min(base, low + 99_999)
		db.sql(f"""insert into `tabTicket` (name, creation, modified, modified_by, owner, docstatus, idx, title,
				description, status, status_rank, priority, priority_rank, assigned_to, closed_at)
			select {CODE.format(prefix='B', n='seq')}, timestampadd(second, seq * 60, now() - interval 200 day),
				timestampadd(second, seq * 60, now() - interval 200 day), 'Administrator', 'Administrator', 0, 0,
				concat('Customer question ', seq), 'Base ticket', elt(1 + seq mod 6, 'NEW','OPEN','PENDING','BLOCKED','SOLVED','CLOSED'),
				1 + seq mod 6, 'MEDIUM', 2, if(seq mod 10 = 3, null, concat('agent', seq mod 20, '@bench.test')),
				if(seq mod 6 = 5, timestampadd(second, seq * 60, now() - interval 100 day), null)
			from seq_1_to_{high} where seq >= {low}""")
		db.sql(f"""insert into `tabTelegram Message` (name, creation, modified, modified_by, owner, docstatus, idx,
				ticket, direction, chat, chat_id, sender_id, text, message_key, message_id)
			select concat('bm', seq), now(), now(), 'Administrator', 'Administrator', 0, 0,
				{CODE.format(prefix='B', n='seq')}, 'Incoming', 'bench-chat', 'bench-chat', '42',
				concat('Hello, I need help with order ', seq), concat('bench:b:', seq), seq
			from seq_1_to_{high} where seq >= {low}""")
		db.commit()
	from tg_tickets.tickets.search import backfill_search_table

	backfill_search_table()
	db.commit()
	print(f"  base seeded in {time.time() - started:.0f} s", flush=True)


def seed_old(frappe, purge: int, messages: int):
	"""The tickets the policy purges: closed two years ago, with their rows."""
	db = frappe.db
	print(f"seeding {purge:,} old closed tickets with {messages} messages each ...", flush=True)
	started = time.time()
	if not db.exists("Ticket Category", OLD_CATEGORY):
		frappe.get_doc({"doctype": "Ticket Category", "category_name": OLD_CATEGORY, "enabled": 1}).insert(ignore_permissions=True)
	if not db.exists("Linked Chat", "bench-chat"):
		db.sql("""insert into `tabLinked Chat` (name, chat_id, title, chat_type, creation, modified, owner, modified_by,
			docstatus, idx) values ('bench-chat', 'bench-chat', 'Bench customer', 'Private', now(), now(), 'Administrator',
			'Administrator', 0, 0)""")
	for low in range(1, purge + 1, 50_000):
		high = min(purge, low + 49_999)
		name = CODE.format(prefix="R", n="seq")
		rows = f"from seq_1_to_{high} where seq >= {low}"
		db.sql(f"""insert into `tabTicket` (name, creation, modified, modified_by, owner, docstatus, idx, title,
				description, status, status_rank, priority, priority_rank, category, closed_at)
			select {name}, timestampadd(second, seq * 60, now() - interval 800 day),
				timestampadd(second, seq * 60, now() - interval 800 day), 'Administrator', 'Administrator', 0, 0,
				concat('Old question ', seq), 'Old ticket', 'CLOSED', 6, 'MEDIUM', 2, '{OLD_CATEGORY}',
				timestampadd(second, seq * 60, now() - interval 790 day) {rows}""")
		db.sql(f"""insert into `tabTicket Chat` (name, parent, parenttype, parentfield, idx, chat, creation, modified,
				owner, modified_by, docstatus)
			select concat('rc', seq), {name}, 'Ticket', 'chats', 1, 'bench-chat', now(), now(), 'Administrator',
				'Administrator', 0 {rows}""")
		db.sql(f"""insert into `tabTicket Status Log` (name, creation, modified, modified_by, owner, docstatus, idx,
				ticket, status, changed_at)
			select concat('rs', seq), now(), now(), 'Administrator', 'Administrator', 0, 0, {name}, 'CLOSED', now() {rows}""")
		db.sql(f"""insert into `tabComment` (name, creation, modified, modified_by, owner, docstatus, idx,
				comment_type, reference_doctype, reference_name, content)
			select concat('rcm', seq), now(), now(), 'Administrator', 'Administrator', 0, 0, 'Comment', 'Ticket', {name},
				'Customer gave their phone' {rows}""")
		for k in range(messages):
			db.sql(f"""insert into `tabTelegram Message` (name, creation, modified, modified_by, owner, docstatus, idx,
					ticket, direction, chat, chat_id, sender_id, text, message_key, message_id)
				select concat('rm', seq, '-', {k}), now(), now(), 'Administrator', 'Administrator', 0, 0, {name},
					'Incoming', 'bench-chat', 'bench-chat', '42', concat('Old message ', seq),
					concat('bench:r:', seq, ':', {k}), seq * 10 + {k} {rows}""")
		db.commit()
	db.sql("""insert ignore into `tg_ticket_search_text` (creation, ticket, body)
		select creation, name, lower(title) from `tabTicket` where name like 'R%%'""")
	db.sql("analyze table `tabTicket`, `tabTelegram Message`, `tabTicket Chat`")
	db.commit()
	print(f"  old tickets seeded in {time.time() - started:.0f} s", flush=True)


def sample(out_path: str, stop_path: str):
	"""The other connection: the desk's list call, over and over, until told to stop."""
	from ticket_list import LIST_FIELDS, reportview_get

	frappe = connect()
	frappe.set_user(MEMBER)
	params = {"doctype": "Ticket", "fields": LIST_FIELDS, "page_length": 20, "start": 0, "with_comment_count": 0,
		"order_by": "`tabTicket`.`creation` desc", "filters": []}
	samples = []
	while not os.path.exists(stop_path):
		start = time.perf_counter()
		reportview_get(frappe, params)
		frappe.db.commit()  # a fresh snapshot each time, as each web request has
		samples.append((time.perf_counter() - start) * 1000)
		time.sleep(0.05)
	Path(out_path).write_text(json.dumps(samples))


def sampled_while(fn, label: str):
	out, stop = f"/tmp/tg-retention-{os.getpid()}-{label}.json", f"/tmp/tg-retention-{os.getpid()}-{label}.stop"
	for path in (out, stop):
		if os.path.exists(path):
			os.remove(path)
	sampler = subprocess.Popen([sys.executable, __file__, "--sample", out, stop], env=os.environ.copy())
	time.sleep(3)  # the sampler connects and warms up
	started = time.time()
	result = fn()
	elapsed = time.time() - started
	Path(stop).write_text("")
	sampler.wait(timeout=60)
	samples = json.loads(Path(out).read_text())
	os.remove(out)
	os.remove(stop)
	return result, elapsed, samples


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--purge", type=int, default=100_000)
	parser.add_argument("--base", type=int, default=200_000)
	parser.add_argument("--messages", type=int, default=3)
	parser.add_argument("--batch", type=int, default=500)
	parser.add_argument("--sample", nargs=2)
	options = parser.parse_args()
	if options.sample:
		sample(*options.sample)
		return

	frappe = connect()
	if not frappe.conf.get("tg_sla_benchmark_site"):
		sys.exit("refusing: not a benchmark site")
	frappe.db.sql("set session max_statement_time = 0")
	from tests.factories import make_user

	for i in range(20):
		make_user(f"agent{i}@bench.test", "Tickets Member")
	frappe.db.set_single_value("Tickets Settings", "enabled", 1)
	frappe.db.commit()
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
	seed_base(frappe, options.base)
	# what a run stopped midway left
	for table, column, prefix in (("tabTicket", "name", "R"), ("tabTicket Chat", "name", "rc"),
			("tabTicket Status Log", "name", "rs"), ("tabComment", "name", "rcm"), ("tabTelegram Message", "name", "rm"),
			("tg_ticket_search_text", "ticket", "R")):
		frappe.db.sql(f"delete from `{table}` where `{column}` like '{prefix}%%'")
	frappe.db.commit()
	seed_old(frappe, options.purge, options.messages)

	from tg_tickets.privacy import retention

	policy_name = "Bench retention"
	if frappe.db.exists("Retention Policy", policy_name):
		frappe.delete_doc("Retention Policy", policy_name, ignore_permissions=True, force=True)
	policy = frappe.get_doc({"doctype": "Retention Policy", "policy_name": policy_name, "action": "Delete",
		"closed_for_days": 365, "statuses": "CLOSED", "category": OLD_CATEGORY, "batch_size": options.batch}).insert(
		ignore_permissions=True)
	frappe.db.commit()
	total = frappe.db.count("Ticket")
	messages = frappe.db.count("Telegram Message")
	print(f"\n{total:,} tickets, {messages:,} messages; load average before: {os.getloadavg()}")

	_, _, idle = sampled_while(lambda: time.sleep(10), "idle")
	started = time.time()
	matched = retention.dry_run(policy.name)
	print(f"dry run: {matched:,} tickets match ({time.time() - started:.2f} s)")
	run, elapsed, during = sampled_while(lambda: retention.run_policy(policy.name, run_by="Benchmark"), "purge")
	record = frappe.get_doc("Retention Run", run)
	details = json.loads(record.details)
	left = frappe.db.sql("select count(*) from `tabTicket` where name like 'R%%'")[0][0]
	left_messages = frappe.db.sql("select count(*) from `tabTelegram Message` where name like 'rm%%'")[0][0]
	print(f"purge ({options.batch} tickets per batch): {record.tickets_processed:,} tickets, "
		f"{details.get('Telegram Message', 0):,} messages, {record.rows_removed:,} rows in {elapsed:.1f} s "
		f"({record.tickets_processed / elapsed:,.0f} tickets/s); left: {left} tickets, {left_messages} messages")
	print(f"ticket list (desk's reportview.get, newest first, {MEMBER}) from another connection:")
	print(f"  before the purge ({len(idle)} samples): {fmt(summary(idle))}")
	print(f"  during the purge ({len(during)} samples): {fmt(summary(during))}")
	print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
	main()
