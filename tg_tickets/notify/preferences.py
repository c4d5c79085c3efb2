"""Each user's notification preferences: their Agent Notification Preferences, or the defaults admins set in
Tickets Settings (or the app's, rules.DEFAULT_CHANNELS) until they save their own. Read through Frappe's cache;
saving one also sets Frappe's own Notification Settings for mentions' e-mail, which Frappe sends itself."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint, get_time

from tg_tickets import permissions
from tg_tickets.notify import rules

CACHE_KEY = "tg_tickets:notification_preferences"
DOCTYPE = "Agent Notification Preferences"


def validate(doc) -> None:
	seen = set()
	for row in doc.channels:
		if row.notification_type in seen:
			frappe.throw(_("Row {0}: {1} is listed twice.").format(row.idx, row.notification_type))
		seen.add(row.notification_type)
	if cint(doc.quiet_hours) and _time(doc.quiet_hours_from) == _time(doc.quiet_hours_to):
		frappe.throw(_("Quiet hours need a start and a different end."))
	if cint(doc.telegram_burst_minutes) < 0:
		frappe.throw(_("Minutes cannot be negative."))


def after_save(doc) -> None:
	forget(doc.user)
	mention = next((row for row in doc.channels if row.notification_type == rules.MENTION), None)
	settings = frappe.get_doc("Notification Settings", doc.user) if frappe.db.exists("Notification Settings", doc.user) \
		else frappe.new_doc("Notification Settings")
	if settings.is_new():
		settings.name = settings.user = doc.user
	settings.enable_email_mention = 1 if mention and mention.email else 0
	settings.flags.ignore_permissions = True
	settings.save()


def forget(user: str | None = None) -> None:
	if user:
		frappe.cache.hdel(CACHE_KEY, user)
	else:
		frappe.cache.delete_value(CACHE_KEY)


def rows_to_channels(rows) -> dict:
	return {
		row.notification_type: frozenset(c for c in rules.CHANNELS if cint(row.get(c)))
		for row in rows
	}


def defaults() -> rules.Preferences:
	settings = frappe.get_cached_doc("Tickets Settings")
	channels = dict(rules.DEFAULT_CHANNELS)
	channels.update(rows_to_channels(settings.get("default_notification_channels") or []))
	return rules.Preferences(
		channels=channels,
		quiet_from=_time(settings.get("default_quiet_hours_from")) if cint(settings.get("default_quiet_hours")) else None,
		quiet_to=_time(settings.get("default_quiet_hours_to")) if cint(settings.get("default_quiet_hours")) else None,
		urgent_overrides_quiet_hours=bool(cint(settings.get("default_urgent_overrides_quiet_hours") if
			settings.get("default_urgent_overrides_quiet_hours") is not None else 1)),
		burst_minutes=cint(settings.get("default_telegram_burst_minutes") if
			settings.get("default_telegram_burst_minutes") is not None else 10),
	)


def _time(value):
	"""A Time field's value as a time of day (Frappe fills an empty Time field with the current time on insert:
	the quiet_hours switch, not the times, says whether there are quiet hours)."""
	if not value:
		return None
	return get_time(value).replace(microsecond=0)


def load(user: str) -> rules.Preferences:
	"""The user's preferences (their own, else the defaults)."""
	cached = frappe.cache.hget(CACHE_KEY, user)
	if cached is not None:
		return cached
	if frappe.db.exists(DOCTYPE, user):
		doc = frappe.get_doc(DOCTYPE, user)
		channels = {kind: frozenset() for kind in rules.KINDS}
		channels.update(rows_to_channels(doc.channels))
		quiet = bool(cint(doc.quiet_hours))
		prefs = rules.Preferences(channels, _time(doc.quiet_hours_from) if quiet else None,
			_time(doc.quiet_hours_to) if quiet else None, bool(doc.urgent_overrides_quiet_hours), cint(doc.telegram_burst_minutes))
	else:
		prefs = defaults()
	frappe.cache.hset(CACHE_KEY, user, prefs)
	return prefs


def ensure_own(user: str) -> str:
	"""The user's own preferences document, made from the defaults when they have none yet."""
	if not frappe.db.exists(DOCTYPE, user):
		prefs = defaults()
		frappe.get_doc({
			"doctype": DOCTYPE, "user": user,
			"channels": [{"notification_type": kind, **{c: int(c in prefs.channels.get(kind, ())) for c in rules.CHANNELS}}
				for kind in rules.KINDS],
			"quiet_hours": int(prefs.quiet_from is not None), "quiet_hours_from": prefs.quiet_from,
			"quiet_hours_to": prefs.quiet_to,
			"urgent_overrides_quiet_hours": int(prefs.urgent_overrides_quiet_hours),
			"telegram_burst_minutes": prefs.burst_minutes,
		}).insert(ignore_permissions=True)
	return user


# --- who sees whose preferences (hooks.py) ------------------------------------------------------------------


def has_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or permissions.is_admin(user) or (not isinstance(doc, str) and doc.user == user)


def query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if user == "Administrator" or permissions.is_admin(user):
		return ""
	return f"`tab{DOCTYPE}`.`user` = {frappe.db.escape(user)}"
