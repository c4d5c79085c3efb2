"""Faster answers over REST: canned responses by scope and right (and their history), bad input refused with
nothing stored, filling placeholders for a ticket, the send guard, formatted replies reaching Telegram as
entities, usage per response/agent/day and its report; the knowledge base's public pages (Published only),
views and votes, suggestions in Russian and English, article links and URL buttons recorded on the ticket,
and the per-article report."""

import json

import frappe
import pytest
import requests

from tests import telegram_fakes as tg
from tests.factories import PASSWORD, make_chat, make_member, make_ticket, settings
from tests.integration.test_telegram_sync import deliver
from tg_tickets.replies import knowledge_base, reports
from tg_tickets.telegram import gateway

pytestmark = pytest.mark.usefixtures("feature_on")
RESOURCE = "Canned Response"


@pytest.fixture(scope="module")
def other_member(live_site):
	email = make_member("member.two@tickets.test")
	frappe.db.commit()
	return live_site.session(email, PASSWORD)


@pytest.fixture(scope="module")
def billing_team(users):
	name = "Replies Billing"
	if not frappe.db.exists("Ticket Team", name):
		frappe.get_doc({
			"doctype": "Ticket Team", "team_name": name, "assignment_model": "Manual claim", "enabled": 1,
			"members": [{"user": users["member"]}],
		}).insert(ignore_permissions=True)
		frappe.db.commit()
	return name


def create(client, **fields):
	return client.post(client.resource(RESOURCE), json={"title": "T", "scope": "Everyone", **fields})


def visible(client, shortcut_prefix):
	response = client.call("tg_tickets.api.replies.search_responses", http="GET", query=shortcut_prefix)
	assert response.ok, response.text
	return [r["shortcut"] for r in response.json()["message"]]


def delete_all(prefix):
	frappe.db.delete(RESOURCE, {"shortcut": ("like", f"/{prefix}%")})
	frappe.db.commit()


# --- scopes and rights ----------------------------------------------------------------------------------


def test_scopes_decide_who_sees_and_who_manages_each_response(clients, member, other_member, billing_team):
	admin, owner = clients["admin"], clients["owner"]
	delete_all("sc")
	shared = create(admin, title="Shared", shortcut="/sc-all", body="Hello")
	assert shared.ok, shared.text
	team = create(owner, title="Team", shortcut="sc-team", scope="Team", team=billing_team, body="Billing here")
	assert team.ok and team.json()["data"]["shortcut"] == "/sc-team"
	mine = create(member, title="Mine", shortcut="/sc-mine", scope="Personal", body="My words")
	assert mine.ok, mine.text

	assert visible(member, "/sc") == ["/sc-all", "/sc-mine", "/sc-team"]  # in the team: sees its responses
	assert visible(other_member, "/sc") == ["/sc-all"]  # not in the team, not the author
	assert visible(admin, "/sc") == ["/sc-all", "/sc-team"]  # admins see every team's, nobody's personal ones
	mine_name = mine.json()["data"]["name"]
	assert other_member.get(other_member.resource(RESOURCE, mine_name)).status_code == 403
	listed = other_member.get(other_member.resource(RESOURCE), params={"filters": json.dumps([["shortcut", "like", "/sc%"]])})
	assert [r["name"] for r in listed.json()["data"]] == [shared.json()["data"]["name"]]

	# members manage shared responses only while members may edit tickets; their own personal ones always
	with settings(members_can_edit_tickets=0):
		refused = create(member, title="Shared by member", shortcut="/sc-member", body="x")
		assert refused.status_code == 403
		edit = member.put(member.resource(RESOURCE, shared.json()["data"]["name"]), json={"body": "changed"})
		assert edit.status_code == 403
		stolen = member.put(member.resource(RESOURCE, shared.json()["data"]["name"]), json={"scope": "Personal"})
		assert stolen.status_code == 403
		assert member.put(member.resource(RESOURCE, mine_name), json={"body": "My new words"}).ok
	assert not frappe.db.exists(RESOURCE, {"shortcut": "/sc-member"})
	assert frappe.db.get_value(RESOURCE, shared.json()["data"]["name"], ["body", "scope"]) == ("Hello", "Everyone")
	assert create(member, title="Shared by member", shortcut="/sc-member", body="x").ok
	# someone else's personal response cannot be changed or removed, not even by an admin
	assert admin.put(admin.resource(RESOURCE, mine_name), json={"body": "x"}).status_code == 403
	assert other_member.delete(other_member.resource(RESOURCE, mine_name)).status_code == 403
	# an outsider sees none
	assert clients["outsider"].call("tg_tickets.api.replies.search_responses", http="GET", query="/sc").status_code == 403


