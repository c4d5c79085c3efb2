"""The report's figures from mergeable parts (tg_tickets/analytics/partials.py): nearest rank, parts made from SQL
aggregates, merging, grouping and the report row. Pure: no site needed."""

import random
from array import array
from datetime import date
from decimal import Decimal

import pytest

from tg_tickets.analytics import partials as p


def rank_by_definition(values, percent):
	"""Nearest rank straight from its definition: the smallest value with at least percent % of the values at or
	below it."""
	ordered = sorted(values)
	for value in ordered:
		if 100 * sum(1 for v in ordered if v <= value) >= percent * len(ordered):
			return value
	return None


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 9, 10, 11, 19, 20, 21, 70, 99, 100, 101])
@pytest.mark.parametrize("percent", [50, 90])
def test_nearest_rank_is_the_smallest_value_with_that_share_at_or_below_it(n, percent):
	values = [float(v) for v in range(10, 10 + n)]
	assert p.nearest_rank(values, percent) == rank_by_definition(values, percent)


def test_nearest_rank_counts_exactly_where_floats_would_round_up():
	# 0.9 × 70 is 63.000000000000004 in floating point: a float ceil would take the 64th value
	values = list(range(1, 71))
	assert p.nearest_rank(values, 90) == 63
	assert p.nearest_rank([7.0], 50) == 7.0 and p.nearest_rank([7.0], 90) == 7.0
	assert p.nearest_rank([], 50) is None


def test_a_part_from_sql_aggregates():
	created = p.Part.from_aggregate(p.CREATED, (3, 2, None, "5400.000000000,60.500000000", b"100.25"))
	assert created.sums == {"count": 3, "responded": 2}
	assert list(created.values[0]) == [5400.0, 60.5] and list(created.values[1]) == [100.25]
	assert created.oldest is None

	resolved = p.Part.from_aggregate(p.RESOLVED, (2, Decimal("90.5"), 1, Decimal("3"), Decimal("1"), Decimal("1"),
		None, None, "7200.000000000", None))
	assert resolved.sums == {"count": 2, "handle_sum": 90.5, "handle_count": 1, "agent_replies": 3.0, "fcr": 1.0,
		"sla_met": 1.0, "sla_breached": 0}
	assert list(resolved.values[0]) == [7200.0] and list(resolved.values[1]) == []

	opened = p.Part.from_aggregate(p.OPEN, (2, Decimal("300"), 100))
	assert opened.sums == {"count": 2, "since_sum": 300.0} and opened.oldest == 100.0 and opened.values == ()


def test_every_kind_selects_its_sums_the_oldest_opening_and_its_values():
	assert p.aggregate_sql(p.CREATED) == (
		"count(*), count(first_response_seconds), null, group_concat(`first_response_seconds`), "
		"group_concat(`first_response_business_seconds`)")
	assert p.aggregate_sql(p.CLOSED) == "count(*), sum(rated), sum(nullif(rating, 0)), count(nullif(rating, 0)), null"
	assert p.aggregate_sql(p.OPEN) == (
		"count(*), sum(timestampdiff(second, '1970-01-01', open_since)), "
		"min(timestampdiff(second, '1970-01-01', open_since))")
	assert p.aggregate_sql(p.RESOLVED) == (
		"count(*), sum(handle_seconds), count(handle_seconds), sum(agent_replies), sum(first_contact_resolution), "
		"sum(sla_met), sum(sla_breached), null, group_concat(`resolution_seconds`), "
		"group_concat(`resolution_business_seconds`)")


def test_merged_parts_give_the_figures_of_all_their_rows():
	rng = random.Random(7)
	rows = [(rng.choice([None, rng.uniform(0, 90000)]), rng.uniform(0, 40000)) for _ in range(500)]

	def part_of(chunk):
		frt = [r[0] for r in chunk if r[0] is not None]
		text = ",".join(repr(v) for v in frt)
		return p.Part.from_aggregate(p.CREATED, (len(chunk), len(frt), None, text, ",".join(repr(r[1]) for r in chunk)))

	whole = part_of(rows).finish()
	merged = p.Part.empty(p.CREATED)
	for start in range(0, 500, 37):
		merged.merge(part_of(rows[start : start + 37]).finish())
	merged.finish()
	assert merged.sums == whole.sums
	assert merged.values == whole.values and list(merged.values[0]) == sorted(merged.values[0])
	row = p.report_row("", {p.CREATED: merged}, 0, with_backlog=False)
	expected = rank_by_definition([r[0] for r in rows if r[0] is not None], 90)
	assert row["frt_p90_hours"] == round(expected / 3600, 2)
	assert row["frt_business_median_hours"] == round(rank_by_definition([r[1] for r in rows], 50) / 3600, 2)


def test_merging_keeps_the_oldest_opening():
	part = p.Part.empty(p.OPEN)
	part.merge(p.Part(p.OPEN, {"count": 1, "since_sum": 500.0}, (), 500.0))
	part.merge(p.Part(p.OPEN, {"count": 2, "since_sum": 700.0}, (), 300.0))
	part.merge(p.Part(p.OPEN, {"count": 1, "since_sum": 900.0}, (), 900.0))
	part.merge(p.Part.empty(p.OPEN))
	assert part.oldest == 300.0 and part.sums == {"count": 4, "since_sum": 2100.0}


