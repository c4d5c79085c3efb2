"""The per-ticket metric definitions (tg_tickets/analytics/metrics.py), without a site."""

from datetime import date, datetime, timedelta

from tg_tickets.analytics import metrics
from tg_tickets.analytics.metrics import AGENT, CUSTOMER, TicketFacts

T0 = datetime(2026, 3, 2, 9, 0)  # a Monday


def at(minutes):
	return T0 + timedelta(minutes=minutes)


def facts(**values):
	return TicketFacts(**{"created": T0, "status": "OPEN", **values})


def test_one_reply_then_solved_is_a_first_contact_resolution_with_its_times():
	history = [(T0, "NEW"), (at(30), "OPEN"), (at(90), "SOLVED")]
	messages = [(at(5), CUSTOMER), (at(20), AGENT)]
	m = metrics.compute(facts(status="SOLVED", team="T", agent="a@x", category="C", priority="HIGH",
		chat_type="Private", sla_state="MET", rating=4, sentiment=0.5), history, messages)
	assert m["first_response_on"] == at(20)
	assert m["first_response_seconds"] == 20 * 60
	assert m["first_response_business_seconds"] == 20 * 60  # no policy: business time is wall time
	assert m["resolved_on"] == at(90) and m["resolved_date"] == T0.date()
	assert m["resolution_seconds"] == 90 * 60
	assert m["handle_seconds"] == 20 * 60  # the creation is the first request
	assert (m["agent_replies"], m["customer_messages"], m["reopen_count"]) == (1, 1, 0)
	assert m["first_contact_resolution"] == 1
	assert (m["rating"], m["rated"], m["sentiment"]) == (4, 1, 0.5)
	assert (m["sla_met"], m["sla_breached"]) == (1, 0)
	assert (m["team"], m["agent"], m["category"], m["priority"], m["chat_type"]) == ("T", "a@x", "C", "HIGH", "Private")
	assert m["open_since"] is None and m["closed_on"] is None and m["closed_date"] is None
	assert (m["created_on"], m["created_date"], m["created_week"], m["status"]) == (T0, T0.date(), T0.date(), "SOLVED")


def test_two_replies_or_a_reopen_are_not_first_contact_resolutions():
	history = [(T0, "NEW"), (at(60), "SOLVED")]
	two = metrics.compute(facts(status="SOLVED"), history, [(at(10), AGENT), (at(20), AGENT)])
	assert two["agent_replies"] == 2 and two["first_contact_resolution"] == 0
	reopened = [(T0, "NEW"), (at(60), "SOLVED"), (at(70), "OPEN"), (at(80), "CLOSED")]
	once = metrics.compute(facts(status="CLOSED", closed_at=at(80)), reopened, [(at(10), AGENT)])
	assert once["reopen_count"] == 1 and once["first_contact_resolution"] == 0
	assert once["resolved_on"] == at(80) and once["closed_on"] == at(80) and once["closed_date"] == T0.date()
	unresolved = metrics.compute(facts(status="OPEN"), [(T0, "NEW")], [(at(10), AGENT)])
	assert unresolved["first_contact_resolution"] == 0 and unresolved["resolved_on"] is None
	assert unresolved["open_since"] == T0 and unresolved["resolution_seconds"] is None
	assert unresolved["resolution_business_seconds"] is None


def test_resolution_counts_from_the_start_of_the_current_resolved_run():
	history = [(T0, "NEW"), (at(10), "SOLVED"), (at(20), "OPEN"), (at(30), "SOLVED"), (at(40), "CLOSED")]
	assert metrics.resolved_at("CLOSED", history) == at(30)
	assert metrics.resolved_at("OPEN", history) is None
	assert metrics.resolved_at("SOLVED", [(T0, "NEW")], fallback=at(5)) == at(5)
	assert metrics.resolved_at("SOLVED", [], fallback=None) is None


def test_reopens_count_resolved_to_open_transitions_and_the_ticket_counter_when_higher():
	history = [(T0, "NEW"), (at(1), "SOLVED"), (at(2), "CLOSED"), (at(3), "OPEN"), (at(4), "PENDING"),
		(at(5), "SOLVED"), (at(6), "NEW")]
	assert metrics.reopens(history) == 2
	assert metrics.reopens([(T0, "SOLVED"), (at(1), "CLOSED")]) == 0
	assert metrics.compute(facts(reopen_count=5), history, [])["reopen_count"] == 5
	assert metrics.compute(facts(reopen_count=1), history, [])["reopen_count"] == 2


