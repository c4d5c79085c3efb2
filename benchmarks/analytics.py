"""Support figures at 1,000,000 tickets over two years: the 30-day summary, a 12-month weekly trend and the
per-agent table for a quarter (tg_tickets/analytics/figures.py, the reads behind the Ticket Analytics report,
its Number Cards and Dashboard Charts), each timed and each statement's plan printed with MariaDB's ANALYZE
(estimated rows and rows actually read per table) beside the number of rows it matched. The reads take the day
summaries (tg_tickets/analytics/days.py; built once after seeding, the time printed) and today's rows, marked
changed as they would be in use; a filter the summaries cannot answer (a team's agents) reads the period's rows.

Seeds the benchmark site's Ticket Metrics once with bulk SQL (reused by later runs): the figures read only that
table, one row per ticket, created evenly over the last two years (~1,370 a day), 90 % resolved, 80 % closed,
60 % of the closed rated. It prints figures; it asserts nothing. Usage: scripts/benchmark analytics [--reseed]
"""

import argparse
import re
import os
import time
from datetime import timedelta

from _site import connect, fmt, timed

AGENTS, TEAMS, CATEGORIES = 20, 4, 8
SEED_MARKER = "bench-analytics-v1"


def seed(frappe, tickets: int):
	print(f"seeding {tickets:,} Ticket Metrics rows over two years ...", flush=True)
	started = time.time()
	db = frappe.db
	db.sql("truncate `tabTicket Metrics`")
	span = 730 * 86400
	batch = 100_000
	for low in range(1, tickets + 1, batch):
		high = min(tickets, low + batch - 1)
		# created evenly over the two years before now; response, resolution and handle times spread by hashes
		db.sql(f"""insert into `tabTicket Metrics` (name, ticket, creation, modified, owner, modified_by, docstatus, idx,
				status, team, agent, category, priority, chat_type, created_on, created_date, created_week,
				first_response_on, first_response_seconds, first_response_business_seconds,
				resolved_on, resolved_date, resolution_seconds, resolution_business_seconds,
				closed_on, closed_date, open_since, handle_seconds, agent_replies, customer_messages, reopen_count,
				first_contact_resolution, rating, rated, sentiment, sla_met, sla_breached)
			select concat('BM', seq), concat('BM', seq), c, c, 'Administrator', 'Administrator', 0, 0,
				if(res, if(clo, 'CLOSED', 'SOLVED'), 'OPEN'),
				concat('Team ', seq mod {TEAMS}), concat('agent', (seq * 7) mod {AGENTS}, '@bench.test'),
				concat('Category ', (seq * 3) mod {CATEGORIES}), elt(1 + seq mod 3, 'LOW', 'MEDIUM', 'HIGH'),
				if(seq mod 10 = 0, 'Group', 'Private'), c, date(c), date_sub(date(c), interval weekday(c) day),
				if(frt is null, null, timestampadd(second, frt, c)), frt, frt * 0.4,
				if(res, timestampadd(second, rt, c), null), if(res, date(timestampadd(second, rt, c)), null),
				if(res, rt, null), if(res, rt * 0.35, null),
				if(clo, timestampadd(second, rt + 86400, c), null), if(clo, date(timestampadd(second, rt + 86400, c)), null),
				if(res, null, c), if(frt is null, 0, frt + (seq * 31) mod 7200), 1 + seq mod 3, 1 + seq mod 4, if(seq mod 17 = 0, 1, 0),
				if(res and seq mod 3 = 0 and seq mod 17 != 0, 1, 0),
				if(clo and seq mod 5 < 3, 1 + (seq * 11) mod 5, 0), if(clo and seq mod 5 < 3, 1, 0),
				((seq * 13) mod 200) / 100 - 1, if(res and seq mod 7 != 0, 1, 0), if(res and seq mod 7 = 0, 1, 0)
			from (select seq, timestampadd(second, -{span} + floor(seq * {span} / {tickets}), now()) as c,
					if(seq mod 20 = 0, null, (seq * 104729) mod 36000) as frt,
					600 + (seq * 7919) mod 259200 as rt,
					seq mod 10 != 0 as res, seq mod 10 not in (0, 1) as clo
				from seq_1_to_{tickets} where seq between {low} and {high}) s""")
		db.commit()
		print(f"  {high:,} rows ({time.time() - started:.0f} s)", flush=True)
	# rows "resolved" in the future are the still-open work of the last days
	db.sql("""update `tabTicket Metrics` set status = 'OPEN', resolved_on = null, resolved_date = null,
		resolution_seconds = null, resolution_business_seconds = null, closed_on = null, closed_date = null,
		open_since = created_on, rating = 0, rated = 0, first_contact_resolution = 0, sla_met = 0, sla_breached = 0
		where resolved_on > now()""")
	db.sql("update `tabTicket Metrics` set closed_on = null, closed_date = null, rating = 0, rated = 0, status = 'SOLVED' where closed_on > now()")
	db.sql("analyze table `tabTicket Metrics`")
	frappe.cache.set_value(SEED_MARKER, tickets)
	db.commit()
	print(f"seeded in {time.time() - started:.0f} s", flush=True)


