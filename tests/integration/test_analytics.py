"""Support figures (tg_tickets/analytics/): a seeded scenario driven through the app's own paths (saves, the
agent-reply-sent event, stored customer messages, ratings) at chosen moments; the Ticket Metrics rows and the
Ticket Analytics report are compared with figures computed here, independently, from the raw records
(Telegram messages, the status log, ratings, business hours counted minute by minute). Permissions over REST.

The scenario is committed once for the module (REST needs it) under its own category, which every query filters
on, and removed at the end."""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import frappe
import pytest
from frappe.utils import get_system_timezone

from tests.factories import clock_at, make_chat, make_sla_policy, make_ticket, make_ticket_team, make_user, set_agent
from tg_tickets.analytics import days, figures, report, tracking
from tg_tickets.tickets import conversation, events

pytestmark = pytest.mark.usefixtures("feature_on")

DAY = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=12)
# a Monday at least 12 days back, so every moment of the scenario is in the past
MONDAY = DAY - timedelta(days=DAY.weekday())
WINDOW = (9, 17)  # business hours Mon–Fri, in the policy's time zone (UTC)


def t(day, hour, minute=0):
	return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


# (agent, priority, chat type, created, [(moment, event)]) — events: ("customer",), ("agent",), (status,), ("rate", n)
SCRIPT = [
	("a", "HIGH", "Private", t(0, 8), [(t(0, 9, 30), "agent"), (t(0, 11), "SOLVED"), (t(0, 12), "CLOSED"), (t(0, 13), "rate5")]),
	("a", "MEDIUM", "Private", t(0, 16), [(t(0, 16, 30), "customer"), (t(1, 10), "agent"), (t(1, 10, 5), "agent"),
		(t(1, 12), "customer"), (t(1, 14), "agent"), (t(2, 9), "SOLVED")]),
	("a", "LOW", "Group", t(1, 10), [(t(1, 10, 20), "agent"), (t(1, 11), "SOLVED"), (t(1, 12), "customer"),
		(t(1, 12, 30), "OPEN"), (t(1, 13), "agent"), (t(1, 15), "SOLVED"), (t(1, 16), "CLOSED"), (t(1, 17), "rate2")]),
	("b", "HIGH", "Private", t(2, 18), [(t(3, 9, 10), "agent"), (t(3, 10), "SOLVED"), (t(3, 11), "CLOSED")]),
	("b", "MEDIUM", "Group", t(4, 15), [(t(4, 15, 1), "customer")]),
	("b", "MEDIUM", "Private", t(5, 10), [(t(7, 10), "agent"), (t(7, 10, 30), "SOLVED"), (t(7, 11), "CLOSED"), (t(7, 12), "rate4")]),
]


def business_seconds(start: datetime, end: datetime) -> float:
	"""Business time between two naive system-time moments, counted minute by minute (the test's own clock)."""
	system, utc = ZoneInfo(get_system_timezone()), ZoneInfo("UTC")
	minutes, moment = 0, start
	while moment < end:
		local = moment.replace(tzinfo=system).astimezone(utc)
		if local.weekday() < 5 and WINDOW[0] <= local.hour < WINDOW[1]:
			minutes += 1
		moment += timedelta(minutes=1)
	return minutes * 60.0


