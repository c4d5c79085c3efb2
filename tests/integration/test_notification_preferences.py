"""Notification preferences on the test site: per type and channel (desk bell, e-mail, Telegram DM to agents
who linked an account), quiet hours that hold e-mail and Telegram until they end (breaches and escalations may
pass), bursts collapsed into one Telegram DM per ticket and window, admins' defaults for users without their
own, and who may read or change whose preferences."""

from datetime import datetime, timedelta

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import (
	clock_at, make_admin, make_member, make_sla_policy, make_ticket, outgoing_email_account, settings, telegram_messages,
)
from tg_tickets.notify import deliver, preferences, rules
from tg_tickets.sla import sweep as sla_sweep

T0 = datetime(2026, 3, 2, 10, 0)
M = timedelta(minutes=1)
AGENT, OTHER = "notify.agent@tickets.test", "notify.other@tickets.test"

pytestmark = pytest.mark.usefixtures("feature_on")


@pytest.fixture(scope="module", autouse=True)
def _emails_queued_not_delivered():
	"""An outgoing account with Frappe's mute_emails: e-mail is queued (and counted), never delivered."""
	with outgoing_email_account():
		yield


@pytest.fixture
def agent():
	make_member(AGENT)
	make_member(OTHER)
	frappe.db.set_value("User", AGENT, "time_zone", frappe.utils.get_system_timezone())
	frappe.db.delete("Agent Notification Channel", {"parent": ("in", [AGENT, OTHER]), "parenttype": "Agent Notification Preferences"})
	frappe.db.delete("Agent Notification Preferences", {"user": ("in", [AGENT, OTHER])})
	frappe.db.delete("Agent Notification Burst", {"user": ("in", [AGENT, OTHER])})
	frappe.db.delete("Telegram Agent", {"user": AGENT})
	telegram_id = tg.user_id()
	frappe.get_doc({"doctype": "Telegram Agent", "user": AGENT, "telegram_user_id": str(telegram_id)}).insert(ignore_permissions=True)
	preferences.forget()
	yield str(telegram_id)
	frappe.db.rollback()
	preferences.forget()


def set_preferences(user=AGENT, channels=None, quiet=(None, None), urgent=1, burst=10):
	channels = channels or {kind: (1, 1, 1) for kind in rules.KINDS}
	doc = frappe.get_doc({
		"doctype": "Agent Notification Preferences", "user": user,
		"channels": [{"notification_type": k, "desk": d, "email": e, "telegram": t} for k, (d, e, t) in channels.items()],
		"quiet_hours": int(quiet[0] is not None), "quiet_hours_from": quiet[0], "quiet_hours_to": quiet[1],
		"urgent_overrides_quiet_hours": urgent,
		"telegram_burst_minutes": burst,
	})
	return doc.insert(ignore_permissions=True)


def bells(ticket):
	return frappe.get_all("Notification Log", filters={"for_user": AGENT, "document_name": ticket}, pluck="subject",
		order_by="creation")


def dms(telegram_id):
	return [m.text for m in telegram_messages(chat=telegram_id, direction="Outgoing") if m.message_kind == "Message"]


def emails():
	return frappe.db.count("Email Queue Recipient", {"recipient": AGENT})


def flush(at):
	with clock_at(at):
		return deliver.flush(at)


def send(kind, ticket, text, at):
	with clock_at(at):
		deliver.notify_agents(kind, ticket, {AGENT: text})


def test_each_type_goes_to_the_channels_the_user_chose(agent):
	set_preferences(channels={rules.ESCALATION: (1, 0, 1), rules.RATING: (0, 1, 0)})
	ticket = make_ticket("Prefs").name
	before = emails()
	send(rules.ESCALATION, ticket, "Escalated", T0)
	send(rules.RATING, ticket, "Rated 5", T0 + M)
	send(rules.MENTION, ticket, "Mentioned", T0 + 2 * M)  # not in the list: nothing
	assert bells(ticket) == ["Escalated"]
	assert dms(agent) == ["Escalated"]
	assert emails() == before + 1


