"""Issue 11 benchmark: routing at 1,000,000 tickets, 50 agents in 5 teams. Prints figures; asserts nothing.

1. The assignment decision (routing/assign.decide: teams from cache, team row and agent rows locked, rotation
   written): p95 and SQL statements per decision (the session's `Questions` counter), at 10k, 100k and 1M
   tickets (the seed grows in place).
2. 1,000 tickets created at once through 4 RQ workers (3 round-robin teams, 2 load-balanced): double
   assignments, capacity, and the spread between the most and least loaded agent of each team.
3. 8 agents claiming the same 100 tickets concurrently over REST: owners per ticket.
4. The queue dashboard's data (routing/queue.dashboard), p95 server-side.
5. An agent going Online (over REST) with 200 waiting tickets: seconds until they hold their share.

    scripts/benchmark routing [--tickets 1000000] [--runs 200] [--reseed]
"""

import argparse
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _site import connect, fmt, timed

TEAMS = [("Bench RR 1", "Round-robin"), ("Bench RR 2", "Round-robin"), ("Bench RR 3", "Round-robin"),
	("Bench LB 1", "Load-balanced"), ("Bench LB 2", "Load-balanced")]
PER_TEAM = 10
AGENTS = [f"agent{t}-{m}@routing.bench" for t in range(len(TEAMS)) for m in range(PER_TEAM)]
CAPACITY = 30
OPEN_PER_AGENT = 5
WAITING_SEED = 200
PASSWORD = "Routing#Bench-2026"
STATUSES = "'SOLVED','CLOSED'"
OPEN = ("NEW", "OPEN", "PENDING", "BLOCKED")


def category(t):
	return f"Bench Cat {t}"


def setup_teams(frappe):
	from tests.factories import make_ticket_team, make_user
	from frappe.utils.password import update_password

	for user in AGENTS:
		if not frappe.db.exists("User", user):
			make_user(user, "Tickets Member")
			update_password(user, PASSWORD)
	for t, (name, model) in enumerate(TEAMS):
		make_ticket_team(name, AGENTS[t * PER_TEAM:(t + 1) * PER_TEAM], model, categories=[category(t)],
			default_capacity=CAPACITY, sequence=t)
	frappe.db.commit()


CODE = """concat(char(65 + ((({n} * 7919) mod 17576000) div 1000) div 676),
	char(65 + (((({n} * 7919) mod 17576000) div 1000) div 26) mod 26),
	char(65 + ((({n} * 7919) mod 17576000) div 1000) mod 26),
	lpad((({n} * 7919) mod 17576000) mod 1000, 3, '0'))"""


def seed_to(frappe, total: int):
	"""Grows the ticket table to `total` rows: the first ones open (5 per agent, 200 waiting), the rest
	resolved history spread over the 50 agents and 5 teams."""
	db = frappe.db
	have = db.sql("select count(*) from `tabTicket`")[0][0]
	if have >= total:
		return
	started = time.time()
	agent_list = "'" + "','".join(AGENTS) + "'"
	team_list = "'" + "','".join(name for name, _ in TEAMS) + "'"
	cat_list = "'" + "','".join(category(t) for t in range(len(TEAMS))) + "'"
	open_assigned = len(AGENTS) * OPEN_PER_AGENT
	batch = 100_000
	for low in range(have + 1, total + 1, batch):
		high = min(total, low + batch - 1)
		db.sql(f"""insert into `tabTicket` (name, creation, modified, modified_by, owner, docstatus, idx,
				title, description, status, status_rank, priority, priority_rank, assigned_to, team, category,
				waiting_since, file_count, comment_count)
			select {CODE.format(n='seq')}, timestampadd(second, -seq * 2, now()), now(), 'Administrator',
				'Administrator', 0, 0, concat('Bench ticket ', seq), 'seeded',
				if(seq <= {open_assigned + WAITING_SEED}, 'OPEN', elt(1 + seq mod 2, {STATUSES})),
				if(seq <= {open_assigned + WAITING_SEED}, 2, 5 + seq mod 2), 'MEDIUM', 2,
				if(seq <= {open_assigned}, elt(1 + (seq - 1) mod {len(AGENTS)}, {agent_list}),
					if(seq <= {open_assigned + WAITING_SEED}, null, elt(1 + seq mod {len(AGENTS)}, {agent_list}))),
				elt(1 + ((seq - 1) mod {len(AGENTS)}) div {PER_TEAM}, {team_list}),
				elt(1 + ((seq - 1) mod {len(AGENTS)}) div {PER_TEAM}, {cat_list}),
				if(seq > {open_assigned} and seq <= {open_assigned + WAITING_SEED}, timestampadd(second, -seq, now()), null),
				0, 0
			from seq_1_to_{high} where seq between {low} and {high}""")
		db.commit()
		print(f"  {high:,} tickets ({time.time() - started:.0f} s)", flush=True)
	db.sql("analyze table `tabTicket`")
	reset_agents(frappe)


