"""SLA deadline arithmetic: a pure function of (policy targets, business calendar, status history, now).

It turns a ticket's status history into due times, elapsed business seconds, paused seconds, the SLA state
and the moments of its reminder, breach and escalation events. It must never import Frappe, read a database
or look at the wall clock: `now` is always an argument, so every answer is reproducible in a unit test.

Rules:
- Both clocks start when the ticket is created (the first history entry).
- Time counts only inside business windows and only while the status is neither paused (default PENDING)
  nor stopping (SOLVED, CLOSED). Reopening resumes a clock with the time it had already used.
- The first-response clock stops at the first agent reply sent to the customer; both clocks stop at
  SOLVED/CLOSED.
- A business window belongs to the weekday it starts on; `end <= start` means it ends the next day
  (a night shift). A holiday removes the windows that start on that date. Wall times are read in the
  calendar's timezone, so a window on a DST-change day is as long as the clock on the wall says minus
  (or plus) the skipped (or repeated) hour. No windows at all means 24/7.
- While a clock is paused, its due time is a projection "if the clock resumed now"; it moves until resumed.
- A due-time override is a fixed moment: pauses and business hours no longer move it; its reminders and
  escalation are spaced proportionally in wall time between the clock's start and the override.
- Events are keyed per cycle: a reopen starts a new cycle, and an event's key names the cycle its moment falls
  in ("resolution:breach" in the first, "resolution:breach@1" after the first reopen). A threshold crossed
  before the reopen keeps its old key (the resumed clock does not cross it again), one crossed after it is new
  and notifies again, e.g. once a longer target or a new deadline moves the breach past the reopen.

All datetimes are timezone-aware; naive datetimes are refused with a ValueError.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ON_TRACK = "ON_TRACK"
AT_RISK = "AT_RISK"
BREACHED = "BREACHED"
PAUSED = "PAUSED"
MET = "MET"
STATES = (ON_TRACK, AT_RISK, BREACHED, PAUSED, MET)

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
CLOCKS = (FIRST_RESPONSE, RESOLUTION)

DEFAULT_PAUSED_STATUSES = frozenset({"PENDING"})
STOPPING_STATUSES = frozenset({"SOLVED", "CLOSED"})
DEFAULT_REMINDER_PERCENTS = (75,)
DEFAULT_GRACE_PERCENT = 50

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Clock states (per clock) as opposed to the ticket's SLA state.
RUNNING = "running"
CLOCK_PAUSED = "paused"
STOPPED = "stopped"


def _aware(value: datetime, what: str) -> datetime:
	if not isinstance(value, datetime):
		raise ValueError(f"{what} must be a datetime, got {value!r}")
	if value.tzinfo is None or value.utcoffset() is None:
		raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
	return value.astimezone(timezone.utc)


# --- business calendar -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Window:
	"""Business hours on one weekday (0 = Monday); `end <= start` crosses midnight into the next day."""

	weekday: int
	start: time
	end: time

	def __post_init__(self):
		if not 0 <= self.weekday <= 6:
			raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")


class BusinessCalendar:
	"""Weekday windows and holidays in one timezone; yields the business time between two instants."""

	def __init__(self, timezone_name: str = "UTC", windows: Iterable[Window] = (), holidays: Iterable[date] = ()):
		try:
			self.tz = ZoneInfo(timezone_name)
		except (ZoneInfoNotFoundError, ValueError) as exc:
			raise ValueError(f"unknown timezone {timezone_name!r}") from exc
		self.windows_by_weekday: dict[int, list[Window]] = {d: [] for d in range(7)}
		for window in windows:
			self.windows_by_weekday[window.weekday].append(window)
		for day_windows in self.windows_by_weekday.values():
			day_windows.sort(key=lambda w: w.start)
		self.always_open = not any(self.windows_by_weekday.values())
		self.holidays = frozenset(holidays)

	def _raw_windows(self, first_day: date) -> Iterator[tuple[datetime, datetime]]:
		day = first_day
		while True:
			if day not in self.holidays:
				for w in self.windows_by_weekday[day.weekday()]:
					end_day = day if w.end > w.start else day + timedelta(days=1)
					start = datetime.combine(day, w.start, tzinfo=self.tz).astimezone(timezone.utc)
					end = datetime.combine(end_day, w.end, tzinfo=self.tz).astimezone(timezone.utc)
					if end > start:
						yield start, end
			day += timedelta(days=1)

	def open_intervals(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
		"""Business intervals inside [start, end) in UTC, ascending, never overlapping; endless when end is None."""
		start = _aware(start, "start")
		end = _aware(end, "end") if end is not None else None
		if end is not None and end <= start:
			return
		if self.always_open:
			yield start, end if end is not None else datetime.max.replace(tzinfo=timezone.utc)
			return
		# A night window of the previous day can still be open at `start`.
		first_day = start.astimezone(self.tz).date() - timedelta(days=1)
		covered_until = start  # windows may overlap (a night shift and the next morning): count once
		for s, e in self._raw_windows(first_day):
			if end is not None and s >= end:
				break
			s = max(s, covered_until)
			if end is not None:
				e = min(e, end)
			if e <= s:
				continue
			yield s, e
			covered_until = e

	def business_seconds(self, start: datetime, end: datetime) -> float:
		return sum((e - s).total_seconds() for s, e in self.open_intervals(start, end))

	def time_after(self, start: datetime, seconds: float) -> datetime:
		"""The instant `seconds` of business time after `start` (other domains count their own deadlines in a
		policy's business hours with it, e.g. auto-close)."""
		return _time_when_used(self, [(start, None)], max(float(seconds), 0.0)) or _aware(start, "start")


# --- status history --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Segment:
	status: str
	start: datetime
	end: datetime | None  # None: the current status


def segments(history: Sequence[tuple[datetime, str]], now: datetime) -> list[Segment]:
	"""(changed_at, new_status) entries, oldest first, the first being creation → contiguous segments."""
	if not history:
		raise ValueError("the status history is empty: a ticket has at least its creation status")
	entries = sorted(((_aware(at, "status change time"), status) for at, status in history), key=lambda x: x[0])
	result = []
	for i, (at, status) in enumerate(entries):
		end = entries[i + 1][0] if i + 1 < len(entries) else None
		if end is not None and end == at:
			continue  # two changes in the same instant: the later one wins
		result.append(Segment(status, at, end))
	return result


def reopen_times(segs: Sequence[Segment]) -> list[datetime]:
	"""The moments a solved or closed ticket was reopened, ascending: each starts a new cycle of its clocks."""
	return [
		seg.start for prev, seg in zip(segs, segs[1:])
		if prev.status in STOPPING_STATUSES and seg.status not in STOPPING_STATUSES
	]


# --- policy inputs ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Targets:
	"""Business seconds allowed per clock for the ticket's priority; 0 or None means no target."""

	first_response_seconds: float | None
	resolution_seconds: float | None

	def for_clock(self, clock: str) -> float | None:
		value = self.first_response_seconds if clock == FIRST_RESPONSE else self.resolution_seconds
		if value is not None and value < 0:
			raise ValueError(f"the {clock} target cannot be negative")
		return value or None


@dataclasses.dataclass(frozen=True)
class Rules:
	"""The policy's non-calendar settings."""

	paused_statuses: frozenset[str] = DEFAULT_PAUSED_STATUSES
	reminder_percents: tuple[int, ...] = DEFAULT_REMINDER_PERCENTS
	grace_percent: float = DEFAULT_GRACE_PERCENT  # escalation grace, proportional to the target
	grace_seconds: float | None = None  # a fixed grace instead, in business seconds
	escalation_enabled: bool = True

	def __post_init__(self):
		for pct in self.reminder_percents:
			if not 0 < pct < 100:
				raise ValueError(f"a reminder threshold must be between 0 and 100 %, got {pct!r}")
		if self.grace_percent is not None and self.grace_percent < 0:
			raise ValueError("the escalation grace cannot be negative")
		if set(self.paused_statuses) & STOPPING_STATUSES:
			raise ValueError("SOLVED and CLOSED stop the clock; they cannot also pause it")

	def grace_for(self, target_seconds: float) -> float:
		if self.grace_seconds is not None:
			return self.grace_seconds
		return target_seconds * (self.grace_percent or 0) / 100


# --- results ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Event:
	"""Something the sweep must do once: `key` is unique per ticket (e.g. "resolution:reminder:75", or
	"resolution:reminder:75@2" in the cycle after the second reopen)."""

	key: str
	clock: str
	kind: str  # reminder | breach | escalation
	at: datetime
	percent: int | None = None
	cycle: int = 0

	@classmethod
	def make(cls, clock: str, kind: str, at: datetime, percent: int | None = None, cycle: int = 0) -> Event:
		key = f"{clock}:{kind}" + (f":{percent}" if percent is not None else "") + (f"@{cycle}" if cycle else "")
		return cls(key, clock, kind, at, percent, cycle)

	@classmethod
	def from_key(cls, key: str, at: datetime) -> Event:
		"""The event a stored key names (the inverse of `make`)."""
		base, _, cycle = key.partition("@")
		clock, kind, *percent = base.split(":")
		return cls(key, clock, kind, at, int(percent[0]) if percent else None, int(cycle or 0))


@dataclasses.dataclass(frozen=True)
class ClockResult:
	clock: str
	target_seconds: float | None
	elapsed_seconds: float  # business seconds used up to now (or up to the stop)
	due: datetime | None
	state: str  # running | paused | stopped
	stopped_at: datetime | None
	breached: bool
	at_risk: bool
	events: tuple[Event, ...]  # empty unless the clock is running


@dataclasses.dataclass(frozen=True)
class SLAResult:
	first_response: ClockResult
	resolution: ClockResult
	paused_seconds: float  # wall-clock seconds spent in paused statuses up to now
	resolved_at: datetime | None
	state: str | None  # None when the ticket has no target at all

	@property
	def events(self) -> tuple[Event, ...]:
		return self.first_response.events + self.resolution.events

	def pending_events(self, done: Iterable[str] = ()) -> list[Event]:
		done = set(done)
		return sorted((e for e in self.events if e.key not in done), key=lambda e: e.at)

	def due_events(self, now: datetime, done: Iterable[str] = ()) -> list[Event]:
		now = _aware(now, "now")
		return [e for e in self.pending_events(done) if e.at <= now]

	def next_event_at(self, done: Iterable[str] = ()) -> datetime | None:
		pending = self.pending_events(done)
		return pending[0].at if pending else None


# --- the computation -------------------------------------------------------------------------------------


def _time_when_used(calendar: BusinessCalendar, spans: Iterable[tuple[datetime, datetime | None]], seconds: float):
	"""The instant at which the running spans have used `seconds` of business time (None: never)."""
	used = 0.0
	for a, b in spans:
		for s, e in calendar.open_intervals(a, b):
			length = (e - s).total_seconds()
			if used + length >= seconds:
				return s + timedelta(seconds=seconds - used)
			used += length
	return None


def _clock(
	clock: str,
	target: float | None,
	segs: list[Segment],
	calendar: BusinessCalendar,
	rules: Rules,
	now: datetime,
	responded_at: datetime | None,
	due_override: datetime | None,
) -> ClockResult:
	# Spans in which this clock runs, clipped at the first response for the first-response clock.
	stop_at = None
	spans: list[tuple[datetime, datetime | None]] = []
	for seg in segs:
		if seg.status in STOPPING_STATUSES:
			if seg.end is None:
				stop_at = seg.start
			continue
		if seg.status in rules.paused_statuses:
			continue
		spans.append((seg.start, seg.end))
	if responded_at is not None:
		clipped = []
		for a, b in spans:
			if a >= responded_at:
				continue
			clipped.append((a, responded_at if b is None or b > responded_at else b))
		spans = clipped
		stop_at = responded_at if stop_at is None else min(stop_at, responded_at)

	current = segs[-1].status
	if stop_at is not None:
		state, horizon = STOPPED, stop_at
	elif current in rules.paused_statuses:
		state, horizon = CLOCK_PAUSED, now
	else:
		state, horizon = RUNNING, now

	elapsed = 0.0
	for a, b in spans:
		b = horizon if b is None or b > horizon else b
		if b > a:
			elapsed += calendar.business_seconds(a, b)

	if not target and due_override is None:
		return ClockResult(clock, None, elapsed, None, state, stop_at, False, False, ())

	# Timeline for projections: the closed spans, then the clock as if it ran on from the current moment.
	closed = [(a, b) for a, b in spans if b is not None and b <= horizon]
	if state == RUNNING:
		timeline = closed + [(a, None) for a, b in spans if b is None]
	elif state == CLOCK_PAUSED:
		timeline = closed + [(now, None)]
	else:
		timeline = [(a, b if b is not None and b <= stop_at else stop_at) for a, b in spans if a < stop_at]
		timeline.append((stop_at, None))

	reminders = sorted(set(rules.reminder_percents))
	marks: list[tuple[str, int | None, datetime | None]] = []
	if due_override is not None:
		# A fixed deadline: wall time, spaced between the clock start and the override.
		start = segs[0].start
		total = max((due_override - start).total_seconds(), 0.0)
		due = due_override
		for pct in reminders:
			marks.append(("reminder", pct, start + timedelta(seconds=total * pct / 100)))
		marks.append(("breach", None, due))
		grace = rules.grace_seconds if rules.grace_seconds is not None else total * (rules.grace_percent or 0) / 100
		marks.append(("escalation", None, due + timedelta(seconds=grace)))
		moment = stop_at if state == STOPPED else now
		breached = moment > due if state == STOPPED else moment >= due
		at_risk = bool(reminders) and moment >= marks[0][2]
	else:
		due = _time_when_used(calendar, timeline, target)
		for pct in reminders:
			marks.append(("reminder", pct, _time_when_used(calendar, timeline, target * pct / 100)))
		marks.append(("breach", None, due))
		marks.append(("escalation", None, _time_when_used(calendar, timeline, target + rules.grace_for(target))))
		breached = elapsed > target if state == STOPPED else elapsed >= target
		at_risk = bool(reminders) and elapsed >= target * reminders[0] / 100

	events: tuple[Event, ...] = ()
	if state == RUNNING:
		reopens = reopen_times(segs)
		events = tuple(
			Event.make(clock, kind, at, pct, bisect.bisect_right(reopens, at))
			for kind, pct, at in marks
			if at is not None and (kind != "escalation" or rules.escalation_enabled)
		)
	return ClockResult(clock, target, elapsed, due, state, stop_at, breached, at_risk, events)


def compute(
	targets: Targets,
	calendar: BusinessCalendar,
	history: Sequence[tuple[datetime, str]],
	now: datetime,
	rules: Rules | None = None,
	first_responded_at: datetime | None = None,
	first_response_due_override: datetime | None = None,
	resolution_due_override: datetime | None = None,
) -> SLAResult:
	"""Everything the ticket stores about its SLA, as of `now`."""
	rules = rules or Rules()
	now = _aware(now, "now")
	segs = segments(history, now)
	if segs[0].start > now:
		raise ValueError("the ticket's history starts after `now`")
	responded = _aware(first_responded_at, "first_responded_at") if first_responded_at else None
	if responded is not None and responded < segs[0].start:
		responded = segs[0].start  # a reply cannot precede the ticket; clock skew between hosts
	fr_override = _aware(first_response_due_override, "override") if first_response_due_override else None
	res_override = _aware(resolution_due_override, "override") if resolution_due_override else None

	fr = _clock(FIRST_RESPONSE, targets.for_clock(FIRST_RESPONSE), segs, calendar, rules, now, responded, fr_override)
	res = _clock(RESOLUTION, targets.for_clock(RESOLUTION), segs, calendar, rules, now, None, res_override)

	paused = 0.0
	for seg in segs:
		if seg.status in rules.paused_statuses:
			end = now if seg.end is None or seg.end > now else seg.end
			paused += max((end - seg.start).total_seconds(), 0.0)
	resolved_at = segs[-1].start if segs[-1].status in STOPPING_STATUSES else None

	tracked = [c for c in (fr, res) if c.due is not None]
	if not tracked:
		state = None
	elif any(c.breached for c in tracked):
		state = BREACHED
	elif resolved_at is not None:
		state = MET
	elif segs[-1].status in rules.paused_statuses:
		state = PAUSED
	elif any(c.at_risk and c.state == RUNNING for c in tracked):
		state = AT_RISK
	else:
		state = ON_TRACK
	return SLAResult(fr, res, paused, resolved_at, state)