def test_handle_time_sums_each_reply_from_the_earliest_customer_message_it_answers():
	messages = [
		(at(30), AGENT),  # answers the request made at creation: 30 min
		(at(40), AGENT),  # nothing unanswered: adds nothing
		(at(100), CUSTOMER), (at(110), CUSTOMER),
		(at(130), AGENT),  # answers the message of 100: 30 min
		(at(200), CUSTOMER),  # still unanswered: adds nothing yet
	]
	assert metrics.handle_seconds(T0, messages) == 60 * 60
	assert metrics.handle_seconds(T0, []) == 0
	# a customer message and a reply at the same instant: the message comes first
	assert metrics.handle_seconds(T0, [(at(30), AGENT), (at(50), AGENT), (at(50), CUSTOMER)]) == 30 * 60
	assert metrics.handle_seconds(T0, list(reversed(messages))) == 60 * 60  # order of input does not matter


def test_first_response_is_the_earliest_reply_or_the_sla_stamp():
	m = metrics.compute(facts(), [], [(at(50), AGENT), (at(20), AGENT)])
	assert m["first_response_on"] == at(20)
	stamped = metrics.compute(facts(first_responded_at=at(15)), [], [(at(20), AGENT)])
	assert stamped["first_response_on"] == at(15) and stamped["first_response_seconds"] == 15 * 60
	only_stamp = metrics.compute(facts(first_responded_at=at(25)), [], [])
	assert only_stamp["first_response_on"] == at(25) and only_stamp["agent_replies"] == 0
	none = metrics.compute(facts(), [], [])
	assert none["first_response_on"] is None and none["first_response_seconds"] is None
	assert none["first_response_business_seconds"] is None


def test_business_seconds_come_from_the_callback_and_are_never_negative():
	calls = []

	def business(start, end):
		calls.append((start, end))
		return -5 if end == at(90) else 600

	history = [(T0, "NEW"), (at(90), "SOLVED")]
	m = metrics.compute(facts(status="SOLVED"), history, [(at(20), AGENT)], business)
	assert m["first_response_business_seconds"] == 600
	assert m["resolution_business_seconds"] == 0
	assert calls == [(T0, at(20)), (T0, at(90))]


def test_sla_states_and_missing_values():
	assert metrics.compute(facts(sla_state="BREACHED"), [], [])["sla_breached"] == 1
	assert metrics.compute(facts(sla_state="BREACHED"), [], [])["sla_met"] == 0
	neither = metrics.compute(facts(sla_state="AT_RISK", rating=0, team="", agent=""), [], [])
	assert (neither["sla_met"], neither["sla_breached"], neither["rating"], neither["rated"]) == (0, 0, None, 0)
	assert (neither["team"], neither["agent"], neither["category"], neither["chat_type"]) == (None, None, None, None)


def test_a_reply_before_the_creation_counts_zero_not_negative():
	m = metrics.compute(facts(), [], [(T0 - timedelta(minutes=5), AGENT)])
	assert m["first_response_seconds"] == 0 and m["handle_seconds"] == 0


def test_week_start_is_monday():
	assert metrics.week_start(date(2026, 3, 8)) == date(2026, 3, 2)
	assert metrics.week_start(date(2026, 3, 2)) == date(2026, 3, 2)
	assert metrics.week_start(None) is None


def test_a_customer_message_at_the_instant_of_a_reply_is_answered_by_it():
	messages = [(at(30), AGENT), (at(50), AGENT), (at(50), CUSTOMER), (at(60), AGENT)]
	assert metrics.handle_seconds(T0, messages) == 30 * 60  # the 60-minute reply answers nothing new


def test_counts_of_each_kind_of_message():
	m = metrics.compute(facts(), [], [(at(1), CUSTOMER), (at(2), CUSTOMER), (at(3), AGENT)])
	assert (m["customer_messages"], m["agent_replies"]) == (2, 1)


def test_a_resolved_ticket_without_history_or_closing_uses_the_hint():
	m = metrics.compute(facts(status="SOLVED", resolved_hint=at(45)), [], [])
	assert m["resolved_on"] == at(45) and m["resolution_seconds"] == 45 * 60 and m["open_since"] is None
	closed = metrics.compute(facts(status="CLOSED", closed_at=at(50), resolved_hint=at(45)), [], [])
	assert closed["resolved_on"] == at(50)
