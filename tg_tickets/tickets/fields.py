"""The ticket's fixed vocabularies and their natural order (NEW→CLOSED, LOW→HIGH), and the fields a row of the
desk's table and side sheet shows (defined here only: boot ships them to the desk's JS)."""

STATUSES = ("NEW", "OPEN", "PENDING", "BLOCKED", "SOLVED", "CLOSED")
PRIORITIES = ("LOW", "MEDIUM", "HIGH")
DEFAULT_STATUS = "OPEN"
DEFAULT_PRIORITY = "MEDIUM"
CLOSED = "CLOSED"
SOLVED = "SOLVED"

STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES, start=1)}
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(PRIORITIES, start=1)}

# Columns of a table row / side sheet, besides every custom field (a field the Ticket lacks, such as the SLA
# fields on a site without them, is left out wherever the list is used).
ROW_FIELDS = (
	"name", "title", "status", "priority", "assigned_to", "team", "waiting_since", "category", "date", "description",
	"owner", "creation", "modified", "closed_at", "closed_by", "file_count", "comment_count", "last_comment",
	"sla_state", "first_response_due", "resolution_due", "first_responded_at", "resolved_at",
)

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
