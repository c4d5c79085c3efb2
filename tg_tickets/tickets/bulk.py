"""Plain multi-row INSERTs for rows the app writes in bulk (inbox, messages, claims, notifications, e-mail).

One place fills Frappe's standard columns (creation, modified, owner, modified_by, docstatus, idx) so callers
list only their own. Frappe's `db.bulk_insert` builds the statement with pypika, which costs about as much as
the insert itself for hundreds of rows; here the statement is a format string and the values go to the driver
as parameters. Column names come from the callers' constants, never from input. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

import frappe
from frappe.utils import now_datetime

STANDARD_COLUMNS = ("creation", "modified", "owner", "modified_by", "docstatus", "idx")


def insert_rows(
	doctype: str,
	fields: Sequence[str],
	rows: Sequence[Sequence],
	*,
	chunk: int = 2000,
	ignore_duplicates: bool = False,
	update_on_duplicate: Sequence[str] = (),
	name_sql: str | None = None,
	user: str = "Administrator",
) -> None:
	"""Inserts `rows` (values for `fields`, in order) with the standard columns filled: now, `user`, 0, 0
	(a standard column named in `fields`, e.g. a child row's `idx`, takes the caller's values instead).

	`name_sql`: an SQL expression for the `name` column when `fields` has none (e.g. a sequence's nextval);
	without either, a random 10-character name per row. `ignore_duplicates`: rows whose key exists are skipped
	(INSERT IGNORE); `update_on_duplicate`: on a duplicate key these columns take the new row's values (an
	upsert; naming the key column itself skips the row without turning other errors into warnings as INSERT
	IGNORE does)."""
	if not rows:
		return
	now = now_datetime()
	defaults = {"creation": now, "modified": now, "owner": user, "modified_by": user, "docstatus": 0, "idx": 0}
	filled = [column for column in STANDARD_COLUMNS if column not in fields]
	standard = tuple(defaults[column] for column in filled)
	generate_names = "name" not in fields and not name_sql
	columns = filled + list(fields)
	placeholders = ["%s"] * len(columns)
	if name_sql:
		columns.insert(0, "name")
		placeholders.insert(0, name_sql)
	elif generate_names:
		columns.insert(0, "name")
		placeholders.insert(0, "%s")
	row_sql = "(" + ", ".join(placeholders) + ")"
	column_sql = ", ".join(f"`{column}`" for column in columns)
	verb = "insert ignore" if ignore_duplicates else "insert"
	tail = ""
	if update_on_duplicate:
		tail = " on duplicate key update " + ", ".join(f"`{c}` = values(`{c}`)" for c in update_on_duplicate)
	for start in range(0, len(rows), chunk):
		part = rows[start : start + chunk]
		values = []
		for row in part:
			if generate_names:
				values.append(frappe.generate_hash(length=10))
			values.extend(standard)
			values.extend(row)
		frappe.db.sql(f"{verb} into `tab{doctype}` ({column_sql}) values {', '.join([row_sql] * len(part))}{tail}", values)
