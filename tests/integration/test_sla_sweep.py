"""The SLA sweep and its jobs on the real site: only due tickets, reminders and breaches once, escalation
with its per-ticket off switch, and two workers racing on the same ticket."""

import email
import email.policy
import threading
from datetime import datetime, timedelta

import frappe
import pytest
from frappe.email.doctype.email_queue.email_queue import SendMailContext
from frappe.utils import get_datetime

from tests import telegram_fakes as tg
from tests.factories import (
	make_admin, make_member, make_sla_policy, make_team, make_ticket_at, outgoing_email_account, set_status_at,
	telegram_messages,
)
from tg_tickets.sla import notify, sweep, tracking
from tg_tickets.sla.clock import Event

T0 = datetime(2026, 3, 2, 10, 0)
REMINDER, BREACH, ESCALATION = "first_response:reminder:75", "first_response:breach", "first_response:escalation"


pytestmark = pytest.mark.usefixtures("feature_on")


@pytest.fixture(scope="module", autouse=True)
def _emails_queued_not_delivered():
	"""The test site has no mail server: an outgoing account with Frappe's mute_emails queues, never delivers."""
	with outgoing_email_account():
		yield


@pytest.fixture
def people():
	return {
		"agent": make_member("agent.sla@tickets.test"),
		"supervisor": make_admin("supervisor.sla@tickets.test"),
		"teammate": make_member("teammate.sla@tickets.test"),
	}


@pytest.fixture
def policy(people):
	# HIGH: first response 30 min, resolution 4 h, round the clock; escalation 50 % (15 min) after a breach
	return make_sla_policy(
		is_default=1,
		escalate_to=people["supervisor"],
		escalation_team=make_team("SLA Escalation Team", people["teammate"]),
	)


def alerts(ticket_name, user=None):
	filters = {"document_type": "Ticket", "document_name": ticket_name, "type": "Alert"}
	if user:
		filters["for_user"] = user
	return frappe.get_all("Notification Log", filters=filters, pluck="subject")


def emails(user):
	"""E-mails queued for the user (written by the SLA job together with its claims)."""
	return frappe.db.count("Email Queue Recipient", {"recipient": user})


def test_the_sweep_reads_only_tickets_whose_next_event_is_due(policy):
	ticket = make_ticket_at(T0, priority="HIGH")
	paused = make_ticket_at(T0, priority="HIGH")
	paused = set_status_at(paused.name, "PENDING", T0 + timedelta(minutes=1))
	assert get_datetime(ticket.next_sla_event_at) == T0 + timedelta(minutes=22, seconds=30)
	assert ticket.name not in sweep.due_tickets(T0 + timedelta(minutes=22))
	assert ticket.name in sweep.due_tickets(T0 + timedelta(minutes=23))
	assert paused.name not in sweep.due_tickets(T0 + timedelta(days=30))
	assert sweep.run(T0 + timedelta(minutes=23)) >= 1


def test_reminder_then_breach_notify_the_assignee_once_each(policy, people):
	ticket = make_ticket_at(T0, priority="HIGH", assigned_to=people["agent"])
	mails_before = emails(people["agent"])

	assert sweep.process_ticket(ticket.name, T0 + timedelta(minutes=23)) == [REMINDER]
	assert frappe.db.get_value("Ticket", ticket.name, "sla_state") == "AT_RISK"
	assert len(alerts(ticket.name, people["agent"])) == 1
	assert emails(people["agent"]) == mails_before + 1

	# a re-run, and a stale sweep that still thinks the ticket is due, send nothing again
	assert sweep.process_ticket(ticket.name, T0 + timedelta(minutes=23)) == []
	frappe.db.set_value("Ticket", ticket.name, "next_sla_event_at", T0, update_modified=False)
	assert sweep.process_ticket(ticket.name, T0 + timedelta(minutes=23)) == []
	assert len(alerts(ticket.name)) == 1

	assert sweep.process_ticket(ticket.name, T0 + timedelta(minutes=31)) == [BREACH]
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.sla_state == "BREACHED"
	# the sweep writes SLA states in bulk, without a save: the ticket's figures follow all the same
	assert frappe.db.get_value("Ticket Metrics", ticket.name, ["sla_breached", "sla_met"]) == (1, 0)
	assert get_datetime(stored.next_sla_event_at) == T0 + timedelta(minutes=45)  # the escalation
	assert len(alerts(ticket.name, people["agent"])) == 2 and emails(people["agent"]) == mails_before + 2
	assert frappe.get_all("SLA Notification", filters={"ticket": ticket.name}, order_by="creation", pluck="event") == [
		REMINDER, BREACH,
	]


