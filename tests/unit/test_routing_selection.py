"""The pure assignment choice (tg_tickets/routing/selection.py): every model, availability and capacity,
team rules, queue plans. No site needed."""

import json
from pathlib import Path

import pytest

from tg_tickets.routing import selection as s
from tg_tickets.routing.selection import Agent, Team, TicketFacts


def agent(user, availability=s.ONLINE, capacity=5, open_tickets=0, skills=()):
	return Agent(user, availability, capacity, open_tickets, tuple(skills))


DOCTYPES = Path(__file__).resolve().parents[2] / "tg_tickets" / "tg_tickets" / "doctype"


def select_options(doctype: str, fieldname: str) -> list[str]:
	meta = json.loads((DOCTYPES / doctype / f"{doctype}.json").read_text())
	field = next(f for f in meta["fields"] if f["fieldname"] == fieldname)
	return field["options"].split("\n")


# --- the vocabulary the doctypes store -------------------------------------------------------------------


def test_model_names_are_the_ticket_teams_options():
	assert select_options("ticket_team", "assignment_model") == list(s.MODELS)
	assert s.MODELS == ("Round-robin", "Load-balanced", "Skill-based", "Manual claim", "Supervisor")
	assert s.AUTOMATIC_MODELS == ("Round-robin", "Load-balanced", "Skill-based")


def test_availabilities_are_the_ticket_agents_options():
	assert select_options("ticket_agent", "availability") == list(s.AVAILABILITIES)
	assert (s.ONLINE, s.AWAY, s.OFFLINE) == ("Online", "Away", "Offline")
	assert Agent("new").availability == "Offline" and Agent("new").capacity == 0 and Agent("new").skills == ()


# --- availability and capacity ----------------------------------------------------------------------------


def test_only_online_agents_below_capacity_are_available():
	assert agent("a").available
	assert not agent("a", s.AWAY).available
	assert not agent("a", s.OFFLINE).available
	assert not agent("a", capacity=3, open_tickets=3).available
	assert agent("a", capacity=3, open_tickets=2).available
	assert not agent("a", capacity=0).available


def test_free_capacity_never_negative():
	assert agent("a", capacity=5, open_tickets=2).free_capacity == 3
	assert agent("a", capacity=2, open_tickets=5).free_capacity == 0
	assert agent("a", capacity=2, open_tickets=2).free_capacity == 0


def test_capacity_is_the_agents_own_else_the_largest_team_default():
	assert s.capacity_of(3, [10, 20]) == 3
	assert s.capacity_of(0, [10, 20]) == 20
	assert s.capacity_of(None, [7]) == 7
	assert s.capacity_of(-1, [7]) == 7
	assert s.capacity_of(0, []) == 0
	assert s.capacity_of(0, [0, None]) == 0
	assert s.capacity_of(1, []) == 1
	assert s.capacity_of(None, [1]) == 1  # a team default of one ticket at a time


def test_load_state_marks_full_and_overloaded_agents():
	assert s.load_state(agent("a", capacity=3, open_tickets=2)) == "ok"
	assert s.load_state(agent("a", capacity=3, open_tickets=3)) == "full"
	assert s.load_state(agent("a", capacity=3, open_tickets=4)) == "overloaded"


def test_spread_counts_online_agents_only():
	members = [agent("a", open_tickets=4), agent("b", open_tickets=2), agent("c", s.AWAY, open_tickets=0)]
	assert s.spread(members) == 2
	assert s.spread([agent("c", s.OFFLINE, open_tickets=9)]) == 0
	assert s.spread([]) == 0


# --- team rules (skill-based routing picks the team) ------------------------------------------------------

TEAMS = [
	Team("Billing", categories=("Billing",), keywords=("invoice", "refund", "double charge")),
	Team("Technical", categories=("Technical", "Account"), keywords=("crash", "error", "login")),
	Team("General", is_default=True),
]