def test_every_edit_is_kept_in_the_version_history(clients):
	admin = clients["admin"]
	delete_all("hist")
	name = create(admin, title="History", shortcut="/hist", body="First text").json()["data"]["name"]
	assert admin.put(admin.resource(RESOURCE, name), json={"body": "Second text"}).ok
	versions = frappe.get_all("Version", filters={"ref_doctype": RESOURCE, "docname": name}, pluck="data", order_by="creation")
	changes = [change for v in versions for change in json.loads(v).get("changed", [])]
	assert ["body", "First text", "Second text"] in changes


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("fields", "status", "message"),
	[
		({"body": "Hi {{customer}}"}, 417, "Unknown placeholder {{customer}}"),
		({"body": "{% if 1 %}x{% endif %}"}, 417, "Template code is not allowed"),
		({"body": "{{ ticket.no_such_field }}"}, 417, "Unknown placeholder {{ticket.no_such_field}}"),
		({"body": "   "}, 417, "The body is empty"),
		({"body": "<b>unclosed"}, 417, "not valid Telegram HTML"),
		({"body": "ok", "shortcut": "/two words"}, 417, "is not valid"),
		({"body": "ok", "scope": "Team"}, 417, "Choose the team"),
	],
)
def test_bad_responses_are_refused_with_a_reason_and_nothing_is_stored(clients, fields, status, message):
	admin = clients["admin"]
	delete_all("bad")
	response = create(admin, **{"title": "Bad", "shortcut": "/bad", **fields})
	assert response.status_code == status and message in response.text, response.text
	frappe.db.rollback()
	assert not frappe.db.exists(RESOURCE, {"title": "Bad"})


def test_a_shortcut_is_unique_within_its_scope_only(clients, member, other_member):
	admin = clients["admin"]
	delete_all("dup")
	assert create(admin, title="First", shortcut="/dup", body="one").ok
	clash = create(admin, title="Second", shortcut="/DUP", body="two")
	assert clash.status_code == 409 and "already used by «First»" in clash.json()["exception"]
	# personal responses of two agents may share it, one agent may not have it twice
	assert create(member, title="Mine", shortcut="/dup", scope="Personal", body="three").ok
	assert create(other_member, title="Theirs", shortcut="/dup", scope="Personal", body="four").ok
	again = create(member, title="Mine again", shortcut="/dup", scope="Personal", body="five")
	assert again.status_code == 409
	frappe.db.rollback()
	assert sorted(frappe.get_all(RESOURCE, filters={"shortcut": "/dup"}, pluck="title")) == ["First", "Mine", "Theirs"]


# --- filling, the send guard, formatted replies and usage -------------------------------------------------


def customer_ticket(name="Nora & Sons <3", username="nora_n", **fields):
	uid = tg.user_id()
	chat = make_chat(name, chat_id=uid, username=username)
	ticket = make_ticket(fields.pop("title", "Refund for order 42"), chats=[chat], customer_telegram_id=str(uid), **fields)
	frappe.db.commit()
	return chat, ticket


def test_a_response_is_filled_for_the_ticket_and_sent_formatted_and_counted(clients, member, replies_go_to_the_listener):
	admin = clients["admin"]
	delete_all("fill")
	body = "Hi <b>{{customer_name}}</b> ({{customer_username}}), #{{ticket_id}} «{{ticket_title}}» — {{agent_name}}"
	response = create(admin, title="Fill", shortcut="/fill", body=body).json()["data"]["name"]
	chat, ticket = customer_ticket()

	filled = member.call("tg_tickets.api.replies.fill_response", http="GET", ticket=ticket.name, response=response)
	assert filled.ok, filled.text
	filled = filled.json()["message"]
	text = f"Hi <b>Nora &amp; Sons &lt;3</b> (@nora_n), #{ticket.name} «Refund for order 42» — Member"
	assert (filled["text"], filled["missing"]) == (text, [])
	preview = member.call("tg_tickets.api.replies.preview", text=text).json()["message"]
	plain = f"Hi Nora & Sons <3 (@nora_n), #{ticket.name} «Refund for order 42» — Member"
	assert preview == {"text": plain, "entities": [{"kind": "bold", "offset": 3, "length": 14}], "error": None, "unfilled": []}

	for _ in range(2):
		sent = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message=text, formatted=1,
			canned_responses=json.dumps([response]))
		assert sent.ok, sent.text
	frappe.db.rollback()
	rows = frappe.get_all("Telegram Message", filters={"ticket": ticket.name, "direction": "Outgoing"},
		fields=["text", "payload"], order_by="creation")
	assert [r.text for r in rows] == [plain, plain]
	assert json.loads(rows[0].payload)["entities"] == [{"kind": "bold", "offset": 3, "length": 14}]
	usage = frappe.get_all("Canned Response Usage", filters={"response": response}, fields=["agent", "day", "uses"])
	assert [(u.agent, str(u.day), u.uses) for u in usage] == [("member@tickets.test", frappe.utils.nowdate(), 2)]

	# what Telegram receives: the plain text with MessageEntityBold, built by Telethon's own request classes
	sender = tg.FakeSender()
	deliver(chat, gateway.TelegramTransport(tg.offline_client(sender)))
	request = sender.accepted[0]
	assert request.message == plain
	assert [(type(e).__name__, e.offset, e.length) for e in request.entities] == [("MessageEntityBold", 3, 14)]


