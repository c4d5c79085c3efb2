"""Issue 3 benchmark: the desk's ticket list query at 1,000,000 tickets and 100,000 chats.

Seeds the benchmark site once with bulk SQL (reused by later runs), then times the desk's list call,
`frappe.desk.reportview.get` (our ticket-aware wrapper of it) as a Tickets Member, for each query
the desk makes, and runs the same SQL against a copy of the tables that carries only Frappe's
default indexes (primary key, modified, creation; parent on the child table), side by side.
It prints figures; it asserts nothing.

    scripts/benchmark ticket_list [--tickets 1000000] [--chats 100000] [--runs 30] [--reseed]
"""

import argparse
import time

from _site import connect, fmt, load, rows_read, timed

AGENTS = 20
# Search words by share of tickets: the planner's hardest case lies between rare and medium, where
# neither FULLTEXT (cost per match) nor the newest-first walk (cost per row read) is cheap.
RARE, MEDIUM, COMMON = "zebracorn", "walrus", "printer"  # in 0.02 %, 0.5 % and 20 % of tickets
SCARCE, UNCOMMON, FREQUENT = "otter", "badger", "heron"  # in 0.1 %, 0.25 % and 2 % of tickets
SEED_MARKER = SCARCE  # seeds made before these words existed are redone
DEFAULT_TICKET, DEFAULT_CHAT = "bench_default_ticket", "bench_default_ticket_chat"
LIST_FIELDS = [
	"`tabTicket`.`name`", "`tabTicket`.`title`", "`tabTicket`.`status`", "`tabTicket`.`priority`",
	"`tabTicket`.`assigned_to`", "`tabTicket`.`creation`", "`tabTicket`.`owner`", "`tabTicket`.`closed_at`",
	"`tabTicket`.`file_count`", "`tabTicket`.`comment_count`", "`tabTicket`.`last_comment`", "`tabTicket`.`modified`",
]

# A bijection of 1..17,576,000 onto ticket codes (3 letters, 3 digits): k = n·7919 mod 26³·1000.
CODE = """concat(char(65 + ((({n} * 7919) mod 17576000) div 1000) div 676),
	char(65 + (((({n} * 7919) mod 17576000) div 1000) div 26) mod 26),
	char(65 + ((({n} * 7919) mod 17576000) div 1000) mod 26),
	lpad((({n} * 7919) mod 17576000) mod 1000, 3, '0'))"""
CHAT_ID = "cast(700000000 + 1 + {expr} as char)"