def test_a_persisting_breach_escalates_to_the_supervisor_and_the_agent_keeps_read_access(policy, people):
	ticket = make_ticket_at(T0, priority="HIGH", assigned_to=people["agent"])
	assert sweep.process_ticket(ticket.name, T0 + timedelta(minutes=46)) == [REMINDER, BREACH, ESCALATION]
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.assigned_to == people["supervisor"]
	assert stored.sla_escalated_at
	share = frappe.db.get_value(
		"DocShare", {"share_doctype": "Ticket", "share_name": ticket.name, "user": people["agent"]}, ["read", "write"]
	)
	assert share == (1, 0)
	assert frappe.has_permission("Ticket", "read", stored, user=people["agent"])
	for user in (people["supervisor"], people["teammate"], people["agent"]):
		assert any("escalat" in s for s in alerts(ticket.name, user)), user
	# the supervisor now gets the resolution reminders (and the escalation e-mail went out once per person)
	assert sweep.process_ticket(ticket.name, T0 + timedelta(hours=3, minutes=1)) == ["resolution:reminder:75"]
	assert len(alerts(ticket.name, people["supervisor"])) == 2


def test_escalation_switched_off_for_one_ticket_only_notifies(policy, people):
	ticket = make_ticket_at(T0, priority="HIGH", assigned_to=people["agent"])
	frappe.set_user(people["supervisor"])
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.sla_escalation_disabled = 1
	doc.save()
	frappe.set_user("Administrator")
	assert sweep.process_ticket(ticket.name, T0 + timedelta(hours=2)) == [REMINDER, BREACH]
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.assigned_to == people["agent"] and not stored.sla_escalated_at
	assert not alerts(ticket.name, people["supervisor"])


def test_an_unassigned_ticket_notifies_the_supervisor_and_team(policy, people):
	ticket = make_ticket_at(T0, priority="HIGH")
	assert sweep.process_ticket(ticket.name, T0 + timedelta(minutes=23)) == [REMINDER]
	assert len(alerts(ticket.name, people["supervisor"])) == 1 and len(alerts(ticket.name, people["teammate"])) == 1


