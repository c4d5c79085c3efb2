"""SLA deadline arithmetic (tg_tickets.sla.clock): plain pytest, no site, no wall clock."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tg_tickets.sla.clock import (
	AT_RISK, BREACHED, MET, ON_TRACK, PAUSED, BusinessCalendar, Event, Rules, Targets, Window, compute,
)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
H = 3600


def office(tz="Europe/Berlin", days=range(5), windows=((time(9), time(12)), (time(13), time(17))), holidays=()):
	"""Monday–Friday with a lunch break by default."""
	return BusinessCalendar(tz, [Window(d, s, e) for d in days for s, e in windows], holidays)


def berlin(*args):
	return datetime(*args, tzinfo=BERLIN)


def targets(first=None, resolution=None):
	return Targets(first * H if first else None, resolution * H if resolution else None)


# --- calendar --------------------------------------------------------------------------------------------


def test_no_windows_means_round_the_clock():
	cal = BusinessCalendar("UTC")
	start = datetime(2026, 3, 2, 22, tzinfo=UTC)
	assert cal.business_seconds(start, start + timedelta(hours=5)) == 5 * H


def test_lunch_break_does_not_count():
	cal = office()
	# Monday 2026-03-02, 11:00 → 14:00 Berlin: 1 h before lunch + 1 h after.
	assert cal.business_seconds(berlin(2026, 3, 2, 11), berlin(2026, 3, 2, 14)) == 2 * H


def test_due_skips_lunch_and_the_night():
	result = compute(targets(resolution=4), office(), [(berlin(2026, 3, 2, 15), "OPEN")], berlin(2026, 3, 2, 15))
	# 15→17 = 2 h on Monday, then 9→11 on Tuesday.
	assert result.resolution.due == berlin(2026, 3, 3, 11)
	assert result.state == ON_TRACK


def test_ticket_created_on_friday_evening_is_due_after_the_weekend():
	result = compute(targets(first=2), office(), [(berlin(2026, 3, 6, 18), "OPEN")], berlin(2026, 3, 6, 18))
	assert result.first_response.due == berlin(2026, 3, 9, 11)


def test_holiday_removes_the_whole_day():
	cal = office(holidays=[date(2026, 3, 3)])
	result = compute(targets(resolution=4), cal, [(berlin(2026, 3, 2, 15), "OPEN")], berlin(2026, 3, 2, 15))
	assert result.resolution.due == berlin(2026, 3, 4, 11)


def test_window_crossing_midnight_belongs_to_the_day_it_starts():
	# Night shift Monday 22:00 → Tuesday 06:00 only.
	cal = BusinessCalendar("Europe/Berlin", [Window(0, time(22), time(6))])
	result = compute(targets(resolution=3), cal, [(berlin(2026, 3, 2, 23), "OPEN")], berlin(2026, 3, 2, 23))
	assert result.resolution.due == berlin(2026, 3, 3, 2)
	# Created Tuesday 01:00: still inside Monday's shift.
	result = compute(targets(resolution=6), cal, [(berlin(2026, 3, 3, 1), "OPEN")], berlin(2026, 3, 3, 1))
	assert result.resolution.due == berlin(2026, 3, 9, 23)  # 5 h left Tuesday morning, 1 h next Monday


def test_holiday_on_the_start_day_of_a_night_window_removes_it_entirely():
	cal = BusinessCalendar("Europe/Berlin", [Window(0, time(22), time(6))], holidays=[date(2026, 3, 2)])
	assert cal.business_seconds(berlin(2026, 3, 2, 20), berlin(2026, 3, 3, 8)) == 0


def test_dst_spring_forward_day_has_one_hour_less_around_the_clock():
	cal = BusinessCalendar("Europe/Berlin", [Window(d, time(0), time(0)) for d in range(7)])
	# 2026-03-29: clocks jump from 02:00 to 03:00 in Berlin.
	assert cal.business_seconds(berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0)) == 23 * H
	result = compute(targets(resolution=3), cal, [(berlin(2026, 3, 29, 0, 30), "OPEN")], berlin(2026, 3, 29, 0, 30))
	assert result.resolution.due == berlin(2026, 3, 29, 4, 30)


def test_dst_fall_back_keeps_office_hours_in_wall_time():
	cal = office()
	# Friday 2026-10-23 16:00 (UTC+2), 2 h target → Monday 2026-10-26 10:00 (UTC+1) in wall time.
	result = compute(targets(resolution=2), cal, [(berlin(2026, 10, 23, 16), "OPEN")], berlin(2026, 10, 23, 16))
	assert result.resolution.due == berlin(2026, 10, 26, 10)
	assert result.resolution.due.astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_calendar_timezone_is_respected_whatever_the_input_timezone():
	cal = office(tz="Asia/Tokyo", windows=((time(9), time(18)),))
	created = datetime(2026, 3, 2, 0, tzinfo=UTC)  # 09:00 in Tokyo
	result = compute(targets(first=1), cal, [(created, "OPEN")], created)
	assert result.first_response.due == datetime(2026, 3, 2, 1, tzinfo=UTC)


# --- pauses, resolution, reopen --------------------------------------------------------------------------


def test_pause_spanning_days_does_not_count_and_is_reported():
	cal = office()
	history = [
		(berlin(2026, 3, 2, 9), "OPEN"),
		(berlin(2026, 3, 2, 10), "PENDING"),  # awaiting the customer until Thursday
		(berlin(2026, 3, 5, 9), "OPEN"),
	]
	result = compute(targets(resolution=4), cal, history, berlin(2026, 3, 5, 10))
	assert result.resolution.elapsed_seconds == 2 * H
	assert result.resolution.due == berlin(2026, 3, 5, 12)
	assert result.paused_seconds == (3 * 24 - 1) * H
	assert result.state == ON_TRACK


def test_paused_ticket_is_paused_and_schedules_no_event():
	history = [(berlin(2026, 3, 2, 9), "OPEN"), (berlin(2026, 3, 2, 10), "PENDING")]
	result = compute(targets(first=2, resolution=4), office(), history, berlin(2026, 3, 3, 15))
	assert result.state == PAUSED
	assert result.events == ()
	# Projection: 3 h left, counted from now (2 h on Tuesday afternoon, 1 h on Wednesday).
	assert result.resolution.due == berlin(2026, 3, 4, 10)


def test_custom_paused_statuses():
	rules = Rules(paused_statuses=frozenset({"BLOCKED"}))
	history = [(berlin(2026, 3, 2, 9), "OPEN"), (berlin(2026, 3, 2, 10), "PENDING")]
	result = compute(targets(resolution=4), office(), history, berlin(2026, 3, 2, 11), rules)
	assert result.state == ON_TRACK and result.resolution.elapsed_seconds == 2 * H


def test_solving_within_target_is_met_and_stops_the_clock():
	history = [(berlin(2026, 3, 2, 9), "OPEN"), (berlin(2026, 3, 2, 11), "SOLVED")]
	result = compute(targets(first=1, resolution=4), office(), history, berlin(2026, 3, 9, 9),
		first_responded_at=berlin(2026, 3, 2, 9, 30))
	assert result.state == MET
	assert result.resolved_at == berlin(2026, 3, 2, 11)
	assert result.resolution.elapsed_seconds == 2 * H
	assert result.events == ()


def test_reopen_after_resolution_resumes_with_the_time_already_used():
	history = [
		(berlin(2026, 3, 2, 9), "OPEN"),
		(berlin(2026, 3, 2, 11), "SOLVED"),
		(berlin(2026, 3, 4, 9), "OPEN"),  # the customer wrote back
	]
	result = compute(targets(resolution=4), office(), history, berlin(2026, 3, 4, 9))
	assert result.resolved_at is None
	assert result.resolution.elapsed_seconds == 2 * H
	assert result.resolution.due == berlin(2026, 3, 4, 11)
	assert result.state == ON_TRACK


def test_a_threshold_crossed_before_a_reopen_keeps_its_key_and_one_crossed_after_it_is_a_new_cycle():
	cal = BusinessCalendar("UTC")
	created = datetime(2026, 3, 2, 8, tzinfo=UTC)
	history = [(created, "OPEN"), (created + timedelta(hours=3, minutes=30), "SOLVED"), (created + timedelta(days=1), "OPEN")]
	result = compute(targets(resolution=4), cal, history, created + timedelta(days=1), Rules(escalation_enabled=False))
	# 3 h of 4 h were used before the solve: the 75 % reminder stays in cycle 0, the breach falls in cycle 1
	assert {e.key: e.at for e in result.events} == {
		"resolution:reminder:75": created + timedelta(hours=3),
		"resolution:breach@1": created + timedelta(days=1, minutes=30),
	}
	# reopened a second time, with a longer target: both thresholds are crossed again, in cycle 2
	history += [(created + timedelta(days=1, hours=1), "SOLVED"), (created + timedelta(days=2), "OPEN")]
	result = compute(targets(resolution=8), cal, history, created + timedelta(days=2), Rules(escalation_enabled=False))
	assert {e.key: e.at for e in result.events} == {
		"resolution:reminder:75@2": created + timedelta(days=2, hours=1, minutes=30),
		"resolution:breach@2": created + timedelta(days=2, hours=3, minutes=30),
	}
	assert result.next_event_at(done={"resolution:reminder:75"}) == created + timedelta(days=2, hours=1, minutes=30)


@pytest.mark.parametrize("key", ["resolution:reminder:75", "resolution:breach@1", "first_response:reminder:50@12"])
def test_an_event_key_names_its_clock_kind_threshold_and_cycle(key):
	event = Event.from_key(key, datetime(2026, 3, 2, tzinfo=UTC))
	assert Event.make(event.clock, event.kind, event.at, event.percent, event.cycle) == event


def test_closed_late_is_breached():
	history = [(berlin(2026, 3, 2, 9), "OPEN"), (berlin(2026, 3, 3, 9), "CLOSED")]
	result = compute(targets(resolution=4), office(), history, berlin(2026, 3, 3, 9))
	assert result.state == BREACHED


# --- first response --------------------------------------------------------------------------------------


def test_first_response_stops_its_clock_only():
	history = [(berlin(2026, 3, 2, 9), "OPEN")]
	result = compute(targets(first=1, resolution=8), office(), history, berlin(2026, 3, 2, 16),
		first_responded_at=berlin(2026, 3, 2, 9, 45))
	assert result.first_response.state == "stopped" and not result.first_response.breached
	assert result.first_response.elapsed_seconds == 45 * 60
	assert result.resolution.elapsed_seconds == 6 * H
	assert result.state == AT_RISK  # 6 of 8 h used: past the 75 % reminder
	assert [e.key for e in result.events] == ["resolution:reminder:75", "resolution:breach", "resolution:escalation"]


def test_late_first_response_is_breached_even_after_resolution():
	history = [(berlin(2026, 3, 2, 9), "OPEN"), (berlin(2026, 3, 2, 14), "SOLVED")]
	result = compute(targets(first=1, resolution=8), office(), history, berlin(2026, 3, 2, 15),
		first_responded_at=berlin(2026, 3, 2, 13, 30))
	assert result.first_response.breached and result.state == BREACHED


# --- events ----------------------------------------------------------------------------------------------


def test_reminder_breach_and_escalation_times():
	cal = BusinessCalendar("UTC")
	created = datetime(2026, 3, 2, 8, tzinfo=UTC)
	rules = Rules(reminder_percents=(50, 75), grace_percent=25)
	result = compute(targets(first=4), cal, [(created, "OPEN")], created, rules)
	at = {e.key: e.at for e in result.events}
	assert at == {
		"first_response:reminder:50": created + timedelta(hours=2),
		"first_response:reminder:75": created + timedelta(hours=3),
		"first_response:breach": created + timedelta(hours=4),
		"first_response:escalation": created + timedelta(hours=5),
	}
	assert result.next_event_at() == created + timedelta(hours=2)
	assert result.next_event_at(done={"first_response:reminder:50"}) == created + timedelta(hours=3)
	later = created + timedelta(hours=4, minutes=1)
	assert [e.key for e in result.due_events(later, done={"first_response:reminder:50"})] == [
		"first_response:reminder:75", "first_response:breach"
	]


def test_fixed_grace_and_switched_off_escalation():
	cal = BusinessCalendar("UTC")
	created = datetime(2026, 3, 2, 8, tzinfo=UTC)
	result = compute(targets(first=4), cal, [(created, "OPEN")], created, Rules(grace_seconds=600))
	assert {e.key: e.at for e in result.events}["first_response:escalation"] == created + timedelta(hours=4, minutes=10)
	result = compute(targets(first=4), cal, [(created, "OPEN")], created, Rules(escalation_enabled=False))
	assert "first_response:escalation" not in {e.key for e in result.events}


def test_breach_state_when_target_passed():
	cal = BusinessCalendar("UTC")
	created = datetime(2026, 3, 2, 8, tzinfo=UTC)
	result = compute(targets(first=1), cal, [(created, "OPEN")], created + timedelta(hours=1))
	assert result.state == BREACHED


def test_due_override_is_a_fixed_moment():
	created = berlin(2026, 3, 2, 9)
	override = berlin(2026, 3, 2, 10)
	history = [(created, "OPEN"), (berlin(2026, 3, 2, 9, 30), "PENDING")]
	result = compute(targets(resolution=40), office(), history, berlin(2026, 3, 2, 10, 30),
		resolution_due_override=override)
	assert result.resolution.due == override
	assert result.state == BREACHED


def test_no_target_no_state():
	created = datetime(2026, 3, 2, 8, tzinfo=UTC)
	result = compute(Targets(None, None), BusinessCalendar("UTC"), [(created, "OPEN")], created)
	assert result.state is None and result.events == ()


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"make",
	[
		lambda: BusinessCalendar("Mars/Olympus"),
		lambda: Window(7, time(9), time(17)),
		lambda: Rules(reminder_percents=(120,)),
		lambda: Rules(paused_statuses=frozenset({"SOLVED"})),
		lambda: compute(targets(first=1), BusinessCalendar("UTC"), [], datetime(2026, 1, 1, tzinfo=UTC)),
		lambda: compute(targets(first=1), BusinessCalendar("UTC"), [(datetime(2026, 1, 1), "OPEN")],
			datetime(2026, 1, 1, tzinfo=UTC)),
	],
)
def test_bad_input_is_refused_with_a_value_error(make):
	with pytest.raises(ValueError):
		make()


def test_time_after_counts_business_seconds_from_any_instant():
	cal = office()
	# Friday 16:00 + 3 business hours: 1 h on Friday, lunch-free Monday morning 9–11
	assert cal.time_after(berlin(2026, 3, 13, 16), 3 * H) == berlin(2026, 3, 16, 11)
	# from the night: the clock starts at the next opening
	assert cal.time_after(berlin(2026, 3, 16, 2), 0) == berlin(2026, 3, 16, 9)
	assert cal.time_after(berlin(2026, 3, 16, 11), 2 * H) == berlin(2026, 3, 16, 14)
	assert BusinessCalendar("UTC").time_after(datetime(2026, 3, 16, 2, tzinfo=UTC), 90) == datetime(2026, 3, 16, 2, 1, 30, tzinfo=UTC)
	with pytest.raises(ValueError):
		cal.time_after(datetime(2026, 3, 16, 2), H)