def test_a_team_named_on_the_ticket_wins():
	choice = s.pick_team(TEAMS, TicketFacts(category="Billing", text="crash", team="Technical"))
	assert choice == s.TeamChoice("Technical", "team set on the ticket")


def test_an_unknown_team_on_the_ticket_is_ignored():
	assert s.pick_team(TEAMS, TicketFacts(category="Billing", team="Nope")).team == "Billing"


def test_category_picks_the_first_team_listing_it():
	assert s.pick_team(TEAMS, TicketFacts(category="Account", text="invoice")) == s.TeamChoice("Technical", "category Account")
	twice = [Team("A", categories=("X",)), Team("B", categories=("X",))]
	assert s.pick_team(twice, TicketFacts(category="X")).team == "A"


def test_keywords_pick_the_team_with_most_hits():
	choice = s.pick_team(TEAMS, TicketFacts(category="General", text="Refund after a double charge, app shows an error"))
	assert choice == s.TeamChoice("Billing", "keyword 'refund', 'double charge'")


def test_keyword_ties_go_to_the_earlier_team():
	assert s.pick_team(TEAMS, TicketFacts(text="invoice error")).team == "Billing"


def test_keywords_match_whole_words_in_any_case():
	assert s.keyword_hits(["login", "Double Charge"], "LOGIN fails; double   charge!") == ["login", "Double Charge"]
	assert s.keyword_hits(["login"], "loginless relogin") == []
	assert s.keyword_hits(["", "  "], "anything") == []
	assert s.keyword_hits(["a", "a"], "a b") == ["a"]
	assert s.keyword_hits(["x"], None) == []


def test_no_match_goes_to_the_default_team():
	choice = s.pick_team(TEAMS, TicketFacts(category="Other", text="hello"))
	assert choice == s.TeamChoice("General", "the default team, as no category or keyword matched")


def test_no_match_and_no_default_team_routes_nowhere():
	choice = s.pick_team(TEAMS[:2], TicketFacts(text="hello"))
	assert choice == s.TeamChoice(None, "no team matched and there is no default team")
	assert s.pick_team([], TicketFacts()).team is None


# --- round-robin ----------------------------------------------------------------------------------------


def test_round_robin_takes_the_next_member_after_the_last_assigned():
	members = [agent("a"), agent("b"), agent("c")]
	assert s.round_robin(members, None) == s.Choice("a", "next in rotation", 3, 3)
	assert s.round_robin(members, "a").agent == "b"
	assert s.round_robin(members, "b").agent == "c"
	assert s.round_robin(members, "c").agent == "a"
	assert s.round_robin(members, "gone").agent == "a"


def test_round_robin_skips_away_offline_and_full_members():
	members = [agent("a"), agent("b", s.AWAY), agent("c", capacity=1, open_tickets=1), agent("d", s.OFFLINE), agent("e")]
	choice = s.round_robin(members, "a")
	assert choice == s.Choice("e", "next in rotation", 2, 5)
	assert s.round_robin(members, "e").agent == "a"


def test_round_robin_with_nobody_available_chooses_nobody():
	choice = s.round_robin([agent("a", s.AWAY), agent("b", capacity=0)], "a")
	assert choice == s.Choice(None, "no team member is online with free capacity", 0, 2)


def test_round_robin_never_skips_anyone_over_a_full_cycle():
	members = [agent(u) for u in "abcd"]
	last, picked = "b", []
	for _ in range(8):
		last = s.round_robin(members, last).agent
		picked.append(last)
	assert picked == list("cdabcdab")


# --- load-balanced ------------------------------------------------------------------------------------


def test_load_balanced_takes_the_fewest_open_tickets():
	members = [agent("a", open_tickets=3), agent("b", open_tickets=1), agent("c", open_tickets=2)]
	assert s.load_balanced(members, None) == s.Choice("b", "fewest open tickets (1)", 3, 3)