def test_a_reopened_ticket_is_notified_again_for_thresholds_its_resumed_clock_crosses(policy, people):
	ticket = make_ticket_at(T0, priority="HIGH", assigned_to=people["agent"])  # resolution 4 h, reminder at 3 h
	tracking.record_first_response(ticket.name, T0 + timedelta(minutes=5))
	assert sweep.process_ticket(ticket.name, T0 + timedelta(hours=3, minutes=1)) == ["resolution:reminder:75"]
	set_status_at(ticket.name, "SOLVED", T0 + timedelta(hours=3, minutes=30))

	# Reopened a day later: 30 min remain. The reminder was crossed before the reopen and is not repeated;
	# the breach is crossed by the resumed clock, in its new cycle.
	reopened = T0 + timedelta(days=1)
	stored = set_status_at(ticket.name, "OPEN", reopened)
	assert get_datetime(stored.next_sla_event_at) == reopened + timedelta(minutes=30)
	assert sweep.process_ticket(ticket.name, reopened + timedelta(minutes=31)) == ["resolution:breach@1"]
	set_status_at(ticket.name, "SOLVED", reopened + timedelta(minutes=40))

	# Reopened again and given a longer target (LOW: 40 h): its reminder and breach lie after this reopen,
	# so they notify again, once, whatever the number of sweeps.
	reopened_again = T0 + timedelta(days=2)
	set_status_at(ticket.name, "OPEN", reopened_again)
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.priority = "LOW"
	doc.save()
	tracking.refresh(ticket.name, now=reopened_again)
	stored = frappe.get_doc("Ticket", ticket.name)
	used = timedelta(hours=3, minutes=30) + timedelta(minutes=40)
	reminder_at = reopened_again + timedelta(hours=30) - used
	assert get_datetime(stored.next_sla_event_at) == reminder_at
	assert sweep.process_ticket(ticket.name, reminder_at + timedelta(minutes=1)) == ["resolution:reminder:75@2"]
	assert sweep.process_ticket(ticket.name, reminder_at + timedelta(minutes=1)) == []
	frappe.db.set_value("Ticket", ticket.name, "next_sla_event_at", T0, update_modified=False)  # a stale sweep
	assert sweep.process_ticket(ticket.name, reminder_at + timedelta(minutes=2)) == []

	assert frappe.get_all("SLA Notification", filters={"ticket": ticket.name}, order_by="creation", pluck="event") == [
		"resolution:reminder:75", "resolution:breach@1", "resolution:reminder:75@2",
	]
	subjects = alerts(ticket.name, people["agent"])
	assert len(subjects) == 3 and sum("breached" in s for s in subjects) == 1


def test_one_job_sends_each_agent_one_email_and_one_telegram_message_listing_their_alerts(policy, people):
	telegram_id = str(tg.user_id())
	frappe.db.delete("Telegram Agent", {"user": people["agent"]})
	frappe.get_doc({"doctype": "Telegram Agent", "user": people["agent"], "telegram_user_id": telegram_id}).insert(
		ignore_permissions=True
	)
	first = make_ticket_at(T0, "Printer jam", priority="HIGH", assigned_to=people["agent"])
	second = make_ticket_at(T0, "VPN & e-mail down", priority="HIGH", assigned_to=people["agent"])
	mails_before = emails(people["agent"])

	fired = sweep.process_batch([first.name, second.name], T0 + timedelta(minutes=31))
	assert fired == {first.name: [REMINDER, BREACH], second.name: [REMINDER, BREACH]}

	assert emails(people["agent"]) == mails_before + 1
	queued = frappe.get_all(
		"Email Queue", filters={"reference_doctype": "Ticket"}, fields=["name", "message"], order_by="creation desc", limit=1
	)[0]
	message = email.message_from_string(queued.message, policy=email.policy.default)
	assert message["Subject"] == "4 SLA alerts on your tickets"
	html = message.get_body(("html",)).get_content()
	assert f"/app/ticket/{first.name}" in html and f"/app/ticket/{second.name}" in html
	assert "VPN &amp; e-mail down" in html and "VPN & e" not in html  # escaped
	# what Frappe's e-mail queue sends for this row
	queue = frappe.get_doc("Email Queue", queued.name)
	assert queue.status == "Not Sent" and [r.recipient for r in queue.recipients] == [people["agent"]]
	sent = email.message_from_bytes(SendMailContext(queue).build_message(people["agent"]), policy=email.policy.default)
	assert sent["To"] == people["agent"] and sent["Subject"] == "4 SLA alerts on your tickets"
	[dm] = telegram_messages(chat=telegram_id)
	assert dm.status == "Queued" and dm.text.startswith("4 SLA alerts on your tickets:")
	assert all(f"#{name}" in dm.text for name in (first.name, second.name))
	frappe.db.delete("Telegram Agent", {"user": people["agent"]})