def test_defaults_from_tickets_settings_apply_to_users_without_their_own(agent):
	ticket = make_ticket("Defaults").name
	with settings(default_notification_channels=[{"notification_type": rules.ASSIGNED, "desk": 0, "email": 0, "telegram": 1}]):
		preferences.forget()
		assert preferences.load(AGENT).channels[rules.ASSIGNED] == frozenset({rules.TELEGRAM})
		assert preferences.load(AGENT).channels[rules.ESCALATION] == rules.DEFAULT_CHANNELS[rules.ESCALATION]
		send(rules.ASSIGNED, ticket, "Yours now", T0)
		assert bells(ticket) == [] and dms(agent) == ["Yours now"]
		# the preferences page starts from the same defaults
		preferences.ensure_own(AGENT)
		own = frappe.get_doc("Agent Notification Preferences", AGENT)
		row = next(r for r in own.channels if r.notification_type == rules.ASSIGNED)
		assert (row.desk, row.email, row.telegram) == (0, 0, 1) and len(own.channels) == len(rules.KINDS)
	preferences.forget()


def test_quiet_hours_hold_email_and_telegram_and_a_summary_follows_when_they_end(agent):
	set_preferences(quiet=("22:00:00", "07:00:00"))
	ticket = make_ticket("Night").name
	night = datetime(2026, 3, 2, 23, 0)
	before = emails()
	send(rules.ASSIGNED, ticket, "Assigned at night", night)
	send(rules.CUSTOMER_MESSAGE, ticket, "Customer wrote at night", night + M)
	assert bells(ticket) == ["Assigned at night", "Customer wrote at night"]  # the bell rings as usual
	assert dms(agent) == [] and emails() == before
	send(rules.SLA_BREACH, ticket, "Breached at night", night + 2 * M)  # urgent: passes
	assert dms(agent) == ["Breached at night"] and emails() == before + 1
	assert flush(datetime(2026, 3, 3, 6, 59)) == 0
	flush(datetime(2026, 3, 3, 7, 0))
	assert dms(agent)[-1] == f"2 notifications on ticket #{ticket}:\n• Assigned at night\n• Customer wrote at night"
	assert emails() == before + 2  # and one summary e-mail
	assert flush(datetime(2026, 3, 3, 8, 0)) == 0  # sent once


def test_sla_reminders_in_quiet_hours_wait_for_their_end_and_breaches_pass(agent):
	set_preferences(quiet=("22:00:00", "07:00:00"))
	make_sla_policy(is_default=1, escalation_enabled=0, timezone=frappe.utils.get_system_timezone())  # MEDIUM: 60 min
	night = datetime(2026, 3, 2, 23, 0)
	with clock_at(night):
		ticket = make_ticket("Night SLA", priority="MEDIUM", assigned_to=AGENT).name
	before = emails()
	with clock_at(night + 46 * M):
		assert sla_sweep.process_ticket(ticket, night + 46 * M) == ["first_response:reminder:75"]
	reminder = next(b for b in bells(ticket) if b.startswith("SLA reminder"))  # the bell rings as usual
	assert dms(agent) == [] and emails() == before
	with clock_at(night + 61 * M):
		assert sla_sweep.process_ticket(ticket, night + 61 * M) == ["first_response:breach"]  # urgent: passes
	assert dms(agent)[-1].startswith("SLA breached") and emails() == before + 1
	assert flush(datetime(2026, 3, 3, 6, 59)) == 0
	flush(datetime(2026, 3, 3, 7, 0))
	# the held reminder (with the night's assignment), once, when the quiet hours end
	assert dms(agent)[-1].startswith(f"2 notifications on ticket #{ticket}:\n") and dms(agent)[-1].endswith(f"\n• {reminder}")
	assert emails() == before + 2
	assert flush(datetime(2026, 3, 3, 8, 0)) == 0


def test_urgent_ones_wait_too_when_the_user_says_so(agent):
	set_preferences(quiet=("22:00:00", "07:00:00"), urgent=0)
	ticket = make_ticket("Strict night").name
	send(rules.ESCALATION, ticket, "Escalated at night", datetime(2026, 3, 2, 23, 0))
	assert dms(agent) == []