def test_groups_weeks_days_and_dimension_values():
	thursday = date(2026, 3, 12)
	assert p.group_key("", thursday, {}) == ""
	assert p.group_key("Week", thursday, {}) == date(2026, 3, 9)
	assert p.group_key("Week", date(2026, 3, 9), {}) == date(2026, 3, 9)
	assert p.group_key("Week", date(2026, 3, 15), {}) == date(2026, 3, 9)
	assert p.group_key("Day", thursday, {}) == thursday
	assert p.group_key("Chat Type", thursday, {"chat_type": "Group"}) == "Group"
	assert p.group_key("Agent", thursday, {"agent": ""}) is None and p.group_key("Agent", thursday, {}) is None
	assert p.sort_groups(["b", None, "a"]) == ["a", "b", None]


def test_the_report_row_from_its_parts():
	created = p.Part(p.CREATED, {"count": 4, "responded": 3}, (array("d", [3600, 7200, 36000]), array("d", [1800])))
	resolved = p.Part(p.RESOLVED, {"count": 4, "handle_sum": 5400.0, "handle_count": 3, "agent_replies": 6, "fcr": 1,
		"sla_met": 2, "sla_breached": 1}, (array("d", [3600, 90000]), array("d", [3600])))
	closed = p.Part(p.CLOSED, {"count": 5, "rated": 2, "rating_sum": 9, "rating_count": 2}, ())
	opened = p.Part(p.OPEN, {"count": 2, "since_sum": 2 * 1000.0 - 3600}, (), 1000.0 - 3600 * 2)
	row = p.report_row("x", {p.CREATED: created, p.RESOLVED: resolved, p.CLOSED: closed, p.OPEN: opened},
		1000.0, with_backlog=True)
	assert row == {
		"group": "x", "created": 4, "solved": 4, "closed": 5,
		"frt_median_hours": 2.0, "frt_p90_hours": 10.0, "frt_business_median_hours": 0.5, "frt_business_p90_hours": 0.5,
		"resolution_median_hours": 1.0, "resolution_p90_hours": 25.0,
		"resolution_business_median_hours": 1.0, "resolution_business_p90_hours": 1.0,
		"aht_hours": 0.5, "fcr_percent": 25.0, "sla_met_percent": 66.7, "csat_average": 4.5,
		"csat_response_percent": 40.0, "backlog": 2, "backlog_age_hours": 0.5, "backlog_oldest_hours": 2.0,
	}
	nothing = p.report_row("", {}, 1000.0, with_backlog=False)
	assert nothing["created"] == 0 and nothing["frt_median_hours"] is None and nothing["aht_hours"] is None
	assert nothing["fcr_percent"] is None and nothing["sla_met_percent"] is None and nothing["csat_average"] is None
	assert nothing["backlog"] is None and nothing["backlog_age_hours"] is None
	empty_backlog = p.report_row("", {}, 1000.0, with_backlog=True)
	assert empty_backlog["backlog"] == 0 and empty_backlog["backlog_oldest_hours"] is None


def test_hours_and_percent():
	assert p.hours(None) is None and p.hours(5400) == 1.5 and p.hours(Decimal("18")) == 0.01
	assert p.percent(1, 3) == 33.3 and p.percent(None, 4) == 0.0 and p.percent(2, 0) is None


def test_each_percentile_reads_its_own_values_at_its_own_rank():
	# 100 distinct values per column, each column on its own scale: rank 50 ≠ 51, 90 ≠ 91, column 0 ≠ column 1
	hundred = [3600.0 * i for i in range(1, 101)]
	created = p.Part(p.CREATED, {"count": 100, "responded": 100}, (array("d", hundred), array("d", [v * 2 for v in hundred])))
	resolved = p.Part(p.RESOLVED, {"count": 100, "handle_sum": 0, "handle_count": 0, "agent_replies": 0, "fcr": 0,
		"sla_met": 0, "sla_breached": 0}, (array("d", [v * 3 for v in hundred]), array("d", [v * 4 for v in hundred])))
	closed = p.Part.from_aggregate(p.CLOSED, (3, Decimal("3"), Decimal("2"), 3, None))
	row = p.report_row("", {p.CREATED: created, p.RESOLVED: resolved, p.CLOSED: closed}, 0, with_backlog=False)
	assert (row["frt_median_hours"], row["frt_p90_hours"]) == (50.0, 90.0)
	assert (row["frt_business_median_hours"], row["frt_business_p90_hours"]) == (100.0, 180.0)
	assert (row["resolution_median_hours"], row["resolution_p90_hours"]) == (150.0, 270.0)
	assert (row["resolution_business_median_hours"], row["resolution_business_p90_hours"]) == (200.0, 360.0)
	assert row["csat_average"] == 0.67 and row["csat_response_percent"] == 100.0


def test_each_kind_is_dated_by_its_own_event():
	assert p.DATE_COLUMN == {p.CREATED: "created_date", p.RESOLVED: "resolved_date", p.CLOSED: "closed_date",
		p.OPEN: "open_since"}
	assert p.DIMENSIONS == ("agent", "team", "category", "priority", "chat_type")
