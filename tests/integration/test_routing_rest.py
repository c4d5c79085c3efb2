"""Routing over REST as real users: availability from the navbar, the Claim race (exactly one winner, the
others told who), the supervisor's single and bulk assignment, the queue dashboard (every number equals the
count of the table filter it opens), and the owner's visibility switch on every listing surface."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import frappe
import pytest

from tests.factories import (PASSWORD, clear_routing, make_admin, make_member, make_ticket, make_ticket_team,
	set_agent, settings)
from tests.integration.test_permissions_rest import visible_everywhere

AGENTS = [f"claimer{i}@routing.test" for i in range(8)]
LEAD = "lead@routing.test"
OTHER = "other@routing.test"


@pytest.fixture(scope="module")
def people(live_site):
	for user in AGENTS + [OTHER]:
		make_member(user)
	make_member(LEAD)
	make_admin()
	frappe.db.commit()
	sessions = {user: live_site.session(user, PASSWORD) for user in AGENTS + [LEAD, OTHER]}
	return sessions


@pytest.fixture(autouse=True)
def floor():
	clear_routing()
	frappe.db.commit()
	with settings(enabled=1, members_can_create_tickets=1, members_can_edit_tickets=1, agent_idle_minutes=15):
		yield
	frappe.db.rollback()
	clear_routing()
	frappe.db.commit()


def test_availability_is_switched_by_the_agent_and_offline_at_logout(people, live_site):
	client = people[AGENTS[0]]
	response = client.call("tg_tickets.api.routing.set_availability", availability="Online")
	assert response.ok, response.text
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket Agent", AGENTS[0], "availability") == "Online"
	bad = client.call("tg_tickets.api.routing.set_availability", availability="Sleeping")
	assert not bad.ok
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket Agent", AGENTS[0], "availability") == "Online"
	session = live_site.session(AGENTS[0], PASSWORD)
	assert session.get(session.base_url + "/api/method/logout").ok
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket Agent", AGENTS[0], "availability") == "Offline"


def test_an_idle_agent_goes_offline():
	from tg_tickets.routing.availability import go_offline_when_idle

	set_agent(AGENTS[1], "Online")
	frappe.db.set_value("Ticket Agent", AGENTS[1], "last_seen_at", frappe.utils.add_to_date(None, minutes=-16))
	set_agent(AGENTS[2], "Away")
	go_offline_when_idle()
	assert frappe.db.get_value("Ticket Agent", AGENTS[1], "availability") == "Offline"
	assert frappe.db.get_value("Ticket Agent", AGENTS[2], "availability") == "Away"


def test_eight_agents_claiming_the_same_tickets_each_get_exactly_one_owner(people):
	make_ticket_team("Claims", AGENTS, "Manual claim", is_default=1, default_capacity=50)
	for user in AGENTS:
		set_agent(user, "Online")
	tickets = [make_ticket(f"race {i}").name for i in range(10)]
	frappe.db.commit()

	def claim_all(user):
		outcomes = []
		for name in tickets:
			response = people[user].call("tg_tickets.api.routing.claim", ticket=name)
			outcomes.append((name, response.status_code, response.text))
		return user, outcomes

	with ThreadPoolExecutor(max_workers=8) as pool:
		results = list(pool.map(claim_all, AGENTS))
	frappe.db.rollback()
	winners = {}
	for user, outcomes in results:
		for name, status, text in outcomes:
			if status == 200:
				assert name not in winners, f"{name} claimed twice"
				winners[name] = user
			else:
				assert status == 409, text
				assert "already took" in text
	holders = dict(frappe.get_all("Ticket", {"name": ("in", tickets)}, ["name", "assigned_to"], as_list=True))
	assert holders == winners and len(winners) == 10
	for user in AGENTS:
		assert frappe.db.get_value("Ticket Agent", user, "open_tickets") == sum(1 for u in winners.values() if u == user)


def test_a_loser_is_told_who_took_the_ticket(people):
	make_ticket_team("Claims", AGENTS[:2], "Manual claim", is_default=1)
	set_agent(AGENTS[0], "Online")
	set_agent(AGENTS[1], "Online")
	name = make_ticket("told").name
	frappe.db.commit()
	assert people[AGENTS[0]].call("tg_tickets.api.routing.claim", ticket=name).ok
	lost = people[AGENTS[1]].call("tg_tickets.api.routing.claim", ticket=name)
	assert lost.status_code == 409
	full_name = frappe.utils.get_fullname(AGENTS[0])
	assert f"{full_name} already took ticket #{name}" in lost.text


def test_claim_is_refused_outside_the_tickets_team(people):
	make_ticket_team("Claims", [AGENTS[0]], "Manual claim", is_default=1)
	set_agent(OTHER, "Online")
	name = make_ticket("not yours").name
	frappe.db.commit()
	response = people[OTHER].call("tg_tickets.api.routing.claim", ticket=name)
	assert response.status_code == 403
	frappe.db.rollback()
	assert not frappe.db.get_value("Ticket", name, "assigned_to")


def test_the_supervisor_assigns_single_and_bulk_within_capacity(people):
	make_ticket_team("Sup", AGENTS[:2], "Supervisor", supervisor=LEAD, is_default=1, default_capacity=3)
	set_agent(AGENTS[0], "Online")
	tickets = [make_ticket(f"sup {i}").name for i in range(4)]
	frappe.db.commit()
	lead = people[LEAD]
	one = lead.call("tg_tickets.api.routing.assign_from_queue", tickets=[tickets[0]], agent=AGENTS[0])
	assert one.ok, one.text
	too_many = lead.call("tg_tickets.api.routing.assign_from_queue", tickets=tickets[1:], agent=AGENTS[0])
	assert not too_many.ok and "room for 2 more tickets, not 3" in too_many.text
	bulk = lead.call("tg_tickets.api.routing.assign_from_queue", tickets=tickets[1:3], agent=AGENTS[0])
	assert bulk.ok, bulk.text
	offline = lead.call("tg_tickets.api.routing.assign_from_queue", tickets=[tickets[3]], agent=AGENTS[1])
	assert not offline.ok and "Offline" in offline.text
	not_lead = people[AGENTS[1]].call("tg_tickets.api.routing.assign_from_queue", tickets=[tickets[3]], agent=AGENTS[0])
	assert not_lead.status_code == 403
	frappe.db.rollback()
	assert [frappe.db.get_value("Ticket", t, "assigned_to") for t in tickets] == [AGENTS[0]] * 3 + [None]
	assert "assigned from the queue by" in frappe.get_all("Comment", {"reference_name": tickets[0], "comment_type": "Info"},
		pluck="content", order_by="creation desc", limit=1)[0]


def count_of(client, filters):
	response = client.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=filters)
	assert response.ok, response.text
	return response.json()["message"]


def test_every_dashboard_number_is_the_count_of_the_rows_its_click_opens(people, clients):
	make_ticket_team("Billing", AGENTS[:2], "Manual claim", categories=["Billing"], supervisor=LEAD)
	make_ticket_team("Tech", AGENTS[2:4], "Round-robin", is_default=1, default_capacity=2)
	set_agent(AGENTS[2], "Online")
	for i in range(3):
		make_ticket(f"bill {i}", category="Billing")
	for i in range(4):
		make_ticket(f"tech {i}")  # two go to AGENTS[2] (capacity 2), two wait
	frappe.db.commit()
	admin = clients["admin"]
	data = admin.call("tg_tickets.api.routing.queue_dashboard", http="GET").json()["message"]
	queues = {q["team"]: q for q in data["queues"]}
	assert queues["Billing"]["waiting"] == 3 and queues["Tech"]["waiting"] == 2
	assert queues["Tech"]["oldest_wait_seconds"] >= queues["Tech"]["average_wait_seconds"] >= 0
	for queue in data["queues"]:
		assert count_of(admin, queue["filters"]) == queue["waiting"]
	loads = {a["user"]: a for a in data["agents"]}
	assert (loads[AGENTS[2]]["open"], loads[AGENTS[2]]["capacity"], loads[AGENTS[2]]["load"]) == (2, 2, "full")
	assert loads[AGENTS[3]]["availability"] == "Offline"
	for agent in data["agents"]:
		assert count_of(admin, agent["filters"]) == agent["open"]
	assert count_of(admin, data["about_to_breach"]["filters"]) == data["about_to_breach"]["count"]
	# the supervisor sees their team only; a plain member not at all
	lead_view = people[LEAD].call("tg_tickets.api.routing.queue_dashboard", http="GET").json()["message"]
	assert [q["team"] for q in lead_view["queues"]] == ["Billing"]
	assert people[AGENTS[5]].call("tg_tickets.api.routing.queue_dashboard", http="GET").status_code == 403


# --- the owner's visibility switch ------------------------------------------------------------------------

SURFACES = ["list", "read", "report", "count", "link", "global search", "global search in Ticket"]


@pytest.fixture
def visibility_tickets():
	from frappe.utils.global_search import sync_global_search

	from tg_tickets.install import offer_tickets_to_global_search

	offer_tickets_to_global_search()
	make_ticket_team("Mine", ["member@tickets.test"], "Manual claim")
	make_ticket_team("Theirs", [OTHER], "Manual claim")
	set_agent("member@tickets.test", "Online")
	set_agent(OTHER, "Online")
	tag = uuid.uuid4().hex[:6]
	tickets = {
		"assigned to me": make_ticket(f"Vis own{tag}", assigned_to="member@tickets.test", team="Theirs").name,
		"my team's unassigned": make_ticket(f"Vis queue{tag}", team="Mine").name,
		"my team's but assigned to another": make_ticket(f"Vis taken{tag}", team="Mine", assigned_to=OTHER).name,
		"another team's unassigned": make_ticket(f"Vis other{tag}", team="Theirs").name,
		"no team": make_ticket(f"Vis none{tag}").name,
	}
	sync_global_search()
	frappe.db.commit()
	return tickets


def test_with_the_switch_on_a_member_sees_own_and_team_queue_everywhere(clients, visibility_tickets):
	expected = {"assigned to me": True, "my team's unassigned": True, "my team's but assigned to another": False,
		"another team's unassigned": False, "no team": False}
	with settings(members_see_own_and_team_tickets=1):
		for what, name in visibility_tickets.items():
			seen = visible_everywhere(clients["member"], name)
			assert seen == dict.fromkeys(SURFACES, expected[what]), what
			assert visible_everywhere(clients["admin"], name) == dict.fromkeys(SURFACES, True), what


def test_with_the_switch_off_members_see_every_ticket(clients, visibility_tickets):
	with settings(members_see_own_and_team_tickets=0):
		for what, name in visibility_tickets.items():
			assert visible_everywhere(clients["member"], name) == dict.fromkeys(SURFACES, True), what


def test_global_search_pages_stay_full_under_the_switch(clients):
	"""Hidden tickets ranked above visible ones do not shorten a page: page after page holds the visible ones,
	each once, and only the last page is short (Frappe's search dialog reads a short page as the end)."""
	from frappe.utils.global_search import sync_global_search

	from tg_tickets.install import offer_tickets_to_global_search

	offer_tickets_to_global_search()
	make_ticket_team("Mine", ["member@tickets.test"], "Manual claim")
	make_ticket_team("Theirs", [OTHER], "Manual claim")
	word = "pages" + uuid.uuid4().hex[:6]
	hidden = [make_ticket(f"Hidden {word}", team="Theirs").name for _ in range(7)]
	shown = sorted(make_ticket(f"Shown {word}", team="Mine").name for _ in range(5))
	sync_global_search()
	frappe.db.commit()
	with settings(members_see_own_and_team_tickets=1):
		pages = [[r["name"] for r in clients["member"].call(
			"frappe.utils.global_search.search", text=word, start=start, limit=2).json()["message"]] for start in (0, 2, 4, 6)]
	assert [len(page) for page in pages] == [2, 2, 1, 0]
	assert sorted(name for page in pages for name in page) == shown
	assert not set(hidden) & {name for page in pages for name in page}


def test_a_member_cannot_edit_a_hidden_ticket_into_view(clients, visibility_tickets):
	name = visibility_tickets["another team's unassigned"]
	with settings(members_see_own_and_team_tickets=1):
		response = clients["member"].put(clients["member"].resource("Ticket", name), json={"assigned_to": "member@tickets.test"})
	assert response.status_code == 403
	frappe.db.rollback()
	assert not frappe.db.get_value("Ticket", name, "assigned_to")


@pytest.mark.parametrize("role, allowed", [("admin", False), ("owner", True)])
def test_only_the_owner_changes_what_members_see(clients, role, allowed):
	response = clients[role].put(clients[role].resource("Tickets Settings", "Tickets Settings"),
		json={"members_see_own_and_team_tickets": 1})
	assert response.ok is allowed, response.text
	frappe.db.rollback()
	assert frappe.db.get_single_value("Tickets Settings", "members_see_own_and_team_tickets") == (1 if allowed else 0)
	frappe.db.set_single_value("Tickets Settings", "members_see_own_and_team_tickets", 0)
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
	frappe.db.commit()