def test_missing_values_stay_as_placeholders_and_block_the_send(clients, member):
	admin = clients["admin"]
	delete_all("miss")
	response = create(admin, title="Missing", shortcut="/miss", body="Hi {{customer_name}}, team {{team}}").json()["data"]["name"]
	uid = tg.user_id()
	chat = make_chat("Nameless", chat_id=uid)
	ticket = make_ticket("No name", chats=[chat])
	frappe.db.set_value("Linked Chat", chat, "title", "")  # the customer never gave a name
	frappe.db.set_value("Ticket", ticket.name, "team", None)
	frappe.db.commit()
	filled = member.call("tg_tickets.api.replies.fill_response", http="GET", ticket=ticket.name, response=response).json()["message"]
	assert filled["text"] == "Hi {{customer_name}}, team {{team}}"
	assert filled["missing"] == ["customer_name", "team"] and filled["labels"]["customer_name"] == "Customer's name"
	refused = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message=filled["text"], formatted=1,
		canned_responses=json.dumps([response]))
	assert refused.status_code == 417 and "Fill or remove the placeholders before sending: {{customer_name}}, {{team}}" in refused.text
	frappe.db.rollback()
	assert not frappe.db.exists("Telegram Message", {"ticket": ticket.name})
	assert not frappe.db.exists("Canned Response Usage", {"response": response})
	# invalid formatting and someone else's personal response are refused too
	bad = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message="<b>x", formatted=1)
	assert bad.status_code == 417 and "not valid Telegram HTML" in bad.text
	personal = create(admin, title="Admin's own", shortcut="/miss-own", scope="Personal", body="x").json()["data"]["name"]
	foreign = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message="x", canned_responses=json.dumps([personal]))
	assert foreign.status_code == 403
	frappe.db.rollback()
	assert not frappe.db.exists("Telegram Message", {"ticket": ticket.name})


def test_the_usage_report_lists_most_and_least_used_and_those_unused_for_90_days(clients):
	admin = clients["admin"]
	delete_all("use")
	names = [create(admin, title=f"Use {i}", shortcut=f"/use{i}", body="x").json()["data"]["name"] for i in range(3)]
	frappe.db.delete("Canned Response Usage", {"response": ("in", names)})
	from tg_tickets.replies import responses

	today = frappe.utils.nowdate()
	for _ in range(3):
		responses.count_uses([names[0]], "a@x.test", today)
	responses.count_uses([names[1]], "a@x.test", today)
	responses.count_uses([names[1]], "b@x.test", today)
	responses.count_uses([names[2]], "a@x.test", frappe.utils.add_days(today, -120))
	frappe.set_user("admin@tickets.test")
	_, rows = reports.response_usage({"from_date": frappe.utils.add_days(today, -200), "to_date": today})
	ours = [(r.response, r.uses, r.agents, r.unused_90_days) for r in rows if r.response in names]
	assert ours == [(names[0], 3, 1, 0), (names[1], 2, 2, 0), (names[2], 1, 1, 1)]
	_, unused = reports.response_usage({"show": "Not used for 90 days"})
	assert names[2] in [r.response for r in unused] and names[0] not in [r.response for r in unused]
	_, least = reports.response_usage({"show": "Least used first"})
	assert [r.response for r in least if r.response in names][0] == names[2]


# --- knowledge base -------------------------------------------------------------------------------------