def test_load_balanced_ignores_unavailable_members_even_with_fewer_tickets():
	members = [agent("a", s.AWAY, open_tickets=0), agent("b", open_tickets=4), agent("c", capacity=2, open_tickets=2)]
	assert s.load_balanced(members, None) == s.Choice("b", "fewest open tickets (4)", 1, 3)


def test_load_balanced_breaks_ties_in_rotation_order():
	members = [agent("a", open_tickets=1), agent("b", open_tickets=1), agent("c", open_tickets=1)]
	assert s.load_balanced(members, "a").agent == "b"
	assert s.load_balanced(members, "c").agent == "a"
	assert s.load_balanced(members, None).agent == "a"


def test_load_balanced_with_nobody_available():
	assert s.load_balanced([agent("a", s.OFFLINE)], None) == s.Choice(None, "no team member is online with free capacity", 0, 1)


# --- skill-based --------------------------------------------------------------------------------------


def test_skill_based_prefers_a_member_whose_skill_matches_the_category():
	members = [agent("a"), agent("b", open_tickets=3, skills=["billing"]), agent("c", skills=["vat"])]
	choice = s.skill_based(members, None, TicketFacts(category="Billing", text="help"))
	assert choice == s.Choice("b", "skill 'billing', fewest open tickets (3)", 1, 3, "billing")


def test_skill_based_matches_skills_as_keywords_in_the_text():
	members = [agent("a"), agent("b", skills=["vat"]), agent("c", skills=["refund"])]
	choice = s.skill_based(members, None, TicketFacts(text="Wrong VAT on invoice"))
	assert (choice.agent, choice.skill) == ("b", "vat")


def test_skill_based_load_balances_among_the_skilled():
	members = [agent("a", open_tickets=2, skills=["vat"]), agent("b", open_tickets=1, skills=["vat"]), agent("c")]
	assert s.skill_based(members, None, TicketFacts(text="vat")).agent == "b"


def test_skill_based_falls_back_to_the_whole_team_when_no_skilled_member_is_available():
	members = [agent("a", s.AWAY, skills=["vat"]), agent("b", open_tickets=2), agent("c", open_tickets=1)]
	choice = s.skill_based(members, None, TicketFacts(text="vat"))
	assert choice == s.Choice("c", "no available member has a matching skill; fewest open tickets (1)", 2, 3)


def test_skill_based_with_nobody_available():
	choice = s.skill_based([agent("a", s.AWAY, skills=["vat"])], None, TicketFacts(text="vat"))
	assert choice.agent is None and choice.reason == "no team member is online with free capacity"


# --- choose / plan ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model, expected", [
	(s.ROUND_ROBIN, "c"), (s.LOAD_BALANCED, "b"), (s.SKILL_BASED, "a"), (s.MANUAL_CLAIM, None), (s.SUPERVISOR, None),
])
def test_choose_dispatches_on_the_teams_model(model, expected):
	members = [agent("a", open_tickets=3, skills=["vat"]), agent("b", open_tickets=0), agent("c", open_tickets=1)]
	assert s.choose(model, members, "b", TicketFacts(text="vat")).agent == expected


def test_manual_and_supervisor_models_say_who_the_ticket_waits_for():
	assert s.choose(s.MANUAL_CLAIM, [agent("a")], None) == s.Choice(None, "waits for an agent to claim it", 0, 1)
	assert s.choose(s.SUPERVISOR, [agent("a")], None) == s.Choice(None, "waits for the supervisor to assign it", 0, 1)


def test_skill_based_without_ticket_facts_load_balances():
	assert s.choose(s.SKILL_BASED, [agent("a", open_tickets=1), agent("b")], None).agent == "b"


def test_an_unknown_model_is_an_error():
	with pytest.raises(ValueError, match="unknown assignment model 'Random'"):
		s.choose("Random", [agent("a")], None)


