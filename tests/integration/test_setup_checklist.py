"""The first-day checklist: Tickets Settings → Test connection through the fake Telegram edge (a fresh bot login,
the topic group as Telegram shows it to the bot) says precisely what is wrong; each checklist step is done or not
from the site's state, read when the Tickets workspace loads, and a click does not change it."""

import asyncio
import json

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_member, make_ticket, make_ticket_team, set_settings, settings
from tg_tickets.onboarding import checklist
from tg_tickets.telegram import connection

pytestmark = pytest.mark.usefixtures("feature_on", "bot_credentials")

BOT_ID = int(tg.BOT_TOKEN.split(":")[0])
CONNECT = "Connect the Telegram Bot"


@pytest.fixture
def group():
	channel = 3_000_000_000 + tg.next_id()
	chat = make_chat("Agents' topics", chat_id=f"-100{channel}", chat_type="Forum")
	frappe.db.commit()
	with settings(topic_group_chat=chat):
		yield chat


def run_connection_test(**telegram):
	return connection.test_and_record(tg.login_client(tg.BotLoginSender(BOT_ID, **telegram)))


@pytest.mark.parametrize("telegram, says", [
	({"token_ok": False}, "Telegram refused the bot token (ACCESS_TOKEN_INVALID): it was revoked or mistyped"),
	({"member": False}, "The bot is not a member of the topic group"),
	({"admin": False}, "The bot is not an admin of the topic group “Agents' topics”: make it an admin with the Manage topics right"),
	({"manage_topics": False}, "lacks the Manage topics right"),
	({"forum": False}, "Topics are turned off in the group “Agents' topics”: turn on Topics in the group's settings."),
])
def test_the_connection_test_says_precisely_what_is_wrong(group, telegram, says):
	outcome = run_connection_test(**telegram)

	assert outcome["status"] == "Failed" and says in outcome["message"]
	assert tg.BOT_TOKEN not in outcome["message"] and tg.API_HASH not in outcome["message"]
	stored = [frappe.db.get_single_value("Tickets Settings", f) for f in ("connection_status", "connection_message")]
	assert stored == ["Failed", outcome["message"]]
	assert checklist.bot_connected() is False


def test_a_passing_test_holds_until_the_credentials_or_the_group_change(group):
	outcome = run_connection_test()
	assert outcome == {"status": "OK", "message": "Connected: the bot token is accepted (bot @tickets_test_bot); the bot "
					   "sees the topic group “Agents' topics”; the bot is an admin that may manage topics; topics are on."}
	assert checklist.bot_connected()

	set_settings(agent_idle_minutes=45)  # another setting: the test still vouches for this bot and group
	assert checklist.bot_connected()
	set_settings(topic_group_chat=make_chat("Another group", chat_id=f"-100{3_000_000_000 + tg.next_id()}", chat_type="Forum"))
	assert not checklist.bot_connected()
	assert not frappe.db.get_single_value("Tickets Settings", "connection_message")


def test_without_a_topic_group_only_the_login_is_checked():
	with settings(topic_group_chat=None):
		outcome = run_connection_test(member=False)
	assert outcome["status"] == "OK" and outcome["message"].endswith("No topic group chosen yet.")


def test_only_admins_test_the_connection(member):
	response = member.call("tg_tickets.api.telegram.test_connection")
	assert response.status_code == 403


def test_each_step_is_done_from_the_sites_state():
	channel_chat = make_chat("Customer", chat_id=tg.user_id())
	make_ticket("First ticket from Telegram", chats=[channel_chat])
	make_ticket_team("Checklist team")
	make_member("checklist-agent@tickets.test")
	if not frappe.db.exists("SLA Policy", {"is_default": 1, "enabled": 1}):
		from tests.factories import make_sla_policy

		make_sla_policy("Checklist default", is_default=1)
	frappe.db.set_single_value("Tickets Settings", {"connection_status": "OK", "topic_group_chat": channel_chat})
	assert checklist.states() == dict.fromkeys(checklist.STEPS, True)

	undo = {
		"Connect the Telegram Bot": lambda: frappe.db.set_single_value("Tickets Settings", "connection_status", "Failed"),
		"Choose the Topic Group": lambda: frappe.db.set_single_value("Tickets Settings", "topic_group_chat", None),
		"Set a Default SLA Policy": lambda: frappe.db.sql("update `tabSLA Policy` set enabled = 0 where is_default = 1"),
		"Create a Ticket Team": lambda: frappe.db.sql("delete from `tabTicket Team`"),
		"Invite Agents": lambda: frappe.db.sql("delete from `tabHas Role` where role in ('Tickets Member', 'Tickets Admin')"),
		"Send a Test Ticket": lambda: frappe.db.sql("delete from `tabTicket Chat`"),
	}
	try:
		for step, make_undone in undo.items():
			make_undone()
			assert checklist.states()[step] is False, step
		assert checklist.states() == dict.fromkeys(checklist.STEPS, False)
	finally:
		frappe.db.rollback()


def workspace_steps(client) -> dict:
	response = client.call("frappe.desk.desktop.get_desktop_page", page=json.dumps({"name": "Tickets", "title": "Tickets"}))
	assert response.ok, response.text
	[checklist_block] = response.json()["message"]["onboardings"]["items"]
	return {step["name"]: step["is_complete"] for step in checklist_block["items"]}


def test_the_workspace_shows_the_real_state_and_a_click_does_not_change_it(clients, group):
	admin = clients["admin"]
	set_settings(connection_status=None)
	frappe.db.set_value("Module Onboarding", checklist.ONBOARDING, "is_complete", 0)
	frappe.db.commit()

	steps = workspace_steps(admin)
	assert list(steps) == list(checklist.STEPS)
	assert steps[CONNECT] == 0 and steps["Choose the Topic Group"] == 1
	clicked = admin.call("frappe.desk.desktop.update_onboarding_step", name=CONNECT, field="is_complete", value=1)
	assert clicked.ok, clicked.text
	assert workspace_steps(admin)[CONNECT] == 0

	run_connection_test()

	assert workspace_steps(admin)[CONNECT] == 1
	assert {name: bool(done) for name, done in workspace_steps(admin).items()} == checklist.states()


def test_members_do_not_see_the_checklist(member):
	response = member.call("frappe.desk.desktop.get_desktop_page", page=json.dumps({"name": "Tickets", "title": "Tickets"}))
	assert response.ok, response.text
	assert response.json()["message"]["onboardings"]["items"] == []
