"""The visibility switch's rule as alternatives, and when the desk's ticket list answers a page part by part.

With the owner's switch on, a member sees a ticket assigned to them or an unassigned one of their teams. As one
SQL condition (`a or b or c`) MariaDB can only answer a newest-first page by reading every ticket the member
may see (index_merge of the assignee and team ranges, then a filesort: ~93,000 rows and 132 ms p95 for a member
holding 4.5 % of 1,000,000 tickets). Split into alternatives, each one is a single index range already in
newest-first order — (assigned_to, creation) for the member's own tickets, (team, assigned_to, creation) for a
team's unassigned ones, with NULL and '' as two ranges — so the `start + page_length` newest rows of each come
straight off its index, and the page is the plain query restricted to their union.

Pure: no database here (tests/unit/test_list_plan.py).
"""

from collections.abc import Callable

# Sorts whose column ends every alternative's index, so each alternative's newest (or oldest) rows are an index
# range read in order. Any other sort answers through the plain query.
SPLIT_SORT_COLUMNS = ("creation",)


def visibility_parts(user: str, teams: list[str]) -> list[dict]:
	"""The rule "assigned to the user, or unassigned in one of the user's teams" as alternatives, each a set of
	column = value tests (None: SQL NULL). No ticket matches two of them (unassigned means NULL or '', never the
	user; a ticket has one team), so counts per alternative add up."""
	parts = [{"assigned_to": user}]
	for team in dict.fromkeys(teams):
		parts.append({"team": team, "assigned_to": None})
		parts.append({"team": team, "assigned_to": ""})
	return parts


def part_matches(part: dict, ticket) -> bool:
	"""The alternative's tests on a ticket (a document or a dict), as SQL would read them."""
	return all(ticket.get(column) == value for column, value in part.items())


def part_sql(part: dict, table: str, escape: Callable[[str], str]) -> str:
	tests = [f"{table}.`{column}` is null" if value is None else f"{table}.`{column}` = {escape(value)}"
		for column, value in part.items()]
	return "(" + " and ".join(tests) + ")"


def sort_column(order_by: str | None) -> tuple[str, str] | None:
	"""(column, direction) of a single-column sort on Ticket, e.g. "`tabTicket`.`creation` desc" →
	("creation", "desc"); None for several columns or another table's."""
	parts = [part for part in (order_by or "").split(",") if part.strip()]
	if len(parts) != 1:
		return None
	words = parts[0].replace("`", "").split()
	table, _, column = words[0].rpartition(".")
	direction = words[1].lower() if len(words) > 1 else "asc"
	if table not in ("", "tabTicket") or len(words) > 2 or direction not in ("asc", "desc"):
		return None
	return column, direction


def answers_part_by_part(order_by: str | None, parts: list[dict], page_length: int, plain_rows_only: bool) -> bool:
	"""Whether a page is answered part by part: several alternatives, a bounded page, a sort each alternative's
	index holds in order, and rows that are plain Ticket rows (no child-table join that could list a ticket twice,
	no grouping, no OR filters)."""
	sort = sort_column(order_by)
	return len(parts) > 1 and page_length > 0 and plain_rows_only and sort is not None and sort[0] in SPLIT_SORT_COLUMNS