def test_a_burst_on_one_ticket_is_one_dm_then_one_summary(agent):
	set_preferences(burst=10)
	ticket, other = make_ticket("Busy").name, make_ticket("Other").name
	for i in range(4):
		send(rules.CUSTOMER_MESSAGE, ticket, f"message {i}", T0 + i * M)
	send(rules.CUSTOMER_MESSAGE, other, "on another ticket", T0 + 2 * M)
	assert dms(agent) == ["message 0", "on another ticket"]
	assert len(bells(ticket)) == 4  # the bell is never collapsed
	assert flush(T0 + 9 * M) == 0
	flush(T0 + 10 * M)
	assert dms(agent)[-1] == f"3 notifications on ticket #{ticket}:\n• message 1\n• message 2\n• message 3"
	send(rules.CUSTOMER_MESSAGE, ticket, "after the summary", T0 + 15 * M)  # the summary opened a new window
	assert dms(agent)[-1] != "after the summary"
	send(rules.CUSTOMER_MESSAGE, ticket, "much later", T0 + 21 * M)
	assert dms(agent)[-1] == "much later"


def test_frappes_bell_switch_is_respected(agent):
	set_preferences()
	ticket = make_ticket("Muted bell").name
	settings_doc = frappe.get_doc("Notification Settings", AGENT)
	settings_doc.enabled = 0
	settings_doc.save(ignore_permissions=True)
	send(rules.RATING, ticket, "Rated", T0)
	assert bells(ticket) == [] and dms(agent) == ["Rated"]


def test_mention_email_follows_the_preference_in_frappes_notification_settings(agent):
	set_preferences(channels={rules.MENTION: (1, 1, 0)})
	assert frappe.db.get_value("Notification Settings", AGENT, "enable_email_mention") == 1
	doc = frappe.get_doc("Agent Notification Preferences", AGENT)
	doc.channels[0].email = 0
	doc.save(ignore_permissions=True)
	assert frappe.db.get_value("Notification Settings", AGENT, "enable_email_mention") == 0


def test_users_see_and_change_only_their_own_preferences(agent):
	mine = set_preferences()
	set_preferences(user=OTHER)
	frappe.set_user(AGENT)
	assert frappe.get_list("Agent Notification Preferences", pluck="name") == [AGENT]
	assert frappe.has_permission("Agent Notification Preferences", "write", mine)
	assert not frappe.has_permission("Agent Notification Preferences", "read", frappe.get_doc("Agent Notification Preferences", OTHER))
	frappe.set_user("Administrator")
	admin = make_admin("notify.admin@tickets.test")
	frappe.set_user(admin)
	assert set(frappe.get_list("Agent Notification Preferences", pluck="name")) >= {AGENT, OTHER}


def test_bad_preferences_are_refused(agent):
	twice = {"doctype": "Agent Notification Preferences", "user": AGENT,
		"channels": [{"notification_type": rules.ASSIGNED}, {"notification_type": rules.ASSIGNED}]}
	with pytest.raises(frappe.ValidationError, match="twice"):
		frappe.get_doc(twice).insert(ignore_permissions=True)
	with pytest.raises(frappe.ValidationError, match="different end"):
		set_preferences(quiet=("22:00:00", "22:00:00"))
	assert not frappe.db.exists("Agent Notification Preferences", AGENT)


def test_frappes_mention_on_a_ticket_reaches_telegram_when_wanted(agent):
	set_preferences(channels={rules.MENTION: (1, 0, 1)})
	ticket = make_ticket("Mentioned").name
	frappe.get_doc({"doctype": "Notification Log", "for_user": AGENT, "type": "Mention", "document_type": "Ticket",
		"document_name": ticket, "subject": "<b>Admin</b> mentioned you in a comment on #" + ticket,
		"from_user": "Administrator"}).insert(ignore_permissions=True)
	assert dms(agent) == [f"Admin mentioned you in a comment on #{ticket}"]
	set_preferences(user=OTHER, channels={rules.MENTION: (1, 0, 0)})
	frappe.get_doc({"doctype": "Notification Log", "for_user": OTHER, "type": "Mention", "document_type": "Ticket",
		"document_name": ticket, "subject": "mentioned", "from_user": "Administrator"}).insert(ignore_permissions=True)
	assert dms(agent) == [f"Admin mentioned you in a comment on #{ticket}"]  # OTHER has no Telegram, and did not want it


def mention(user, document_type, name, subject):
	"""What Frappe's comment mention inserts (make_notification_logs)."""
	return frappe.get_doc({"doctype": "Notification Log", "for_user": user, "type": "Mention", "document_type": document_type,
		"document_name": name, "subject": subject, "from_user": "Administrator"}).insert(ignore_permissions=True)