def seed(frappe, tickets: int, chats: int):
	print(f"seeding {tickets:,} tickets and {chats:,} chats ...", flush=True)
	started = time.time()
	db = frappe.db
	for table in ("tabTicket", "tabTicket Chat", "tabLinked Chat", "tabComment"):
		db.sql(f"truncate `{table}`")
	db.sql_ddl("alter table `tabTicket` drop index if exists `ticket_text_ft`")
	from tests.factories import make_user

	for i in range(AGENTS):
		make_user(f"agent{i}@bench.test", "Tickets Member")
	db.commit()

	db.sql(f"""insert into `tabLinked Chat` (name, chat_id, title, chat_type, username, ticket_count,
			creation, modified, owner, modified_by, docstatus, idx)
		select {CHAT_ID.format(expr='seq - 1')}, {CHAT_ID.format(expr='seq - 1')}, concat('Customer ', seq),
			if(seq mod 10 = 0, 'Supergroup', 'Private'), concat('customer', seq), 0,
			now(), now(), 'Administrator', 'Administrator', 0, 0
		from seq_1_to_{chats}""")
	db.commit()

	batch = 100_000
	statuses = "'NEW','OPEN','PENDING','BLOCKED','SOLVED','CLOSED'"
	for low in range(1, tickets + 1, batch):
		high = min(tickets, low + batch - 1)
		db.sql(f"""insert into `tabTicket` (name, creation, modified, modified_by, owner, docstatus, idx,
				title, description, status, status_rank, priority, priority_rank, assigned_to,
				file_count, comment_count, closed_at)
			select {CODE.format(n='seq')},
				timestampadd(second, seq * 30, '2025-01-01'), timestampadd(second, seq * 30, '2025-01-01'),
				'Administrator', 'Administrator', 0, 0,
				concat(elt(1 + seq mod 8, 'Cannot log in', 'Invoice wrong', 'App crashes', 'Refund request',
					'Bot silent', 'Address change', 'Export empty', 'Late codes'),
					if(seq mod 5 = 0, ' {COMMON}', ''), if(seq mod 200 = 7, ' {MEDIUM}', ''),
					if(seq mod 5000 = 11, ' {RARE}', ''), if(seq mod 1000 = 17, ' {SCARCE}', ''),
					if(seq mod 400 = 23, ' {UNCOMMON}', ''), if(seq mod 50 = 29, ' {FREQUENT}', ''), ' ', seq),
				concat('Customer wrote on Telegram about case ', seq, '. ',
					elt(1 + seq mod 5, 'Please help.', 'Urgent for billing.', 'Since yesterday.', 'Again.', 'Thanks!')),
				elt(1 + (seq * 13 + seq div 11) mod 6, {statuses}), 1 + (seq * 13 + seq div 11) mod 6,
				elt(1 + (seq * 7 + seq div 5) mod 3, 'LOW', 'MEDIUM', 'HIGH'), 1 + (seq * 7 + seq div 5) mod 3,
				if(seq mod 10 = 3, null, concat('agent', (seq div 7 + seq * 3) mod {AGENTS}, '@bench.test')),
				0, 0, if((seq * 13 + seq div 11) mod 6 = 5, timestampadd(second, seq * 30 + 3600, '2025-01-01'), null)
			from seq_1_to_{tickets} where seq between {low} and {high}""")
		# each ticket links one chat; every third links a second one
		db.sql(f"""insert into `tabTicket Chat` (name, parent, parenttype, parentfield, idx, chat,
				creation, modified, owner, modified_by, docstatus)
			select concat('tc', seq), {CODE.format(n='seq')}, 'Ticket', 'chats', 1,
				{CHAT_ID.format(expr=f'(seq * 31) mod {chats}')}, now(), now(), 'Administrator', 'Administrator', 0
			from seq_1_to_{tickets} where seq between {low} and {high}
			union all
			select concat('tc2-', seq), {CODE.format(n='seq')}, 'Ticket', 'chats', 2,
				{CHAT_ID.format(expr=f'(seq * 97 + 5) mod {chats}')}, now(), now(), 'Administrator', 'Administrator', 0
			from seq_1_to_{tickets} where seq between {low} and {high} and seq mod 3 = 0""")
		db.commit()
		print(f"  {high:,} tickets ({time.time() - started:.0f} s)", flush=True)
	db.sql("""update `tabLinked Chat` lc join (select chat, count(distinct parent) n from `tabTicket Chat`
		group by chat) x on x.chat = lc.name set lc.ticket_count = x.n""")
	db.commit()
	print("  building the FULLTEXT index, the search table and the word table ...", flush=True)
	from tg_tickets.tickets.search import SEARCH_TABLE, WORD_TABLE, drop_search_table, ensure_fulltext_index, ensure_search_table

	ensure_fulltext_index()
	drop_search_table()
	ensure_search_table()
	db.sql(f"analyze table `tabTicket`, `tabTicket Chat`, `tabLinked Chat`, `{SEARCH_TABLE}`, `{WORD_TABLE}`")
	make_default_index_copies(frappe)
	print(f"seeded in {time.time() - started:.0f} s", flush=True)


def make_default_index_copies(frappe):
	"""Copies of the tables with only the indexes Frappe creates by itself."""
	db = frappe.db
	for copy, source, keep in (
		(DEFAULT_TICKET, "tabTicket", {"PRIMARY", "modified", "creation_idx", "creation"}),
		(DEFAULT_CHAT, "tabTicket Chat", {"PRIMARY", "parent", "modified"}),
	):
		db.sql_ddl(f"drop table if exists `{copy}`")
		db.sql_ddl(f"create table `{copy}` like `{source}`")
		indexes = {row[2] for row in db.sql(f"show index from `{copy}`")}
		for index in indexes - keep:
			db.sql_ddl(f"alter table `{copy}` drop index `{index}`")
		db.sql(f"insert into `{copy}` select * from `{source}`")
		db.commit()
	db.sql(f"analyze table `{DEFAULT_TICKET}`, `{DEFAULT_CHAT}`")


