"""The visibility switch's alternatives and when the desk's list reads them one by one (tickets/list_plan.py)."""

import itertools

from tg_tickets.tickets.list_plan import answers_part_by_part, part_matches, part_sql, sort_column, visibility_parts

ME, OTHER = "me@x.test", "other@x.test"
TEAMS = ["Mine", "Also mine"]


def escape(value: str) -> str:
	return "'" + value.replace("'", "''") + "'"


def rule(ticket: dict, user: str, teams: list[str]) -> bool:
	"""The switch as the product states it: assigned to the user, or unassigned in one of the user's teams."""
	return ticket.get("assigned_to") == user or (not ticket.get("assigned_to") and ticket.get("team") in teams)


def every_ticket():
	for assigned_to, team in itertools.product([ME, OTHER, None, ""], ["Mine", "Also mine", "Theirs", None, ""]):
		yield {"assigned_to": assigned_to, "team": team}


def test_the_alternatives_say_exactly_what_the_rule_says_and_never_overlap():
	parts = visibility_parts(ME, TEAMS)
	for ticket in every_ticket():
		matching = [part for part in parts if part_matches(part, ticket)]
		assert len(matching) == int(rule(ticket, ME, TEAMS)), ticket


def test_without_teams_only_the_users_own_tickets_are_visible():
	assert visibility_parts(ME, []) == [{"assigned_to": ME}]
	assert [part_matches(part, {"assigned_to": None, "team": "Mine"}) for part in visibility_parts(ME, [])] == [False]


def test_each_team_gives_one_range_for_null_and_one_for_empty():
	assert visibility_parts(ME, ["Mine", "Mine"]) == [
		{"assigned_to": ME}, {"team": "Mine", "assigned_to": None}, {"team": "Mine", "assigned_to": ""}]


def test_a_document_without_the_column_reads_as_null():
	assert part_matches({"team": "Mine", "assigned_to": None}, {"team": "Mine"})
	assert not part_matches({"team": "Mine", "assigned_to": ""}, {"team": "Mine"})


def test_sql_of_an_alternative_tests_null_with_is_null_and_escapes_values():
	assert part_sql({"team": "O'Brien", "assigned_to": None}, "`tabTicket`", escape) == (
		"(`tabTicket`.`team` = 'O''Brien' and `tabTicket`.`assigned_to` is null)")
	assert part_sql({"assigned_to": ""}, "t", escape) == "(t.`assigned_to` = '')"


def test_sort_column_reads_one_column_of_ticket():
	assert sort_column("`tabTicket`.`creation` desc") == ("creation", "desc")
	assert sort_column("creation") == ("creation", "asc")
	assert sort_column("tabTicket.creation ASC") == ("creation", "asc")
	assert sort_column(" `tabTicket`.`modified` desc ,") == ("modified", "desc")
	assert sort_column("`tabTicket`.`status_rank` desc, `tabTicket`.`creation` desc") is None
	assert sort_column("`tabTicket Chat`.`creation` desc") is None
	assert sort_column("creation desc nulls") is None
	assert sort_column("creation sideways") is None
	assert sort_column("") is None and sort_column(None) is None


def test_a_page_is_read_part_by_part_only_where_every_part_is_an_ordered_index_range():
	parts = visibility_parts(ME, TEAMS)
	assert answers_part_by_part("`tabTicket`.`creation` desc", parts, 20, True)
	assert answers_part_by_part("creation asc", parts, 1, True)
	assert not answers_part_by_part("creation desc", visibility_parts(ME, []), 20, True)  # one range: plain
	assert answers_part_by_part("creation desc", [{"assigned_to": ME}, {"assigned_to": OTHER}], 20, True)
	assert not answers_part_by_part("`tabTicket`.`priority_rank` desc", parts, 20, True)
	assert not answers_part_by_part("creation desc", parts, 0, True)  # unbounded: every row anyway
	assert not answers_part_by_part("creation desc", parts, 20, False)  # child-table join, grouping, OR filters
