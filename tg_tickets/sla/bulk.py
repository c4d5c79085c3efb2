"""Plain multi-row INSERTs for the SLA jobs' rows (claims, desk notifications, e-mail queue rows).

Frappe's `db.bulk_insert` builds its statement with pypika, which costs about as much as the insert itself
for hundreds of rows; here the statement is a format string and the values go to the driver as parameters.
Column names come from the callers' constants, never from input. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

import frappe


def insert_rows(
	doctype: str, fields: Sequence[str], rows: Sequence[Sequence], chunk: int = 2000, ignore_duplicates: bool = False
) -> None:
	"""`ignore_duplicates`: rows whose key exists are skipped (INSERT IGNORE) instead of failing the statement."""
	verb = "insert ignore" if ignore_duplicates else "insert"
	placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
	columns = ", ".join(f"`{field}`" for field in fields)
	for start in range(0, len(rows), chunk):
		part = rows[start : start + chunk]
		frappe.db.sql(
			f"{verb} into `tab{doctype}` ({columns}) values {', '.join([placeholders] * len(part))}",
			[value for row in part for value in row],
		)