def article(title, status="Published", category=None, body=None):
	doc = frappe.get_doc({
		"doctype": "Knowledge Base Article", "title": title, "status": status, "category": category,
		"body": body or f"<p>{title}</p>",
	}).insert()
	frappe.db.commit()
	return doc


def test_only_published_articles_have_a_public_page(live_site):
	draft = article("Draft about refunds", "Draft")
	published = article("Published about refunds")
	assert published.route.startswith("articles/published-about-refunds") and not draft.route
	anonymous = requests.Session()
	page = anonymous.get(f"{live_site.url}/{published.route}")
	assert page.status_code == 200 and "Published about refunds" in page.text and "Did this help?" in page.text
	assert anonymous.get(f"{live_site.url}/articles/draft-about-refunds").status_code == 404
	# once published and then archived, the page is gone again
	draft.status = "Published"
	draft.save()
	frappe.db.commit()
	assert anonymous.get(f"{live_site.url}/{draft.route}").status_code == 200
	draft.status = "Archived"
	draft.save()
	frappe.db.commit()
	assert anonymous.get(f"{live_site.url}/{draft.route}").status_code == 404


def test_article_pages_follow_the_tickets_switch(live_site):
	from tests.factories import settings

	doc = article("Published while tickets are off")
	anonymous = requests.Session()
	assert anonymous.get(f"{live_site.url}/{doc.route}").status_code == 200
	with settings(enabled=0):
		assert anonymous.get(f"{live_site.url}/{doc.route}").status_code == 404
		view = anonymous.post(f"{live_site.url}/api/method/tg_tickets.api.articles.record_view", json={"route": doc.route})
		assert view.status_code == 404
	assert anonymous.get(f"{live_site.url}/{doc.route}").status_code == 200
	frappe.db.rollback()
	assert frappe.db.get_value("Knowledge Base Article", doc.name, "views") == 0


def test_views_and_votes_are_counted_once_per_visitor(live_site):
	doc = article("Counting views")
	anonymous = requests.Session()
	post = lambda method, **data: anonymous.post(f"{live_site.url}/api/method/tg_tickets.api.articles.{method}", json=data)
	assert post("record_view", route=doc.route).ok
	assert post("record_view", route=doc.route).ok  # a reload
	assert post("vote", route=doc.route, helpful=1).ok
	assert post("vote", route=doc.route, helpful=0).ok  # a second vote from the same visitor does not count
	assert post("vote", route=doc.route, helpful=7).status_code == 417
	frappe.db.rollback()
	assert frappe.db.get_value("Knowledge Base Article", doc.name, ["views", "helpful_yes", "helpful_no"]) == (1, 1, 0)
	draft = article("Counting a draft", "Draft")
	assert post("record_view", route=f"articles/{frappe.scrub(draft.title).replace('_', '-')}").status_code == 404


def test_suggestions_match_russian_and_english_word_forms_and_the_category(member, live_site):
	frappe.db.delete("Knowledge Base Article Send")
	frappe.db.delete("Knowledge Base Article")
	knowledge_base.rebuild_stem_counts()
	for title, body in [
		("Sugg How refunds work", "A refund goes back to the card."),
		("Sugg Как оформить возврат", "Возврат денег на карту занимает 3–5 дней."),
		("Sugg Reset your password", "Use the forgot password link."),
		("Sugg Delivery times", "Parcels arrive in a week."),
	]:
		article(title, body=f"<p>{body}</p>")
	article("Sugg Refund drafts", "Draft", body="<p>refund refund refund</p>")
	chat, ticket = customer_ticket(title="Деньги не вернули", description="Я жду возврата денег уже неделю, и refunded nothing")

	found = member.call("tg_tickets.api.replies.suggest_articles", http="GET", ticket=ticket.name).json()["message"]
	titles = [a["title"] for a in found if a["title"].startswith("Sugg")]
	assert set(titles[:2]) == {"Sugg How refunds work", "Sugg Как оформить возврат"}
	assert "Sugg Refund drafts" not in titles and len(found) <= 5
	assert found[0]["url"].startswith("http") and "/articles/" in found[0]["url"]
	russian = next(a for a in found if a["title"] == "Sugg Как оформить возврат")
	assert russian["url"].endswith("/articles/sugg-как-оформить-возврат")
	page = requests.get(russian["url"].replace(russian["url"].split("/articles/")[0], live_site.url))  # sent percent-encoded
	assert page.status_code == 200 and "Sugg Как оформить возврат" in page.text
	# a pasted, percent-encoded link to it is recognised as the article
	assert knowledge_base.linked_articles("see " + requests.utils.requote_uri(russian["url"])) == [russian["name"]]
	# what the agent types refines them
	typed = member.call("tg_tickets.api.replies.suggest_articles", http="GET", ticket=ticket.name,
		draft="forgot your passwords?").json()["message"]
	assert typed[0]["title"] == "Sugg Reset your password"
	# the counts suggestions look up words by follow every save and delete
	frequency = knowledge_base.stem_frequency(["refund", "возврат", "password"])
	assert frequency == {"refund": 2, "возврат": 1, "password": 1}  # the draft counts too: it may be published
	frappe.delete_doc("Knowledge Base Article", frappe.db.get_value("Knowledge Base Article", {"title": "Sugg Refund drafts"}))
	assert knowledge_base.stem_frequency(["refund"]) == {"refund": 1}