def scenarios(frappe, chats: int):
	"""(label, reportview params for run i) for every list query of the issue."""
	chat_ids = [r[0] for r in frappe.db.sql("select name from `tabLinked Chat` order by rand() limit 200")]
	base = {"doctype": "Ticket", "fields": LIST_FIELDS, "page_length": 20, "start": 0, "with_comment_count": 0}
	newest = "`tabTicket`.`creation` desc"
	return [
		("newest first", lambda i: {**base, "order_by": newest, "filters": []}),
		("status=OPEN and assigned_to=X", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "status", "=", "OPEN"], ["Ticket", "assigned_to", "=", f"agent{i % AGENTS}@bench.test"]]}),
		("linked chat = Y", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket Chat", "chat", "=", chat_ids[i % len(chat_ids)]]]}),
		(f"text search, rare word ({RARE}, 0.02 %)", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", RARE]]}),
		(f"text search, word in 0.1 % ({SCARCE})", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", SCARCE]]}),
		(f"text search, word in 0.25 % ({UNCOMMON})", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", UNCOMMON]]}),
		(f"text search, medium word ({MEDIUM}, 0.5 %)", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", MEDIUM]]}),
		(f"text search, word in 2 % ({FREQUENT})", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", FREQUENT]]}),
		(f"text search, common word ({COMMON}, 20 %)", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", COMMON]]}),
		(f"text search, two words ({COMMON} {UNCOMMON})", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", f"{COMMON} {UNCOMMON}"]]}),
		(f"text search + status=OPEN ({MEDIUM})", lambda i: {**base, "order_by": newest,
			"filters": [["Ticket", "_search", "like", MEDIUM], ["Ticket", "status", "=", "OPEN"]]}),
		("sort by priority (natural, HIGH first)", lambda i: {**base, "order_by": "`tabTicket`.`priority` desc", "filters": []}),
		("sort by status (natural, NEW first)", lambda i: {**base, "order_by": "`tabTicket`.`status` asc", "filters": []}),
	]


def reportview_get(frappe, params):
	from tg_tickets.overrides import reportview

	frappe.local.form_dict = frappe._dict(frappe.parse_json(frappe.as_json(params)))
	return reportview.get()


def stock_get(frappe, params):
	from frappe.desk import reportview

	frappe.local.form_dict = frappe._dict(frappe.parse_json(frappe.as_json(params)))
	return reportview.get()


def default_index_sql(frappe, params) -> str:
	"""The same query against the default-index copies; search as Frappe's stock LIKE."""
	from frappe.desk.reportview import execute

	from tg_tickets.overrides import reportview

	params = frappe.parse_json(frappe.as_json(params))
	search = [f for f in params["filters"] if f[1] == "_search"]
	params["filters"] = [f for f in params["filters"] if f[1] != "_search"]
	frappe.local.form_dict = frappe._dict(params)
	args, _ = reportview._ticket_args_and_search()  # no search left in params: natural order only
	if search:
		likes = [frappe.db.escape(f"%{word}%") for word in search[0][3].split()]
		condition = " and ".join(f"(`tabTicket`.title like {w} or `tabTicket`.description like {w})" for w in likes)
		args.filters = list(args.filters or []) + [condition]
	sql = execute(**args, run=0)
	return sql.replace("`tabTicket Chat`", f"`{DEFAULT_CHAT}`").replace("`tabTicket`", f"`{DEFAULT_TICKET}`")


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--tickets", type=int, default=1_000_000)
	parser.add_argument("--chats", type=int, default=100_000)
	parser.add_argument("--runs", type=int, default=30)
	parser.add_argument("--default-runs", type=int, default=3)
	parser.add_argument("--reseed", action="store_true")
	parser.add_argument("--switch", action="store_true", help="also time member lists with the visibility switch on")
	parser.add_argument("--switch-only", action="store_true", help="only the visibility switch's member lists")
	options = parser.parse_args()

	frappe = connect()
	frappe.db.sql("set session max_statement_time = 0")
	if options.switch_only:
		visibility_switch(frappe, options.runs)
		return
	have = frappe.db.sql("select count(*) from `tabTicket`")[0][0]
	has_copies = bool(frappe.db.sql(f"show tables like '{DEFAULT_TICKET}'"))
	current = bool(frappe.db.sql(f"select 1 from `tabTicket` where title like '% {SEED_MARKER} %' limit 1"))
	if options.reseed or have != options.tickets or not has_copies or not current:
		seed(frappe, options.tickets, options.chats)
	frappe.set_user("agent0@bench.test")
	frappe.db.set_single_value("Tickets Settings", "enabled", 1)
	frappe.db.commit()
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")

	total = frappe.db.sql("select count(*) from `tabTicket`")[0][0]
	print(f"\n{total:,} tickets, {frappe.db.count('Linked Chat'):,} chats; user {frappe.session.user} (Tickets Member)")
	print(f"{'query':44} | frappe.desk.reportview.get, purpose-built indexes ({options.runs} runs) | same SQL, Frappe default indexes only ({options.default_runs} runs)")
	# All of ours first, then the default-index copies: their full scans (seconds each) would otherwise
	# evict caches between our measurements.
	measured = []
	for label, make_params in scenarios(frappe, options.chats):
		rows = reportview_get(frappe, make_params(0))
		read = rows_read(frappe, lambda: reportview_get(frappe, make_params(0)))
		ours = timed(lambda i: reportview_get(frappe, make_params(i)), options.runs)
		measured.append((label, make_params, ours, len(rows["values"]) if rows else 0, read))
	for label, make_params, ours, n, read in measured:
		theirs_read = rows_read(frappe, lambda: frappe.db.sql(default_index_sql(frappe, make_params(0))))
		theirs = timed(lambda i: frappe.db.sql(default_index_sql(frappe, make_params(i))), options.default_runs)
		print(f"{label:44} | {fmt(ours)} ({n} rows, {read:,} read) | {fmt(theirs)} ({theirs_read:,} read) | {load()}", flush=True)
	if options.switch:
		visibility_switch(frappe, options.runs)


SWITCH_TEAM = "Bench switch queue"
NEWCOMER = "newcomer@bench.test"


def visibility_switch(frappe, runs: int):
	"""The owner's switch "members see only their own tickets and their teams' unassigned ones" on: the member
	lists of agent0 (holds ~4.5 % of the tickets; in the team) and of a newcomer (holds none; in the team), whose
	team's unassigned tickets are ~0.4 % of all (the unassigned ones whose code starts with A)."""
	from tests.factories import make_user

	frappe.set_user("Administrator")
	make_user(NEWCOMER, "Tickets Member")
	if not frappe.db.exists("Ticket Team", SWITCH_TEAM):
		frappe.get_doc({"doctype": "Ticket Team", "team_name": SWITCH_TEAM, "assignment_model": "Manual claim",
			"members": [{"user": "agent0@bench.test"}, {"user": NEWCOMER}]}).insert(ignore_permissions=True)
	frappe.db.sql("""update `tabTicket` set team = %s where ifnull(assigned_to, '') = '' and name like 'A%%'
		and ifnull(team, '') != %s""", (SWITCH_TEAM, SWITCH_TEAM))
	frappe.db.set_single_value("Tickets Settings", "members_see_own_and_team_tickets", 1)
	frappe.db.commit()
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
	base = {"doctype": "Ticket", "fields": LIST_FIELDS, "page_length": 20, "start": 0, "with_comment_count": 0,
		"order_by": "`tabTicket`.`creation` desc"}
	print(f"\n{load()}; with the owner's visibility switch on (members see their own and their teams' unassigned tickets):")
	try:
		for user in ("agent0@bench.test", NEWCOMER):
			frappe.set_user(user)
			for label, filters in (("newest first", []), ("status=OPEN", [["Ticket", "status", "=", "OPEN"]])):
				rows = reportview_get(frappe, {**base, "filters": filters})
				read = rows_read(frappe, lambda: reportview_get(frappe, {**base, "filters": filters}))
				times = timed(lambda i: reportview_get(frappe, {**base, "filters": filters}), runs)
				n = len(rows["values"]) if rows else 0
				# the plain query (Frappe's own reportview.get: one OR condition) for comparison
				plain_read = rows_read(frappe, lambda: stock_get(frappe, {**base, "filters": filters}))
				plain = timed(lambda i: stock_get(frappe, {**base, "filters": filters}), 3)
				print(f"  {user:20} {label:14} | {fmt(times)} ({n} rows, {read:,} read) | plain query: {fmt(plain)} "
					f"({plain_read:,} read) | {load()}", flush=True)
	finally:
		frappe.set_user("Administrator")
		frappe.db.set_single_value("Tickets Settings", "members_see_own_and_team_tickets", 0)
		frappe.db.commit()
		frappe.clear_document_cache("Tickets Settings", "Tickets Settings")


if __name__ == "__main__":
	main()