def test_rotation_order_starts_after_the_last_assigned_and_wraps():
	members = [agent(u) for u in "abc"]
	assert [m.user for m in s.rotation_order(members, "b")] == ["c", "a", "b"]
	assert [m.user for m in s.rotation_order(members, "c")] == ["a", "b", "c"]
	assert [m.user for m in s.rotation_order(members, None)] == ["a", "b", "c"]


def waiting(*names):
	return [(n, TicketFacts()) for n in names]


def test_plan_hands_out_the_queue_oldest_first_up_to_free_capacity():
	members = [agent("a", capacity=2, open_tickets=1), agent("b", capacity=2)]
	plan = s.plan_queue(s.ROUND_ROBIN, members, None, waiting("t1", "t2", "t3", "t4"))
	assert plan.assignments == [("t1", "a", "next in rotation"), ("t2", "b", "next in rotation"), ("t3", "b", "next in rotation")]
	assert plan.last_user == "b"


def test_plan_load_balanced_sees_the_loads_its_earlier_choices_left():
	members = [agent("a", open_tickets=2), agent("b"), agent("c", open_tickets=1)]
	plan = s.plan_queue(s.LOAD_BALANCED, members, None, waiting(*[f"t{i}" for i in range(6)]))
	# b (0) → c wins the 1–1 tie as next after b → b → c wins the 2–2–2 tie → a → b: everyone ends at 3.
	assert [a for _, a, _ in plan.assignments] == ["b", "c", "b", "c", "a", "b"]
	final = {"a": 2, "b": 0, "c": 1}
	for _, a, _ in plan.assignments:
		final[a] += 1
	assert final == {"a": 3, "b": 3, "c": 3}


def test_plan_under_manual_or_supervisor_models_assigns_nothing():
	for model in (s.MANUAL_CLAIM, s.SUPERVISOR):
		plan = s.plan_queue(model, [agent("a")], "a", waiting("t1"))
		assert plan.assignments == [] and plan.last_user == "a"


def test_plan_with_nobody_available_keeps_the_rotation():
	plan = s.plan_queue(s.ROUND_ROBIN, [agent("a", s.AWAY)], "a", waiting("t1"))
	assert plan.assignments == [] and plan.last_user == "a"


def test_plan_round_robin_continues_the_rotation_from_the_last_assigned():
	members = [agent(u) for u in "abc"]
	plan = s.plan_queue(s.ROUND_ROBIN, members, "b", waiting("t1", "t2"))
	assert [a for _, a, _ in plan.assignments] == ["c", "a"]
	assert plan.last_user == "a"


# --- the records themselves ---------------------------------------------------------------------------


def test_records_default_to_nothing_known():
	assert Agent("u") == Agent("u", s.OFFLINE, 0, 0, ())
	assert Agent("u").open_tickets == 0 and Agent("u").free_capacity == 0
	assert Team("t") == Team("t", (), (), False) and Team("t").is_default is False
	assert TicketFacts() == TicketFacts(None, "", None) and TicketFacts().text == ""
	assert s.Choice(None, "why") == s.Choice(None, "why", 0, 0, None)
	assert s.Choice(None, "why").available == 0 and s.Choice(None, "why").members == 0


@pytest.mark.parametrize("record, field", [
	(Agent("u"), "open_tickets"), (Team("t"), "name"), (TicketFacts(), "text"), (s.TeamChoice("t", "r"), "team"),
	(s.Choice("a", "r"), "agent"),
])
def test_records_are_frozen(record, field):
	from dataclasses import FrozenInstanceError

	with pytest.raises(FrozenInstanceError):
		setattr(record, field, None)


def test_words_of_nothing_is_nothing():
	assert s.words(None) == [] and s.words("") == []
	assert s.words("Hello, WORLD 42") == ["hello", "world", "42"]


def test_an_unknown_model_is_refused_by_name():
	with pytest.raises(ValueError, match=r"^unknown assignment model 'Lottery'$"):
		s.choose("Lottery", [], None)