def reset_agents(frappe):
	from tg_tickets.routing import agents

	for user in AGENTS:
		agents.ensure_agent(user)
	frappe.db.sql("update `tabTicket Agent` set availability = 'Online', capacity = %s, last_seen_at = now() "
		"where name in %s", (CAPACITY, AGENTS))
	agents.recount(AGENTS)
	frappe.db.commit()


def questions(frappe) -> int:
	return int(frappe.db.sql("show session status like 'Questions'")[0][1])


def measure_decision(frappe, runs: int, label: str):
	"""Times assign.decide alone (the ticket document is built before, the transaction rolled back after, so
	every run decides against the same state); statements counted by the session's Questions counter."""
	from tg_tickets.routing import assign

	counts, samples = [], []
	for i in range(runs):
		ticket = frappe.get_doc({"doctype": "Ticket", "title": f"decision {i}", "category": category(i % len(TEAMS)),
			"status": "OPEN", "priority": "MEDIUM"})
		before = questions(frappe)
		started = time.perf_counter()
		team, agent, _ = assign.decide(ticket)
		samples.append((time.perf_counter() - started) * 1000)
		counts.append(questions(frappe) - before - 1)  # minus the status query itself
		frappe.db.rollback()
		assert agent, "the benchmark agents have room"
	samples.sort()
	stats = {"p50": samples[len(samples) // 2], "p95": samples[max(0, int(round(0.95 * len(samples))) - 1)],
		"max": samples[-1]}
	print(f"decision at {label:>9} tickets: {fmt(stats)}   SQL statements per decision: "
		f"max {max(counts)}, median {sorted(counts)[len(counts) // 2]} (first run loads the team cache)", flush=True)


def worker_command(bench: Path, site: str, queue: str):
	python = str(bench / "env" / "bin" / "python")
	return [python, "-m", "frappe.utils.bench_helper", "frappe", "--site", site, "worker", "--queue", queue]


def burst(frappe, site: str, bench: Path, count: int = 1000, workers: int = 4):
	reset_agents(frappe)
	tag = f"burst-{int(time.time())}"
	for i in range(count):
		frappe.enqueue("frappe.client.insert", queue="long", doc={"doctype": "Ticket", "title": f"{tag} {i}",
			"category": category(i % len(TEAMS)), "priority": "MEDIUM"})
	frappe.db.commit()
	start_counts = dict(frappe.db.sql("select name, open_tickets from `tabTicket Agent` where name in %s", (AGENTS,)))
	logs = bench / "logs"
	procs = [subprocess.Popen(worker_command(bench, site, "long"), cwd=bench / "sites", start_new_session=True,
		stdout=open(logs / f"routing-bench-worker-{n}.log", "ab"), stderr=subprocess.STDOUT) for n in range(workers)]
	started = time.time()
	try:
		while True:
			frappe.db.rollback()
			done = frappe.db.sql("select count(*) from `tabTicket` where title like %s", (f"{tag} %",))[0][0]
			if done >= count or time.time() - started > 1800:
				break
			time.sleep(0.5)
	finally:
		for proc in procs:
			os.killpg(proc.pid, 15)
		for proc in procs:
			proc.wait(timeout=30)
	elapsed = time.time() - started
	rows = frappe.db.sql("select name, assigned_to, team from `tabTicket` where title like %s", (f"{tag} %",), as_dict=True)
	names = [r.name for r in rows]
	todos = dict(frappe.db.sql("""select reference_name, count(*) from `tabToDo` where reference_type = 'Ticket'
		and status = 'Open' and reference_name in %s group by reference_name""", (names,)))
	lines = dict(frappe.db.sql("""select reference_name, count(*) from `tabComment` where reference_doctype = 'Ticket'
		and comment_type = 'Info' and content like 'Assigned to%%' and reference_name in %s group by reference_name""", (names,)))
	double = sum(1 for n in names if todos.get(n, 0) > 1 or lines.get(n, 0) > 1)
	real = dict(frappe.db.sql("""select assigned_to, count(*) from `tabTicket` where assigned_to in %s and status in %s
		group by assigned_to""", (AGENTS, OPEN)))
	kept = dict(frappe.db.sql("select name, open_tickets from `tabTicket Agent` where name in %s", (AGENTS,)))
	over = sum(1 for u in AGENTS if real.get(u, 0) > CAPACITY)
	drift = sum(1 for u in AGENTS if real.get(u, 0) != kept.get(u, 0))
	print(f"burst: {len(rows)} of {count} tickets created through {workers} RQ workers in {elapsed:.1f} s "
		f"({len(rows) / elapsed:.0f}/s); assigned {sum(1 for r in rows if r.assigned_to)}, waiting "
		f"{sum(1 for r in rows if not r.assigned_to)}", flush=True)
	print(f"burst: double assignments {double}; agents past capacity {over}; kept open counts that differ "
		f"from the tickets {drift}", flush=True)
	for t, (team, model) in enumerate(TEAMS):
		members = AGENTS[t * PER_TEAM:(t + 1) * PER_TEAM]
		got = [sum(1 for r in rows if r.assigned_to == u) for u in members]
		loads = [real.get(u, 0) for u in members]
		print(f"  {team:<11} {model:<13} received min {min(got)} max {max(got)} (spread {max(got) - min(got)}); "
			f"open after min {min(loads)} max {max(loads)} (spread {max(loads) - min(loads)})", flush=True)
	return tag


def assignment_rule_burst(frappe, site: str, bench: Path, count: int = 1000, workers: int = 4):
	"""The same burst through Frappe's Assignment Rule (Round Robin over team 0's 10 agents, all Online and
	with room: it reads neither availability nor capacity, and routing refuses its choice otherwise): how
	evenly it spreads under parallel workers."""
	members = AGENTS[:PER_TEAM]
	reset_agents(frappe)
	frappe.db.sql("update `tabTicket Agent` set capacity = 1000 where name in %s", (members,))
	name = "Bench Round Robin"
	if frappe.db.exists("Assignment Rule", name):
		frappe.delete_doc("Assignment Rule", name, force=True)
	frappe.get_doc({"doctype": "Assignment Rule", "name": name, "__newname": name, "document_type": "Ticket",
		"rule": "Round Robin", "priority": 1, "assign_condition": "title.startswith('ar-burst')",
		"description": "Bench", "users": [{"user": u} for u in members],
		"assignment_days": [{"day": d} for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")],
	}).insert()
	frappe.db.commit()
	tag = f"ar-burst-{int(time.time())}"
	for i in range(count):
		frappe.enqueue("frappe.client.insert", queue="long", doc={"doctype": "Ticket", "title": f"{tag} {i}", "priority": "MEDIUM"})
	frappe.db.commit()
	procs = [subprocess.Popen(worker_command(bench, site, "long"), cwd=bench / "sites", start_new_session=True,
		stdout=open(bench / "logs" / f"routing-bench-worker-{n}.log", "ab"), stderr=subprocess.STDOUT) for n in range(workers)]
	started = time.time()
	try:
		last, last_change = -1, time.time()
		while time.time() - started < 1800 and time.time() - last_change < 60:
			frappe.db.rollback()
			done = frappe.db.sql("select count(*) from `tabTicket` where title like %s", (f"{tag} %",))[0][0]
			if done >= count:
				break
			if done != last:
				last, last_change = done, time.time()
			time.sleep(0.5)
	finally:
		for proc in procs:
			os.killpg(proc.pid, 15)
		for proc in procs:
			proc.wait(timeout=30)
	elapsed = time.time() - started
	rows = frappe.db.sql("select name, assigned_to from `tabTicket` where title like %s", (f"{tag} %",), as_dict=True)
	got = [sum(1 for r in rows if r.assigned_to == u) for u in members]
	real = dict(frappe.db.sql("""select assigned_to, count(*) from `tabTicket` where assigned_to in %s and status in %s
		group by assigned_to""", (members, OPEN)))
	frappe.db.set_value("Assignment Rule", name, "disabled", 1)
	frappe.db.commit()
	failed = count - len(rows)
	print(f"Frappe Assignment Rule (Round Robin, 10 agents): {len(rows)} tickets through {workers} workers "
		f"in {elapsed:.1f} s ({len(rows) / elapsed:.0f}/s); received per agent min {min(got)} max {max(got)} "
		f"(spread {max(got) - min(got)}); unassigned {sum(1 for r in rows if not r.assigned_to)}; "
		f"jobs that failed {failed}", flush=True)


def claims(frappe, live_site, count: int = 100, claimers: int = 8):
	from tests.factories import make_ticket, make_ticket_team, set_agent

	people = AGENTS[:claimers]
	make_ticket_team("Bench Claims", people, "Manual claim", categories=["Bench Claim Cat"], default_capacity=1000,
		sequence=99)
	for user in people:
		set_agent(user, "Online", capacity=1000)
	tickets = [make_ticket(f"claim race {i}", category="Bench Claim Cat").name for i in range(count)]
	frappe.db.commit()
	sessions = [live_site.session(user, PASSWORD) for user in people]

	def claim_all(session):
		order = tickets[:]
		random.Random(id(session)).shuffle(order)
		return [(name, session.call("tg_tickets.api.routing.claim", ticket=name).status_code) for name in order]

	started = time.time()
	with ThreadPoolExecutor(max_workers=claimers) as pool:
		results = [r for batch in pool.map(claim_all, sessions) for r in batch]
	elapsed = time.time() - started
	frappe.db.rollback()
	wins = {}
	for name, status in results:
		if status == 200:
			wins[name] = wins.get(name, 0) + 1
	owners = dict(frappe.db.sql("select name, assigned_to from `tabTicket` where name in %s", (tickets,)))
	statuses = {}
	for _, status in results:
		statuses[status] = statuses.get(status, 0) + 1
	print(f"claims: {claimers} agents × {count} tickets over REST in {elapsed:.1f} s; responses {statuses}; "
		f"tickets with exactly one owner {sum(1 for t in tickets if owners.get(t) and wins.get(t) == 1)} of {count}; "
		f"tickets won twice {sum(1 for t in tickets if wins.get(t, 0) > 1)}", flush=True)


def dashboard(frappe, runs: int):
	from tg_tickets.routing import queue

	stats = timed(lambda i: queue.dashboard("Administrator"), runs)
	print(f"queue dashboard data (server-side): {fmt(stats)}", flush=True)


def coming_online(frappe, live_site, waiting: int = 200, share: int = 40):
	from tests.factories import make_ticket_team, set_agent

	agent = AGENTS[-1]
	make_ticket_team("Bench Late", [agent], "Round-robin", categories=["Bench Late Cat"], default_capacity=share,
		sequence=98)
	frappe.db.sql("update `tabTicket` set assigned_to = null where assigned_to = %s and status in %s", (agent, OPEN))
	# An earlier run's tickets leave the queue: the agent's share must come from this run's (oldest first).
	frappe.db.sql("""update `tabTicket` set status = 'CLOSED', waiting_since = null, assigned_to = null
		where team = 'Bench Late'""")
	set_agent(agent, "Offline", capacity=share)
	from tg_tickets.routing import agents

	agents.recount([agent])
	frappe.db.commit()
	from tests.factories import make_ticket

	names = [make_ticket(f"late {i}", category="Bench Late Cat").name for i in range(waiting)]
	frappe.db.commit()
	session = live_site.session(agent, PASSWORD)
	started = time.time()
	assert session.call("tg_tickets.api.routing.set_availability", availability="Online").ok
	held = 0
	while time.time() - started < 120:
		frappe.db.rollback()
		held = frappe.db.sql("select count(*) from `tabTicket` where assigned_to = %s and name in %s", (agent, names))[0][0]
		if held >= share:
			break
		time.sleep(0.25)
	print(f"coming online: {held} of {waiting} waiting tickets (share {share}) held {time.time() - started:.1f} s after "
		f"the agent went Online", flush=True)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--tickets", type=int, default=1_000_000)
	parser.add_argument("--runs", type=int, default=200)
	parser.add_argument("--reseed", action="store_true")
	parser.add_argument("--skip-assignment-rule", action="store_true")
	parser.add_argument("--online-only", action="store_true", help="only the agent coming online (site already seeded)")
	parser.add_argument("--decision-only", action="store_true", help="seed and time the decision and the dashboard only")
	args = parser.parse_args()
	frappe = connect()
	if not frappe.get_conf().get("tg_sla_benchmark_site"):
		sys.exit("refusing: not a benchmark site")
	frappe.db.set_single_value("Tickets Settings", "enabled", 1)
	frappe.db.set_single_value("Tickets Settings", "agent_idle_minutes", 0)  # no agent goes idle mid-benchmark
	frappe.db.commit()
	if args.online_only:
		from tests.live import LiveSite

		live_site = LiveSite.start(frappe.local.site)
		try:
			coming_online(frappe, live_site)
		finally:
			live_site.stop()
		return
	if args.reseed:
		for table in ("tabTicket", "tabToDo", "tabComment", "tabTicket Status Log", "tabVersion"):
			frappe.db.sql(f"truncate `{table}`")
	setup_teams(frappe)
	for size in (10_000, 100_000, args.tickets):
		if size > args.tickets:
			continue
		seed_to(frappe, size)
		reset_agents(frappe)
		measure_decision(frappe, args.runs, f"{size:,}")
	dashboard(frappe, 30)
	if args.decision_only:
		print(f"load average: {os.getloadavg()}", flush=True)
		return
	bench = Path(os.environ["TG_TICKETS_BENCH"])
	burst(frappe, frappe.local.site, bench)
	dashboard(frappe, 30)
	if not args.skip_assignment_rule:
		assignment_rule_burst(frappe, frappe.local.site, bench)
	from tests.live import LiveSite

	live_site = LiveSite.start(frappe.local.site)
	try:
		claims(frappe, live_site)
		coming_online(frappe, live_site)
	finally:
		live_site.stop()
	print(f"load average: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
	main()
