"""Auto-close decisions (tg_tickets/lifecycle/auto_close_plan.py): pure, no site."""

from datetime import datetime, timedelta

import pytest

from tg_tickets.lifecycle import auto_close_plan as plan

T0 = datetime(2026, 12, 1, 10, 0)


def rule(name="R", close=72.0, warn=24.0, business=False, window=0.0, category=None, sla_policy=None):
	return plan.Rule(name, close, warn, business, window, category, sla_policy)


def test_a_category_rule_wins_over_a_policy_rule_which_wins_over_the_default():
	default, by_policy, by_category = rule("D"), rule("P", sla_policy="Gold"), rule("C", category="Billing")
	rules = [default, by_policy, by_category]
	assert plan.choose_rule(rules, "Billing", "Gold") is by_category
	assert plan.choose_rule(rules, "Other", "Gold") is by_policy
	assert plan.choose_rule(rules, "Other", "Silver") is default
	assert plan.choose_rule(rules, None, None) is default


def test_no_matching_rule_means_no_auto_close():
	assert plan.choose_rule([rule("C", category="Billing"), rule("P", sla_policy="Gold")], "Other", "Silver") is None
	assert plan.choose_rule([], "Billing", "Gold") is None


def test_the_first_rule_of_each_kind_counts():
	first, second = rule("C1", category="Billing"), rule("C2", category="Billing")
	assert plan.choose_rule([first, second], "Billing", None) is first
	d1, d2 = rule("D1"), rule("D2")
	assert plan.choose_rule([d1, d2], None, None) is d1
	p1, p2 = rule("P1", sla_policy="Gold"), rule("P2", sla_policy="Gold")
	assert plan.choose_rule([p1, p2], None, "Gold") is p1


def test_schedule_warns_before_closing_in_wall_hours():
	when = plan.schedule(T0, rule(close=72, warn=24))
	assert when.close_at == T0 + timedelta(hours=72)
	assert when.warn_at == T0 + timedelta(hours=48)
	assert when.next_event_at(warned=False) == when.warn_at
	assert when.next_event_at(warned=True) == when.close_at


def test_schedule_counts_with_the_given_hour_adder():
	calls = []

	def business(start, hours):
		calls.append((start, hours))
		return start + timedelta(days=hours)  # a calendar where an hour takes a day

	when = plan.schedule(T0, rule(close=3, warn=1), business)
	assert when.close_at == T0 + timedelta(days=3) and when.warn_at == T0 + timedelta(days=2)
	assert sorted(calls) == [(T0, 2), (T0, 3)]


def test_a_warning_as_long_as_the_wait_goes_out_at_once():
	when = plan.schedule(T0, rule(close=5, warn=5))
	assert when.warn_at == T0 and when.close_at == T0 + timedelta(hours=5)


def test_warning_longer_than_the_wait_still_warns_at_the_start():
	when = plan.schedule(T0, rule(close=5, warn=8))
	assert when.warn_at == T0


def test_a_late_warning_pushes_the_close_back_to_keep_the_notice():
	r = rule(close=72, warn=24)
	close_at = T0 + timedelta(hours=72)
	assert plan.close_after_warning(close_at, T0 + timedelta(hours=48), r) == close_at
	late = T0 + timedelta(hours=60)
	assert plan.close_after_warning(close_at, late, r) == late + timedelta(hours=24)


def test_due_step():
	warn_at, close_at = T0, T0 + timedelta(hours=24)
	assert plan.due_step(T0 - timedelta(seconds=1), warn_at, close_at, None) is None
	assert plan.due_step(T0, warn_at, close_at, None) == plan.WARN
	assert plan.due_step(close_at + timedelta(hours=1), warn_at, close_at, None) == plan.WARN  # never closes unwarned
	assert plan.due_step(close_at - timedelta(seconds=1), warn_at, close_at, T0) is None
	assert plan.due_step(close_at, warn_at, close_at, T0) == plan.CLOSE
	assert plan.due_step(T0, None, close_at, None) is None
	assert plan.due_step(T0, warn_at, None, None) is None


@pytest.mark.parametrize("seconds, hours", [(1, 1), (3599, 1), (3600, 1), (3601, 2), (24 * 3600, 24), (-50, 1)])
def test_hours_left_rounds_up_and_is_at_least_one(seconds, hours):
	assert plan.hours_left(T0, T0 + timedelta(seconds=seconds)) == hours


def test_warning_text_names_the_ticket_the_hours_and_the_button():
	assert plan.warning_text("ABC123", 24) == (
		"We consider ticket #ABC123 solved and will close it in 24 hours. "
		"Tap “Still need help” or reply here if it isn't."
	)
	assert "in 1 hour." in plan.warning_text("ABC123", 1)


def test_close_reason_states_the_hours_and_the_rule():
	assert plan.close_reason(rule("Standard", close=72)) == (
		"Solved with no customer message for 72 hours (auto-close rule Standard)"
	)
	assert plan.close_reason(rule("Office", close=7.5, business=True)) == (
		"Solved with no customer message for 7.5 business hours (auto-close rule Office)"
	)


def test_reopen_window():
	assert plan.reopen_until(T0, rule(window=48)) == T0 + timedelta(hours=48)
	assert plan.reopen_until(T0, rule(window=0)) is None
	assert plan.reopen_until(T0, None) is None
	assert plan.reopen_until(T0, rule(window=0.5)) == T0 + timedelta(minutes=30)


def test_the_vocabulary_and_defaults():
	assert (plan.WARN, plan.CLOSE, plan.STILL_NEED_HELP) == ("warn", "close", "Still need help")
	r = plan.Rule("R", 10.0)
	assert (r.warn_before_hours, r.business_hours, r.reopen_window_hours, r.category, r.sla_policy) == (24.0, False, 0.0, None, None)
	assert plan.wall_hours(T0, 1.5) == T0 + timedelta(minutes=90)
	assert plan.schedule(T0, plan.Rule("R", 30.0)).warn_at == T0 + timedelta(hours=6)
	assert plan.close_after_warning(T0, T0, plan.Rule("R", 30.0)) == T0 + timedelta(hours=24)