def test_article_links_and_buttons_are_recorded_and_unpublished_links_refused(clients, member, replies_go_to_the_listener):
	published = article("Linked refunds article")
	draft = article("Linked draft article", "Draft")
	draft.status = "Published"
	draft.save()
	draft.status = "Archived"
	draft.save()
	frappe.db.commit()
	chat, ticket = customer_ticket()
	url = knowledge_base.article_url(published.route)

	refused = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message=f"See {knowledge_base.article_url(draft.route)}")
	assert refused.status_code == 417 and "is Archived, not Published" in refused.text, refused.text[-1500:]
	unknown = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message="See /articles/no-such-article")
	assert unknown.status_code == 417 and "no article" in unknown.text
	button_refused = member.call("tg_tickets.api.replies.send_article_button", ticket=ticket.name, article=draft.name)
	assert button_refused.status_code == 417
	frappe.db.rollback()
	assert not frappe.db.exists("Telegram Message", {"ticket": ticket.name})

	assert member.call("tg_tickets.api.send_reply", ticket=ticket.name, message=f"Please read {url}").ok
	assert member.call("tg_tickets.api.replies.send_article_button", ticket=ticket.name, article=published.name).ok
	frappe.db.rollback()
	sends = frappe.get_all("Knowledge Base Article Send", filters={"ticket": ticket.name}, fields=["article", "how", "agent"],
		order_by="creation")
	assert [(s.article, s.how, s.agent) for s in sends] == [
		(published.name, "Link", "member@tickets.test"), (published.name, "Button", "member@tickets.test")
	]
	listed = member.call("tg_tickets.api.replies.sent_articles", http="GET", ticket=ticket.name).json()["message"]
	assert sorted((a["article"], a["how"]) for a in listed) == [(published.name, "Button"), (published.name, "Link")]
	assert clients["outsider"].call("tg_tickets.api.replies.sent_articles", http="GET", ticket=ticket.name).status_code == 403
	button_row = frappe.get_all("Telegram Message", filters={"ticket": ticket.name, "direction": "Outgoing"},
		fields=["text", "payload"], order_by="creation")[-1]
	assert button_row.text == "Linked refunds article"
	[[button_spec]] = json.loads(button_row.payload)["buttons"]
	# the address the agent's desk is served from (Frappe's get_url), then the article's route
	assert button_spec["text"] == "Open the article" and button_spec["url"].endswith("/" + published.route)

	# Telegram gets a real URL button
	sender = tg.FakeSender()
	deliver(chat, gateway.TelegramTransport(tg.offline_client(sender)))
	[button] = sender.accepted[-1].reply_markup.rows[0].buttons
	assert (type(button.type).__name__, button.text, button.type.url) == ("InlineButtonTypeUrl", "Open the article", button_spec["url"])
	bytes(sender.accepted[-1])  # serialises as Telegram's layer wants it

	# the report: sent twice; the ticket solved afterwards and not reopened → both count; reopened → none
	set_status(ticket.name, "SOLVED")
	assert effect(published.name) == (2, 2, 100.0)
	set_status(ticket.name, "OPEN")
	assert effect(published.name) == (2, 0, 0.0)


def set_status(ticket, status):
	frappe.set_user("Administrator")
	doc = frappe.get_doc("Ticket", ticket)
	doc.status = status
	doc.save()
	frappe.db.commit()


def effect(article):
	frappe.set_user("admin@tickets.test")
	_, rows = reports.article_effect({})
	row = next(r for r in rows if r.article == article)
	return row.sent, row.solved_without_reopen, row.solved_share
