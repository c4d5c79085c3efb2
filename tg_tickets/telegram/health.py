"""Is a listener running? The minute scheduler asks the listener lock (any host's listener holds it while alive)
and tells outage mode: with the live transport, no holder for longer than a standby needs to take over means
nobody receives customers' messages or sends replies."""

import frappe

from tg_tickets.telegram import credentials, delivery, listener
from tg_tickets.tickets import outage, outage_rules


def check_listener(now: float | None = None) -> None:
	if delivery.use_record_transport():
		return  # no listener is needed: nothing to say
	bot_id = credentials.bot_id()
	if not bot_id:
		return
	holder = listener.ListenerLock(bot_id).holder()
	if holder:
		outage.report(outage_rules.LISTENER_PRESENT, now=now)
	else:
		outage.report(
			outage_rules.LISTENER_MISSING, now=now,
			reason=frappe._("no Telegram listener holds the lock (check `tg-tickets listen` on the hosts)"),
		)


def report() -> dict:
	"""What an admin checks first in an incident (`bench --site SITE tg-tickets status`). No secret in it."""
	bot_id = credentials.bot_id()
	inbox = dict(frappe.db.sql("select status, count(*) from `tabTelegram Update` where status in ('Pending', 'Failed') group by status"))
	return {
		"transport": "record" if delivery.use_record_transport() else "telegram",
		"bot_id": bot_id,
		"listener": listener.ListenerLock(bot_id).holder() if bot_id else None,
		"outage": outage.status(),
		"queued_replies": outage.queued_replies(),
		"inbox_pending": inbox.get("Pending", 0),
		"inbox_failed": inbox.get("Failed", 0),
	}