@pytest.fixture(scope="module")
def scenario():
	frappe.set_user("Administrator")
	tag = secrets.token_hex(3)
	category = f"Analytics {tag}"
	frappe.get_doc({"doctype": "Ticket Category", "category_name": category}).insert(ignore_permissions=True)
	agents = {"a": make_user("member@tickets.test", "Tickets Member"), "b": make_user(f"agent.b.{tag}@tickets.test", "Tickets Member")}
	for user in agents.values():
		set_agent(user, "Online", capacity=100)
	team = make_ticket_team(f"Analytics team {tag}", list(agents.values()), model="Manual claim").name
	policy = make_sla_policy(conditions=[("Category", category)], condition_order=0,
		business_hours=[(d, "09:00", "17:00") for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")],
		targets={"LOW": (480, 4800), "MEDIUM": (120, 960), "HIGH": (60, 480)})
	tickets = []
	for index, (agent, priority, chat_type, created, steps) in enumerate(SCRIPT):
		chat = make_chat(f"Customer {index}", chat_type=chat_type)
		with clock_at(created):
			ticket = make_ticket(f"Scenario {index}", chats=[chat], category=category, priority=priority, team=team,
				assigned_to=agents[agent])
		for moment, step in steps:
			with clock_at(moment):
				if step == "customer":
					insert_message(ticket.name, chat, "Incoming", moment)
					# as an inbox batch ends: the scored messages, then every ticket the batch touched
					conversation.customer_messages_stored({ticket.name: [-0.5 if index % 2 else 0.25]})
					conversation.ticket_messages_stored({ticket.name})
				elif step == "agent":
					insert_message(ticket.name, chat, "Outgoing", moment)
					events.emit(events.AGENT_REPLY_SENT, ticket.name, moment)
				elif step.startswith("rate"):
					cycle = frappe.db.get_value("Ticket", ticket.name, "reopen_count") or 0
					frappe.get_doc({"doctype": "Ticket Rating", "ticket": ticket.name, "cycle": cycle, "rating": int(step[4:]),
						"assignee": agents[agent], "rated_at": moment, "chat": chat}).insert(ignore_permissions=True,
						set_name=f"{ticket.name}-{cycle}")
				else:
					doc = frappe.get_doc("Ticket", ticket.name)
					doc.status = step
					doc.save()
		tickets.append(ticket.name)
	frappe.db.commit()
	yield frappe._dict(category=category, tickets=tickets, agents=agents, team=team, policy=policy.name)
	frappe.db.rollback()
	for name in tickets:
		frappe.db.delete("Telegram Message", {"ticket": name})
		frappe.delete_doc("Ticket", name, force=True, ignore_permissions=True)
	frappe.delete_doc("Ticket Team", team, force=True, ignore_permissions=True)
	frappe.delete_doc("SLA Policy", policy.name, force=True, ignore_permissions=True)
	frappe.delete_doc("Ticket Category", category, force=True, ignore_permissions=True)
	frappe.db.commit()


def insert_message(ticket, chat, direction, moment):
	frappe.get_doc({
		"doctype": "Telegram Message", "ticket": ticket, "chat": chat, "chat_id": chat, "direction": direction,
		"message_kind": "Message", "is_agent_reply": 1 if direction == "Outgoing" else 0, "text": "hello",
		"telegram_date": moment if direction == "Incoming" else None, "status": "Sent" if direction == "Outgoing" else None,
		"sent_at": moment if direction == "Outgoing" else None, "part": 0,
	}).insert(ignore_permissions=True)


# --- the independent computation, from raw records -----------------------------------------------------------


def raw_figures(name: str) -> dict:
	ticket = frappe.db.get_value("Ticket", name, ["creation", "status", "sla_state", "assigned_to", "priority"], as_dict=True)
	created = ticket.creation
	log = frappe.get_all("Ticket Status Log", filters={"ticket": name}, fields=["changed_at", "status"],
		order_by="changed_at asc, creation asc")
	received = sorted(frappe.get_all("Telegram Message", filters={"ticket": name, "direction": "Incoming"}, pluck="telegram_date"))
	sent = sorted(frappe.get_all("Telegram Message", filters={"ticket": name, "direction": "Outgoing", "status": "Sent",
		"is_agent_reply": 1}, pluck="sent_at"))
	resolved = None
	for entry in log:
		if entry.status in ("SOLVED", "CLOSED"):
			resolved = resolved or entry.changed_at
		else:
			resolved = None
	reopens = sum(1 for before, after in zip(log, log[1:]) if before.status in ("SOLVED", "CLOSED")
		and after.status not in ("SOLVED", "CLOSED"))
	handle, pending = 0.0, created
	for moment, kind in sorted([(m, 0) for m in received] + [(m, 1) for m in sent]):
		if kind == 0 and pending is None:
			pending = moment
		elif kind == 1 and pending is not None:
			handle += (moment - pending).total_seconds()
			pending = None
	ratings = frappe.get_all("Ticket Rating", filters={"ticket": name}, fields=["rating"], order_by="cycle desc", limit=1)
	return {
		"agent": ticket.assigned_to,
		"created_date": created.date(),
		"first_response_seconds": (sent[0] - created).total_seconds() if sent else None,
		"first_response_business_seconds": business_seconds(created, sent[0]) if sent else None,
		"resolved_date": resolved.date() if resolved else None,
		"resolution_seconds": (resolved - created).total_seconds() if resolved else None,
		"resolution_business_seconds": business_seconds(created, resolved) if resolved else None,
		"closed_date": [e.changed_at for e in log if e.status == "CLOSED"][-1].date() if ticket.status == "CLOSED" else None,
		"handle_seconds": handle,
		"agent_replies": len(sent),
		"customer_messages": len(received),
		"reopen_count": reopens,
		"first_contact_resolution": 1 if resolved and len(sent) == 1 and reopens == 0 else 0,
		"rating": ratings[0].rating if ratings else 0,
		"sla_met": 1 if ticket.sla_state == "MET" else 0,
		"sla_breached": 1 if ticket.sla_state == "BREACHED" else 0,
		"priority": ticket.priority,
	}


def rank(values, fraction):
	"""Nearest rank: the value at position ceil(n × fraction) of the sorted values."""
	values = sorted(v for v in values if v is not None)
	return values[math.ceil(len(values) * fraction) - 1] if values else None


def hours(seconds):
	return None if seconds is None else round(seconds / 3600.0, 2)


def expected_summary(raw: list[dict], start, end) -> dict:
	created = [r for r in raw if start <= r["created_date"] <= end]
	resolved = [r for r in raw if r["resolved_date"] and start <= r["resolved_date"] <= end]
	closed = [r for r in raw if r["closed_date"] and start <= r["closed_date"] <= end]
	rated = [r for r in closed if r["rating"]]
	sla = [r for r in resolved if r["sla_met"] or r["sla_breached"]]
	return {
		"created": len(created), "solved": len(resolved), "closed": len(closed),
		"frt_median_hours": hours(rank([r["first_response_seconds"] for r in created], 0.5)),
		"frt_p90_hours": hours(rank([r["first_response_seconds"] for r in created], 0.9)),
		"frt_business_median_hours": hours(rank([r["first_response_business_seconds"] for r in created], 0.5)),
		"frt_business_p90_hours": hours(rank([r["first_response_business_seconds"] for r in created], 0.9)),
		"resolution_median_hours": hours(rank([r["resolution_seconds"] for r in resolved], 0.5)),
		"resolution_p90_hours": hours(rank([r["resolution_seconds"] for r in resolved], 0.9)),
		"resolution_business_median_hours": hours(rank([r["resolution_business_seconds"] for r in resolved], 0.5)),
		"resolution_business_p90_hours": hours(rank([r["resolution_business_seconds"] for r in resolved], 0.9)),
		"aht_hours": hours(sum(r["handle_seconds"] for r in resolved) / len(resolved)) if resolved else None,
		"fcr_percent": round(100.0 * sum(r["first_contact_resolution"] for r in resolved) / len(resolved), 1) if resolved else None,
		"sla_met_percent": round(100.0 * sum(r["sla_met"] for r in sla) / len(sla), 1) if sla else None,
		"csat_average": round(sum(r["rating"] for r in rated) / len(rated), 2) if rated else None,
		"csat_response_percent": round(100.0 * len(rated) / len(closed), 1) if closed else None,
	}


def report_rows(filters):
	columns, data = report.run(filters)
	return data


# --- tests --------------------------------------------------------------------------------------------------


def test_each_tickets_metrics_row_matches_its_raw_records(scenario):
	rows = {r.ticket: r for r in frappe.get_all("Ticket Metrics", filters={"ticket": ("in", scenario.tickets)}, fields=["*"])}
	assert sorted(rows) == sorted(scenario.tickets)
	for name in scenario.tickets:
		raw, row = raw_figures(name), rows[name]
		for field, value in raw.items():
			stored = row.get(field)
			if isinstance(value, float):
				assert stored == pytest.approx(value), (name, field)
			else:
				assert stored == value, (name, field)
		assert row.team == scenario.team and row.category == scenario.category
	# the script's own expectations, so the raw computation is checked too
	first = rows[scenario.tickets[0]]
	assert first.first_response_seconds == 90 * 60 and first.first_response_business_seconds < 90 * 60
	assert first.first_contact_resolution == 1 and first.rating == 5 and first.chat_type == "Private"
	assert rows[scenario.tickets[1]].handle_seconds == (18 * 60 + 120) * 60  # 16:00→10:00, then 12:00→14:00
	assert rows[scenario.tickets[1]].agent_replies == 3 and rows[scenario.tickets[1]].first_contact_resolution == 0
	assert rows[scenario.tickets[2]].reopen_count == 1 and rows[scenario.tickets[2]].first_contact_resolution == 0
	assert rows[scenario.tickets[4]].open_since is not None and rows[scenario.tickets[4]].resolved_on is None
	assert rows[scenario.tickets[4]].sentiment == 0.25 and rows[scenario.tickets[4]].chat_type == "Group"


def test_the_report_summary_and_groupings_match_the_raw_figures(scenario):
	raw = [raw_figures(name) for name in scenario.tickets]
	start, end = MONDAY.date(), (MONDAY + timedelta(days=8)).date()
	base = {"period": "Custom", "from_date": str(start), "to_date": str(end), "category": scenario.category}
	[summary] = report_rows(base)
	expected = expected_summary(raw, start, end)
	assert {k: summary[k] for k in expected} == expected
	assert summary["backlog"] == 1
	assert expected["created"] == 6 and expected["solved"] == 5 and expected["closed"] == 4  # the script's shape

	by_agent = {row["group"]: row for row in report_rows({**base, "group_by": "Agent"})}
	for letter, user in scenario.agents.items():
		mine = expected_summary([r for r in raw if r["agent"] == user], start, end)
		assert {k: by_agent[user][k] for k in mine} == mine, letter

	by_day = {str(row["group"]): row for row in report_rows({**base, "group_by": "Day"})}
	for day in {r["created_date"] for r in raw}:
		assert by_day[str(day)]["created"] == sum(1 for r in raw if r["created_date"] == day)
	by_week = {str(row["group"]): row for row in report_rows({**base, "group_by": "Week"})}
	for monday in {r["created_date"] - timedelta(days=r["created_date"].weekday()) for r in raw}:
		week = [r for r in raw if monday <= r["created_date"] < monday + timedelta(days=7)]
		assert by_week[str(monday)]["created"] == len(week)
	resolved_weeks = {r["resolved_date"] - timedelta(days=r["resolved_date"].weekday()) for r in raw if r["resolved_date"]}
	assert sum(by_week[str(w)]["solved"] for w in resolved_weeks) == expected["solved"]
	by_priority = {row["group"]: row for row in report_rows({**base, "group_by": "Priority"})}
	high = expected_summary([r for r in raw if r["priority"] == "HIGH"], start, end)
	assert {k: by_priority["HIGH"][k] for k in high} == high

	one_day = report_rows({**base, "from_date": str(MONDAY.date()), "to_date": str(MONDAY.date()), "priority": "HIGH"})
	assert one_day[0]["created"] == 1 and one_day[0]["closed"] == 1


def test_day_summaries_answer_as_the_rows_do_and_follow_every_change(scenario):
	"""Once the days are built, reads take their summaries (but for days changed since) and give what the rows give
	and the raw records say; a new ticket, a solve and a deletion show at once and after the rebuild; a lost epoch
	(Redis flushed) sends reads to the rows until every day is built again. Committed, as in use (a worker may
	rebuild beside the test)."""
	start, end = MONDAY.date(), (MONDAY + timedelta(days=8)).date()
	base = {"period": "Custom", "from_date": str(start), "to_date": str(end), "category": scenario.category}
	shapes = [base, {**base, "group_by": "Week"}, {**base, "group_by": "Day"}, {**base, "group_by": "Category"},
		{**base, "group_by": "Agent"}]  # the last: a filter and another dimension, read from rows

	def read(filters):
		statements = []
		found = figures.rows(figures.make_query(filters, None), statements=statements)
		return found, {"summaries" if days.TABLE in sql else "rows" for _kind, sql, _values in statements}

	def from_rows(filters):
		epoch = frappe.cache.get(frappe.cache.make_key(days.EPOCH))
		frappe.cache.delete(frappe.cache.make_key(days.COMPLETE))  # not built: every read takes rows
		try:
			found, sources = read(filters)
			assert sources == {"rows"}
			return found
		finally:
			frappe.cache.set(frappe.cache.make_key(days.COMPLETE), epoch)

	def check(expected_created):
		for filters in shapes:
			found, sources = read(filters)
			assert found == from_rows(filters), filters
			assert "summaries" in sources or filters.get("group_by") == "Agent"
		[summary] = read(base)[0]
		raw = [raw_figures(name) for name in names]
		assert {k: summary[k] for k in ("created", "solved", "closed")} == {
			k: v for k, v in expected_summary(raw, start, end).items() if k in ("created", "solved", "closed")}
		assert summary["created"] == expected_created

	names = list(scenario.tickets)
	extra = None
	try:
		assert days.rebuild(everything=True) > 0
		check(6)
		# a new ticket and a solve: their days are read from rows at once, then from the rebuilt summaries
		with clock_at(t(6, 10)):
			extra = make_ticket("Late", category=scenario.category, priority="LOW", team=scenario.team).name
		with clock_at(t(8, 9)):
			doc = frappe.get_doc("Ticket", scenario.tickets[4])
			doc.status = "SOLVED"
			doc.save()
		frappe.db.commit()
		names.append(extra)
		# the new ticket's day, and the solved ticket's (its row counts in its created day too)
		assert days._stale_days("created", start, end, days._epoch()) == {t(6, 10).date(), t(4, 15).date()}
		assert days._stale_days("resolved", start, end, days._epoch()) == {t(8, 9).date()}
		check(7)
		days.rebuild()
		assert not days._stale_days("created", start, end, days._epoch())
		assert not days._stale_days("resolved", start, end, days._epoch())
		check(7)
		# deleted: gone from the figures at once
		frappe.delete_doc("Ticket", extra, force=True, ignore_permissions=True)
		frappe.db.commit()
		names.remove(extra)
		extra = None
		check(6)
		# Redis lost its keys: a new epoch, rows until every day is built again
		frappe.cache.delete(frappe.cache.make_key(days.EPOCH))
		assert read(base)[1] == {"rows"}
		assert days.rebuild() > 0
		check(6)
	finally:
		if extra:
			frappe.delete_doc("Ticket", extra, force=True, ignore_permissions=True)
		doc = frappe.get_doc("Ticket", scenario.tickets[4])
		if doc.status != "OPEN":
			with clock_at(t(8, 9, 30)):
				doc.status = "OPEN"
				doc.save()
		frappe.db.commit()


def test_named_periods_and_refused_filters():
	assert figures.period_dates("Last 7 Days", today=datetime(2026, 3, 10).date()) == (datetime(2026, 3, 4).date(), datetime(2026, 3, 10).date())
	assert figures.period_dates("Last 12 Months", today=datetime(2026, 3, 10).date())[0] == datetime(2025, 3, 11).date()
	with pytest.raises(frappe.ValidationError):
		figures.period_dates("Custom", "2026-03-10", "2026-03-01")
	with pytest.raises(frappe.ValidationError):
		report.run({"group_by": "Moon"})


def test_the_upgrade_patch_gives_old_tickets_the_same_rows(scenario):
	before = {r.ticket: r for r in frappe.get_all("Ticket Metrics", filters={"ticket": ("in", scenario.tickets)},
		fields=["ticket", *tracking.FIELDS])}
	frappe.db.delete("Ticket Metrics", {"ticket": ("in", scenario.tickets)})  # as before analytics existed
	assert tracking.backfill(batch=2, commit=False) >= len(scenario.tickets)
	after = {r.ticket: r for r in frappe.get_all("Ticket Metrics", filters={"ticket": ("in", scenario.tickets)},
		fields=["ticket", *tracking.FIELDS])}
	assert after == before
	assert tracking.backfill(batch=2, commit=False) == 0


def test_deleting_a_ticket_deletes_its_metrics():
	with clock_at(datetime.now() - timedelta(hours=1)):
		name = make_ticket("Short-lived").name
	assert frappe.db.exists("Ticket Metrics", name)
	frappe.delete_doc("Ticket", name, ignore_permissions=True)
	assert not frappe.db.exists("Ticket Metrics", name)


def test_permissions_over_rest(scenario, clients, users):
	start, end = MONDAY.date(), (MONDAY + timedelta(days=8)).date()
	filters = {"period": "Custom", "from_date": str(start), "to_date": str(end), "category": scenario.category}

	def run(role, **extra):
		return clients[role].call("frappe.desk.query_report.run", report_name="Ticket Analytics",
			filters={**filters, **extra}, ignore_prepared_report=1)

	everyone = run("admin").json()["message"]["result"][0]
	assert everyone["created"] == 6
	assert run("owner").json()["message"]["result"][0]["created"] == 6
	# a member sees their own figures only, whatever agent they ask for
	mine = run("member").json()["message"]["result"][0]
	assert mine["created"] == 3
	assert run("member", agent=scenario.agents["b"]).json()["message"]["result"][0]["created"] == 3
	grouped = run("member", group_by="Agent").json()["message"]["result"]
	assert [row["group"] for row in grouped] == [users["member"]]
	assert run("outsider").status_code == 403
	# the Ticket Metrics rows themselves: a member lists their own, an outsider none
	listed = clients["member"].get(clients["member"].resource("Ticket Metrics"), params={
		"filters": frappe.as_json([["category", "=", scenario.category]]), "fields": '["ticket", "agent"]', "limit_page_length": 100,
	}).json()["data"]
	assert sorted(r["ticket"] for r in listed) == sorted(scenario.tickets[:3])
	other = scenario.tickets[3]
	assert clients["member"].get(clients["member"].resource("Ticket Metrics", other)).status_code == 403
	assert clients["admin"].get(clients["admin"].resource("Ticket Metrics", other)).status_code == 200
	assert clients["outsider"].get(clients["outsider"].resource("Ticket Metrics", other)).status_code == 403
	# the workspace's number cards and charts are the same report: the member's card shows the member's figure
	card = frappe.get_doc("Number Card", "First Contact Resolution %")
	assert card.type == "Report" and card.report_name == "Ticket Analytics"
	chart = frappe.get_doc("Dashboard Chart", "Ticket Volume")
	assert chart.chart_type == "Report" and chart.report_name == "Ticket Analytics"
	# nobody writes metrics by hand
	assert clients["admin"].put(clients["admin"].resource("Ticket Metrics", other), json={"rating": 1}).status_code in (403, 417)
	assert frappe.db.get_value("Ticket Metrics", other, "rating") == 0