def explain(frappe, statements):
	"""ANALYZE of each statement a read ran: per table, estimated rows and rows read, beside what it matched (day
	summaries) or the Ticket Metrics rows of its range (its days; with its filters)."""
	for kind, sql, values in statements:
		plan = frappe.db.sql("analyze " + sql, values, as_dict=True)
		if "tg_ticket_metrics_day" in sql:
			matched = frappe.db.sql(f"select count(*) from ({sql}) m", values)[0][0]
			what = f"day summaries matched {matched:>7,}"
		else:
			where = sql[sql.index("where ") : sql.index("group by")]
			# the filters come last: " and `team` = %s" ...
			dates = re.sub(r" and `(agent|team|category|priority|chat_type)` = %s", "", where)
			date_values = values[: dates.count("%s")]
			in_range = frappe.db.sql(f"select count(*) from `tabTicket Metrics` {dates}", date_values)[0][0]
			filtered = frappe.db.sql(f"select count(*) from `tabTicket Metrics` {where}", values)[0][0]
			what = f"rows in its days {in_range:>7,}, with filters {filtered:>7,}"
		parts = [f"{step.get('table')}: key {step.get('key')}, rows {step.get('rows')}, read {step.get('r_rows')}" for step in plan]
		print(f"    {kind:9} {what} | " + " ; ".join(parts), flush=True)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--tickets", type=int, default=1_000_000)
	parser.add_argument("--runs", type=int, default=20)
	parser.add_argument("--reseed", action="store_true")
	options = parser.parse_args()

	frappe = connect()
	frappe.db.sql("set session max_statement_time = 0")
	have = frappe.db.sql("select count(*) from `tabTicket Metrics`")[0][0]
	if options.reseed or have != options.tickets or frappe.cache.get_value(SEED_MARKER) != options.tickets:
		seed(frappe, options.tickets)
	from frappe.utils import now_datetime

	from tg_tickets.analytics import days, figures, partials
	from tg_tickets.tg_tickets.doctype.ticket_metrics.ticket_metrics import on_doctype_update

	on_doctype_update()  # the indexes of the code under test (add_index skips those that exist)
	days.ensure_tables()
	if options.reseed or not days._complete(days._epoch()):
		started = time.time()
		built = days.rebuild(everything=True)
		print(f"day summaries built: {built:,} days in {time.time() - started:.1f} s", flush=True)

	now = now_datetime()
	today = now.date()
	load = os.getloadavg()
	total = frappe.db.sql("select count(*) from `tabTicket Metrics`")[0][0]
	print(f"\n{total:,} Ticket Metrics rows; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {options.runs} runs each")
	cases = [
		("30-day summary (cards)", figures.Query(today - timedelta(days=29), today), "p95 <= 300 ms"),
		("30-day summary, one agent (member)", figures.Query(today - timedelta(days=29), today, agent="agent3@bench.test"), ""),
		("12-month weekly trend", figures.Query(today - timedelta(days=364), today, group_by="Week"), "<= 1 s"),
		("per-agent table, a quarter", figures.Query(today - timedelta(days=89), today, group_by="Agent"), "<= 500 ms"),
		("30-day volume per day (chart)", figures.Query(today - timedelta(days=29), today, group_by="Day"), ""),
		("a team's agents, 30 days (rows)", figures.Query(today - timedelta(days=29), today, team="Team 1", group_by="Agent"), ""),
	]
	# As in use, the last days have changed since their summaries were built: reads take those days' rows.
	latest = frappe.db.sql("select max(created_date) from `tabTicket Metrics`")[0][0]
	days.count_changes({(kind, day) for kind in partials.KINDS for day in (latest, latest - timedelta(days=1))})
	for label, query, target in cases:
		statements = []
		result = figures.rows(query, now, statements)
		stats = timed(lambda i: figures.rows(query, now), options.runs)
		print(f"{label:38} {fmt(stats)}   ({len(result)} rows out; target {target or '-'})", flush=True)
		explain(frappe, statements)
	load = os.getloadavg()
	print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
	main()