def test_a_claim_left_without_its_email_gets_it_from_the_digest_job_once(policy, people):
	ticket = make_ticket_at(T0, priority="HIGH", assigned_to=people["agent"])
	notify.claim(ticket.name, Event(BREACH, "first_response", "breach", T0 + timedelta(minutes=30)), [people["agent"]])
	# as claims were stored before e-mail went out with them
	frappe.db.set_value("SLA Notification", f"{ticket.name}:{BREACH}", "emailed_at", None, update_modified=False)
	mails_before = emails(people["agent"])
	assert notify.emails_pending()
	assert notify.email_digests() == 1
	assert notify.email_digests() == 0
	assert emails(people["agent"]) == mails_before + 1 and not notify.emails_pending()


def test_claiming_an_event_twice_fails_the_second_time(policy):
	ticket = make_ticket_at(T0, priority="HIGH")
	event = Event(BREACH, "first_response", "breach", T0 + timedelta(minutes=30))
	assert notify.claim(ticket.name, event, []) is True
	assert notify.claim(ticket.name, event, []) is False


def test_claiming_many_at_once_wins_only_those_nobody_holds(policy):
	ticket = make_ticket_at(T0, priority="HIGH")
	reminder = Event(REMINDER, "first_response", "reminder", T0 + timedelta(minutes=22), 75)
	breach = Event(BREACH, "first_response", "breach", T0 + timedelta(minutes=30))
	assert notify.claim(ticket.name, breach, []) is True  # another worker got there first
	assert notify.claim_all([(ticket.name, reminder, []), (ticket.name, breach, [])]) == {(ticket.name, REMINDER)}
	assert notify.claim_all([(ticket.name, reminder, []), (ticket.name, breach, [])]) == set()
	assert frappe.db.count("SLA Notification", {"ticket": ticket.name}) == 2


# --- two workers at once (committed data: each worker has its own connection) -----------------------------


@pytest.fixture
def committed_ticket(people):
	started = frappe.utils.now_datetime()
	title = f"Race {frappe.generate_hash(length=8)}"
	race_policy = make_sla_policy(conditions=[("Ticket Field", title, "title")], condition_order=-1)
	ticket = make_ticket_at(T0, title, priority="HIGH", assigned_to=people["agent"])
	assert ticket.sla_policy == race_policy.name
	frappe.db.commit()
	yield ticket.name
	frappe.db.rollback()
	frappe.db.delete("Notification Log", {"document_type": "Ticket", "document_name": ticket.name})
	queued = frappe.get_all("Email Queue", filters={"creation": (">=", started)}, pluck="name")
	frappe.db.delete("Email Queue Recipient", {"parent": ("in", queued)}) if queued else None
	frappe.db.delete("Email Queue", {"name": ("in", queued)}) if queued else None
	frappe.delete_doc("Ticket", ticket.name, force=True, ignore_permissions=True)
	frappe.delete_doc("SLA Policy", race_policy.name, force=True, ignore_permissions=True)
	frappe.db.commit()


def test_two_workers_racing_on_a_ticket_send_each_notification_once(committed_ticket, people):
	mails_before = frappe.db.count("Email Queue Recipient", {"recipient": people["agent"]})
	site, sites_path = frappe.local.site, frappe.local.sites_path
	barrier = threading.Barrier(4)
	results, errors = [], []

	def worker():
		try:
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			frappe.set_user("Administrator")
			barrier.wait(timeout=30)
			results.append(sweep.process_tickets([committed_ticket], now=T0 + timedelta(minutes=31)))
		except Exception as exc:  # surfaced by the assertion below
			errors.append(repr(exc))
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=worker) for _ in range(4)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(timeout=60)
	assert not errors
	fired = sorted(key for result in results for key in result.get(committed_ticket, []))
	assert fired == sorted([REMINDER, BREACH])
	frappe.db.rollback()  # see the workers' commits
	assert len(alerts(committed_ticket)) == 2
	# the winner queued the e-mail with its claims: both alerts in one e-mail to the agent, nothing left over
	assert not frappe.get_all("SLA Notification", filters={"ticket": committed_ticket, "emailed_at": ("is", "not set")})
	assert emails(people["agent"]) == mails_before + 1
	assert frappe.db.count("SLA Notification", {"ticket": committed_ticket}) == 2
