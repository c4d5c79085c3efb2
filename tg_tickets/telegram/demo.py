"""Demo Telegram conversations for the Run command's demo tickets, through the record transport.

Idempotent (keyed by message_key `demo:…`); never contacts Telegram.
"""

import asyncio

import frappe
from frappe.utils import add_to_date, now_datetime

from tg_tickets.tickets import events, queries

CUSTOMER_LINES = [
	"Hi, I have a problem: {title}.",
	"It started yesterday evening, screenshots attached later.",
]
AGENT_LINE = "Thanks for reaching out! We are looking into “{title}” and will update you here."


def make_demo_messages():
	from tg_tickets import demo
	from tg_tickets.telegram import delivery, gateway
	from tg_tickets.tickets import outbox

	if frappe.db.exists("Telegram Message", {"message_key": ["like", "demo:%"]}):
		return
	settings = frappe.get_single("Tickets Settings")
	if settings.transport != "record":
		from tg_tickets.telegram import credentials

		if not credentials.are_configured():
			settings.transport = "record"
			settings.save(ignore_permissions=True)
	if frappe.db.count("Ticket") == 0:
		demo.make_demo_tickets()

	tickets = frappe.db.sql(
		f"""select t.name, t.title, t.creation, c.chat from `tabTicket` t
		{queries.TICKET_CHATS}
		join `tabLinked Chat` l on l.name = c.chat and l.chat_type = 'Private'
		where t.status != 'CLOSED' order by t.creation limit 12""",
		as_dict=True,
	)
	chats = set()
	replied = {}
	for n, ticket in enumerate(tickets):
		# the conversation as it went: the customer writes as the ticket opens, the agent answers within the hour
		start = ticket.creation
		for i, line in enumerate(CUSTOMER_LINES):
			doc = frappe.get_doc({
				"doctype": "Telegram Message", "direction": "Incoming", "message_kind": "Message",
				"ticket": ticket.name, "chat": ticket.chat, "chat_id": ticket.chat, "sender_id": ticket.chat,
				"sender_name": frappe.db.get_value("Linked Chat", ticket.chat, "title"),
				"message_id": 100 * (n + 1) + i, "telegram_date": add_to_date(start, minutes=i),
				"text": line.format(title=ticket.title), "message_key": f"demo:{ticket.chat}:{100 * (n + 1) + i}",
			})
			doc.insert(ignore_permissions=True)
		if n % 2 == 0:
			outbox.queue_message(
				ticket.chat, AGENT_LINE.format(title=ticket.title), ticket=ticket.name, is_agent_reply=True,
				agent="agent@demo.tg-tickets.test" if frappe.db.exists("User", "agent@demo.tg-tickets.test") else None,
			)
			chats.add(ticket.chat)
			replied[ticket.name] = min(now_datetime(), add_to_date(start, minutes=12 + 4 * n))
	frappe.db.commit()
	limiter = delivery.RateLimiter(0, 0, 0)  # demo data: no need to pace the recorder
	for chat in sorted(chats):
		asyncio.run(delivery.deliver_chat(chat, gateway.RecordTransport(), limiter))
	# the recorder sent the replies now; they were written back then
	for name, sent_at in replied.items():
		frappe.db.sql("""update `tabTelegram Message` set sent_at = %s, telegram_date = %s
			where ticket = %s and direction = 'Outgoing' and is_agent_reply = 1""", (sent_at, sent_at, name))
	if replied:
		events.emit(events.TICKET_MESSAGES_STORED, sorted(replied))
	frappe.db.commit()
