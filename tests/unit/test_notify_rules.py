"""Notification channels, quiet hours and bursts (tg_tickets/notify/rules.py): pure, no site."""

from datetime import datetime, time, timedelta, timezone

import pytest

from tg_tickets.notify import rules as r

ALL = frozenset(r.CHANNELS)
TZ = timezone(timedelta(hours=3))


def prefs(**kw):
	return r.Preferences(channels={kind: ALL for kind in r.KINDS}, **kw)


def at(hour, minute=0, day=2):
	return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def test_channels_follow_the_users_choice_per_type():
	p = r.Preferences(channels={r.ASSIGNED: frozenset({r.DESK}), r.RATING: frozenset({r.EMAIL, r.TELEGRAM})})
	assert p.wants(r.ASSIGNED, r.DESK) and not p.wants(r.ASSIGNED, r.EMAIL)
	assert not p.wants(r.MENTION, r.DESK)
	assert r.plan(p, r.ASSIGNED, at(12)) == r.Plan(frozenset({r.DESK}), frozenset(), None)
	assert r.plan(p, r.RATING, at(12)) == r.Plan(frozenset({r.EMAIL, r.TELEGRAM}), frozenset(), None)
	assert r.plan(p, r.MENTION, at(12)) == r.Plan(frozenset(), frozenset(), None)


@pytest.mark.parametrize("start, end, hour, minute, quiet", [
	(time(22), time(7), 23, 0, True), (time(22), time(7), 6, 59, True), (time(22), time(7), 7, 0, False),
	(time(22), time(7), 21, 59, False), (time(22), time(7), 22, 0, True), (time(22), time(7), 0, 0, True),
	(time(12), time(14), 12, 0, True), (time(12), time(14), 13, 59, True), (time(12), time(14), 14, 0, False),
	(time(12), time(14), 11, 59, False), (time(9), time(9), 9, 0, False), (None, time(9), 8, 0, False),
	(time(9), None, 10, 0, False),
])
def test_quiet_hours(start, end, hour, minute, quiet):
	assert r.in_quiet_hours(prefs(quiet_from=start, quiet_to=end), at(hour, minute)) is quiet


def test_quiet_hours_hold_email_and_telegram_until_they_end_and_the_bell_rings():
	p = prefs(quiet_from=time(22), quiet_to=time(7))
	assert r.plan(p, r.ASSIGNED, at(23)) == r.Plan(frozenset({r.DESK}), frozenset({r.EMAIL, r.TELEGRAM}), at(7, day=3))
	assert r.plan(p, r.ASSIGNED, at(3)) == r.Plan(frozenset({r.DESK}), frozenset({r.EMAIL, r.TELEGRAM}), at(7))
	assert r.plan(p, r.ASSIGNED, at(8)) == r.Plan(ALL, frozenset(), None)


def test_breaches_and_escalations_override_quiet_hours_when_the_user_lets_them():
	p = prefs(quiet_from=time(22), quiet_to=time(7))
	for kind in (r.SLA_BREACH, r.ESCALATION):
		assert r.plan(p, kind, at(23)) == r.Plan(ALL, frozenset(), None)
	assert r.plan(p, r.SLA_REMINDER, at(23)).held == frozenset({r.EMAIL, r.TELEGRAM})
	strict = prefs(quiet_from=time(22), quiet_to=time(7), urgent_overrides_quiet_hours=False)
	assert r.plan(strict, r.SLA_BREACH, at(23)).held == frozenset({r.EMAIL, r.TELEGRAM})


def test_only_the_bell_in_quiet_hours_holds_nothing():
	p = r.Preferences(channels={r.ASSIGNED: frozenset({r.DESK})}, quiet_from=time(22), quiet_to=time(7))
	assert r.plan(p, r.ASSIGNED, at(23)) == r.Plan(frozenset({r.DESK}), frozenset(), None)


def test_quiet_hours_end_is_the_next_end_after_now():
	p = prefs(quiet_from=time(12), quiet_to=time(14))
	assert r.quiet_hours_end(p, at(13)) == at(14)
	p = prefs(quiet_from=time(22), quiet_to=time(7))
	assert r.quiet_hours_end(p, at(22, 30)) == at(7, day=3)
	assert r.quiet_hours_end(p, at(7)) == at(7, day=3)


def test_bursts_allow_one_dm_per_window():
	t = at(10)
	assert r.burst_hold_until(None, t, 10) is None
	assert r.burst_hold_until(t, t + timedelta(minutes=3), 10) == t + timedelta(minutes=10)
	assert r.burst_hold_until(t, t + timedelta(minutes=10), 10) is None
	assert r.burst_hold_until(t, t + timedelta(minutes=3), 0) is None


def test_summary():
	assert r.summary("ABC123", ["only one"]) == "only one"
	assert r.summary("ABC123", ["a", "b"]) == "2 notifications on ticket #ABC123:\n• a\n• b"
	assert r.summary(None, ["a", "b"]) == "2 notifications:\n• a\n• b"
	lines = [str(i) for i in range(12)]
	text = r.summary("X", lines)
	assert text.startswith("12 notifications on ticket #X (the last 10):\n• 2\n")
	assert text.endswith("• 11") and "• 1\n" not in text


def test_defaults_ring_the_bell_for_everything_and_push_only_sla_alerts_and_escalations():
	assert set(r.DEFAULT_CHANNELS) == set(r.KINDS)
	assert all(r.DESK in c for c in r.DEFAULT_CHANNELS.values())
	pushed = {k for k, c in r.DEFAULT_CHANNELS.items() if c - {r.DESK}}
	assert pushed == {r.SLA_REMINDER, r.SLA_BREACH, r.ESCALATION}
	assert all(c == frozenset(r.CHANNELS) for k, c in r.DEFAULT_CHANNELS.items() if k in pushed)


def test_the_kinds_and_channels_are_the_doctypes_vocabulary():
	import json
	from pathlib import Path

	doctype = Path(__file__).resolve().parents[2] / "tg_tickets/tg_tickets/doctype/agent_notification_channel/agent_notification_channel.json"
	fields = {f["fieldname"]: f for f in json.loads(doctype.read_text())["fields"]}
	assert tuple(fields["notification_type"]["options"].split("\n")) == r.KINDS == (
		"Assigned to me", "New customer message", "Mention", "SLA reminder", "SLA breach", "Escalation", "Rating received")
	assert r.CHANNELS == ("desk", "email", "telegram") and set(r.CHANNELS) <= set(fields)
	assert r.URGENT == {"SLA breach", "Escalation"}
	assert r.SUMMARY_LINES == 10
	default = r.Preferences(channels={})
	assert (default.quiet_from, default.quiet_to, default.urgent_overrides_quiet_hours, default.burst_minutes) == (None, None, True, 10)