def mention_bells(ticket):
	return frappe.get_all("Notification Log", filters={"for_user": AGENT, "document_name": ticket, "type": "Mention"},
		pluck="subject")


def test_frappes_mention_bell_and_email_follow_the_tickets_preference(agent):
	ticket = make_ticket("Mention prefs").name
	before = emails()
	set_preferences(channels={rules.MENTION: (0, 1, 0)})  # e-mail only: no bell
	with clock_at(T0):
		mention(AGENT, "Ticket", ticket, "Admin mentioned you (e-mail only)")
	assert mention_bells(ticket) == [] and emails() == before + 1
	own = frappe.get_doc("Agent Notification Preferences", AGENT)
	row = next(r for r in own.channels if r.notification_type == rules.MENTION)
	row.desk, row.email, row.telegram = 1, 0, 0  # bell only
	own.save(ignore_permissions=True)
	frappe.db.set_value("Notification Settings", AGENT, "enable_email_mention", 1)  # Frappe's switch alone does not decide
	with clock_at(T0 + M):
		mention(AGENT, "Ticket", ticket, "Admin mentioned you (bell only)")
	assert mention_bells(ticket) == ["Admin mentioned you (bell only)"] and emails() == before + 1


def test_a_mention_in_quiet_hours_rings_and_its_email_waits_for_their_end(agent):
	ticket = make_ticket("Night mention").name
	set_preferences(channels={rules.MENTION: (1, 1, 0)}, quiet=("22:00:00", "07:00:00"))
	before = emails()
	with clock_at(datetime(2026, 3, 2, 23, 0)):
		mention(AGENT, "Ticket", ticket, "Admin mentioned you at night")
	assert mention_bells(ticket) == ["Admin mentioned you at night"] and emails() == before
	flush(datetime(2026, 3, 3, 7, 0))
	assert emails() == before + 1 and dms(agent) == []  # the e-mail summary; no Telegram wanted
	# a mention elsewhere than on a ticket is Frappe's alone (its Notification Settings)
	with clock_at(datetime(2026, 3, 3, 23, 0)):
		log = mention(AGENT, "User", AGENT, "Admin mentioned you on a user")
	assert frappe.db.get_value("Notification Log", log.name, "type") == "Mention" and emails() == before + 2


def photo_from(uid):
	"""A customer's photo with no caption, as Telegram sends it."""
	from telethon.tl import types

	message = types.Message(id=tg.next_id(), peer_id=types.PeerUser(uid), from_id=types.PeerUser(uid), date=tg.now(),
		message="", media=types.MessageMediaPhoto(photo=types.PhotoEmpty(id=tg.next_id())))
	return tg.with_entities(types.UpdateNewMessage(message=message, pts=1, pts_count=1), [tg.user(uid)])


def test_the_assignee_hears_of_every_customer_message_photos_and_unscored_texts_too(agent):
	"""What reaches the inbox, on both of its paths (a batch of follow-ups; a message that reopens a solved
	ticket), rings the assignee's bell once per ticket and batch, whether or not sentiment scored it."""
	from tests.factories import make_chat
	from tests.integration.test_telegram_sync import receive

	set_preferences()
	uid = tg.user_id()
	chat = make_chat("Photo sender", chat_id=uid)
	ticket = make_ticket("Screenshot", chats=[chat], assigned_to=AGENT).name
	frappe.db.commit()
	expected = f"New customer message on ticket #{ticket}: Screenshot"

	def customer_bells():
		return [b for b in bells(ticket) if b.startswith("New customer message")]

	receive(photo_from(uid))  # an open ticket: the batch path
	[photo] = telegram_messages(chat=str(uid), direction="Incoming")
	assert (photo.media_type, photo.ticket, photo.sentiment_scored) == ("photo", ticket, 0)
	assert customer_bells() == [expected]
	receive(tg.private_message(uid, "12345"))  # a text sentiment does not score
	assert customer_bells() == [expected] * 2
	frappe.db.set_value("Ticket", ticket, "status", "SOLVED")
	frappe.db.commit()
	receive(photo_from(uid))  # reopens the solved ticket: the one-by-one path
	assert frappe.db.get_value("Ticket", ticket, "status") == "OPEN"
	assert customer_bells() == [expected] * 3
