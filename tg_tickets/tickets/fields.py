"""The ticket's fixed vocabularies and their natural order (NEW→CLOSED, LOW→HIGH)."""

STATUSES = ("NEW", "OPEN", "PENDING", "BLOCKED", "SOLVED", "CLOSED")
PRIORITIES = ("LOW", "MEDIUM", "HIGH")
DEFAULT_STATUS = "OPEN"
DEFAULT_PRIORITY = "MEDIUM"
CLOSED = "CLOSED"
SOLVED = "SOLVED"

STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES, start=1)}
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(PRIORITIES, start=1)}

# Sorting by these columns in the desk sorts by their rank columns instead (natural order).
NATURAL_SORT_COLUMNS = {"status": "status_rank", "priority": "priority_rank"}


def natural_order_by(order_by: str) -> str:
	"""Rewrites `status desc` / `tabTicket.priority asc` into the rank columns, leaving the rest alone."""
	parts = []
	for part in (order_by or "").split(","):
		words = part.strip().split()
		if not words:
			continue
		column = words[0].replace("`", "")
		table, _, field = column.rpartition(".")
		if field in NATURAL_SORT_COLUMNS:
			rank = NATURAL_SORT_COLUMNS[field]
			words[0] = f"{table}.{rank}" if table else rank
			words[0] = words[0].replace("tabTicket.", "`tabTicket`.")
		parts.append(" ".join(words))
	return ", ".join(parts)

# A ticket an agent still holds (counts against their capacity, waits in a queue while unassigned).
UNRESOLVED_STATUSES = ("NEW", "OPEN", "PENDING", "BLOCKED")
