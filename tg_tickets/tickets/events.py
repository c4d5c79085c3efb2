"""The app's own events: how one domain reacts to another without importing it.

A domain that has news calls `emit(EVENT, ...)`; hooks.py lists, under the event's name, the dotted paths of
the functions that react (`frappe.get_hooks`), so `telegram/` never imports `sla/` (or the reverse) and a new
domain joins by adding a line to hooks.py. Handlers run in the caller's transaction, in hooks.py order.
"""

import frappe

# An agent's reply reached the customer (ticket, sent_at): the SLA's first-response clock stops.
AGENT_REPLY_SENT = "tg_tickets_on_agent_reply_sent"
# An agent's reply was queued from the desk or REST (ticket doc, message, user): mirrored into the forum topic.
AGENT_REPLY_QUEUED = "tg_tickets_on_agent_reply_queued"
# A customer's message was added to a ticket (ticket name, sender name, text): mirrored into the forum topic.
CUSTOMER_MESSAGE_ADDED = "tg_tickets_on_customer_message"
# Outbox rows were committed for these chats (sorted list of chat ids): a transport delivers them.
OUTBOX_QUEUED = "tg_tickets_on_outbox_queued"
# Alert agents directly ({user: text}): each channel that can reach an agent (Telegram DM to linked accounts)
# returns the names of what it queued.
ALERT_AGENTS = "tg_tickets_alert_agents"
# A customer or agent pressed an inline button the Telegram edge does not handle itself (chat, data,
# sender_id): the domain that made the button acts and returns the answer the presser sees (None: not mine).
BUTTON_PRESSED = "tg_tickets_on_button_pressed"
# `hours` after `start` counted in an SLA policy's business hours (policy, start, hours): the SLA domain
# answers with the naive datetime (system time zone); no answer means wall-clock hours.
BUSINESS_TIME_AFTER = "tg_tickets_business_time_after"
# Seconds of an SLA policy's business hours between two moments (policy, start, end; naive, system time zone):
# the SLA domain answers with a number; no answer means wall-clock seconds (analytics' business-hour figures).
BUSINESS_SECONDS_BETWEEN = "tg_tickets_business_seconds_between"
# A customer wrote privately while none of their tickets is open (chat, text): a domain waiting for an answer
# from this chat (a rating's comment) takes the message and returns the ticket it belongs to; None: not mine.
CUSTOMER_REPLY_EXPECTED = "tg_tickets_claim_customer_reply"
# Customers' message texts about to be stored (list of texts): a scorer returns one sentiment in [-1, 1] (or
# None) per text, in order; the first scorer's answer is stored on the messages.
CUSTOMER_TEXT_SENTIMENT = "tg_tickets_customer_text_sentiment"
# Customer messages were stored ({ticket: the scores of those that scored, oldest first; empty for a photo or
# with no scorer}): the tickets' trend follows, and their assignees hear of it.
CUSTOMER_MESSAGES_STORED = "tg_tickets_on_customer_messages_stored"
# Customers' stored messages were scored again (an edit in Telegram) on these tickets (sorted list): their
# trend is rebuilt from the messages' scores and the escalation rules look again.
CUSTOMER_SCORES_CHANGED = "tg_tickets_on_customer_scores_changed"
# An inbox batch stored messages on these tickets (sorted list of ticket names), after CUSTOMER_MESSAGES_STORED:
# per-ticket figures follow (analytics' message counts and sentiment), once per batch, not per message.
TICKET_MESSAGES_STORED = "tg_tickets_on_ticket_messages_stored"
# The SLA wrote SLA fields (state, due times) of these tickets without a Ticket save — the sweep in bulk, a policy
# edit's refresh — (sorted list of ticket names): what follows a ticket's saves (analytics' SLA met / breached)
# reads them again.
SLA_FIELDS_STORED = "tg_tickets_on_sla_fields_stored"
# Tickets are about to be deleted in bulk, with every row of theirs (retention, erasure) (sorted list of names):
# what a domain derived from their rows elsewhere (analytics' day summaries) follows.
TICKETS_DELETING = "tg_tickets_on_tickets_deleting"
# The system closed these SOLVED tickets without a save, in bulk (tickets/bulk_close.py, for auto-close)
# ({ticket: its `tabTicket` row before the close}, {ticket: the row as the close wrote it}, now): the rows already
# hold the close (status, closed_at, closed_by_system, close_reason, modified); each domain does for all of them,
# in hooks.py order, what its Ticket doc_events do on a close (a domain reads again what an earlier one may have
# changed). hooks.py lists the doc_events handlers this stands in for (tg_tickets_covered_by_bulk_close).
TICKETS_CLOSED_BY_SYSTEM = "tg_tickets_on_tickets_closed_by_system"
# An agent typed a command in the ticket's forum topic (ticket, user or None, text): the domain that knows
# the command acts and returns what the topic is told; None: not its command.
TOPIC_COMMAND = "tg_tickets_on_topic_command"
# Notify agents ({user: text}) of one kind about one ticket (kind, ticket, messages, from_user=None,
# log_type="Alert"): the notify domain delivers by each user's preferences (bell, e-mail, Telegram DM).
NOTIFY_AGENTS = "tg_tickets_notify_agents"
# Which channels a kind of notification may use now, per user (kind, users) → {user: {"desk", "email",
# "telegram"}}: for domains that deliver their own (the SLA's digests). No answer: every channel.
NOTIFICATION_CHANNELS = "tg_tickets_notification_channels"
# A user opened a ticket in the side sheet (ticket, user, source): the privacy domain's audit trail records it.
TICKET_VIEWED = "tg_tickets_on_ticket_viewed"
# What a domain delivering its own notifications (the SLA's digests) sent now, on the channels
# NOTIFICATION_CHANNELS allowed (kind, [(ticket, user, text)]): the notify domain keeps what a user's quiet
# hours hold (nothing is lost) and sends it as one summary per ticket when they end.
HOLD_FOR_LATER = "tg_tickets_hold_notifications_for_later"


def emit(event: str, *args, **kwargs) -> list:
	"""Calls every handler declared for `event` in hooks.py; returns their results in that order."""
	return [frappe.get_attr(path)(*args, **kwargs) for path in frappe.get_hooks(event)]
