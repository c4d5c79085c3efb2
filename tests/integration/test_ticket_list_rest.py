"""The desk's list query (frappe.desk.reportview.get) as a Tickets Member over REST: natural order,
text search, linked-chat and custom-field filters, all under the permission rules."""

import json
import uuid

import frappe
import pytest

from tests.factories import make_category_rows_doctype, make_chat, make_ticket, remove_tickets, settings
from tg_tickets.tickets.fields import PRIORITIES, STATUSES
from tg_tickets.tickets.search import PAGE






@pytest.fixture(scope="module")
def tag():
	"""A word unique to this module run, so queries see only the tickets made here."""
	return "tag" + uuid.uuid4().hex[:8]


def rows(client, **params):
	params.setdefault("fields", ["name", "status", "priority", "title"])
	response = client.call("frappe.desk.reportview.get", doctype="Ticket", **params)
	assert response.ok, response.text
	message = response.json()["message"]
	return [dict(zip(message["keys"], values)) for values in message["values"]] if message else []


@pytest.fixture(scope="module")
def tickets(tag):
	with settings(enabled=1):
		made = []
		for status in reversed(STATUSES):
			for priority in PRIORITIES:
				made.append(make_ticket(f"{tag} {status} {priority}", status=status if status != "CLOSED" else "OPEN", priority=priority))
		for t in made:
			if t.title.split()[1] == "CLOSED":
				t.status = "CLOSED"
				t.save()
		frappe.db.commit()
	return made


def test_default_order_is_newest_first(member, tickets, tag):
	with settings(enabled=1):
		names = [r["name"] for r in rows(member, filters=[["Ticket", "title", "like", f"{tag}%"]], page_length=100)]
	expected = [t.name for t in sorted(tickets, key=lambda t: t.creation, reverse=True)]
	assert names == expected


@pytest.mark.parametrize("column, order", [("status", STATUSES), ("priority", PRIORITIES)])
def test_status_and_priority_sort_in_natural_order(member, tickets, tag, column, order):
	with settings(enabled=1):
		ascending = rows(member, filters=[["Ticket", "title", "like", f"{tag}%"]], order_by=f"`tabTicket`.`{column}` asc", page_length=100)
		descending = rows(member, filters=[["Ticket", "title", "like", f"{tag}%"]], order_by=f"{column} desc", page_length=100)
	rank = {value: i for i, value in enumerate(order)}
	assert [rank[r[column]] for r in ascending] == sorted(rank[r[column]] for r in ascending)
	assert [rank[r[column]] for r in descending] == sorted((rank[r[column]] for r in descending), reverse=True)
	assert {r[column] for r in ascending} == set(order)


def test_text_search_finds_rare_words_in_title_and_description(member):
	word = "rare" + uuid.uuid4().hex[:8]
	with settings(enabled=1):
		in_title = make_ticket(f"Router {word} broken")
		in_description = make_ticket("Other", description=f"The {word} happens nightly")
		make_ticket("Unrelated ticket")
		frappe.db.commit()
		found = {r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", word]])}
		count = member.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=[["Ticket", "_search", "like", word]])
	assert found == {in_title.name, in_description.name}
	assert count.json()["message"] == 2


def test_text_search_of_a_common_word_walks_the_newest_rows_and_matches_whole_word_starts(member):
	word = "common" + uuid.uuid4().hex[:6]
	with settings(enabled=1):
		made = [make_ticket(f"{word} issue {i}") for i in range(PAGE + 5)]
		inside_a_word = make_ticket(f"x{word} should not match")
		frappe.db.commit()
		found = [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", word]], page_length=20)]
		# both ways of matching agree: same first page through the FULLTEXT-backed count path
		count = member.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=[["Ticket", "_search", "like", word]])
	assert found == [t.name for t in reversed(made)][:20]
	assert inside_a_word.name not in found
	assert count.json()["message"] == len(made)


def test_words_that_rarely_meet_are_found_together_by_both_plans(member):
	from tg_tickets.tickets import search

	common, rare = "often" + uuid.uuid4().hex[:6], "seldom" + uuid.uuid4().hex[:6]
	with settings(enabled=1):
		both = make_ticket(f"{rare} and {common}")
		make_ticket(f"{rare} alone")
		for i in range(PAGE + 5):
			make_ticket(f"{common} issue {i}")
		frappe.db.commit()
		found = [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", f"{common} {rare}"]])]
		count = member.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=[["Ticket", "_search", "like", f"{common} {rare}"]])
		# The planner may walk or look the rarer word up; either way of answering finds the same ticket.
		walked = [r[0] for r in frappe.db.sql(f"select name from `tabTicket` where {search.regexp_condition([common, rare])}")]
		looked_up = [r[0] for r in frappe.db.sql(
			f"select name from `tabTicket` where {search.fulltext_condition([rare])} and {search.regexp_condition([common])}"
		)]
	assert found == [both.name]
	assert count.json()["message"] == 1
	assert walked == looked_up == [both.name]


def test_search_combines_with_filters_and_honours_permissions(member, outsider):
	word = "perm" + uuid.uuid4().hex[:8]
	with settings(enabled=1):
		high = make_ticket(f"{word} one", priority="HIGH")
		make_ticket(f"{word} two", priority="LOW")
		frappe.db.commit()
		found = [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", word], ["Ticket", "priority", "=", "HIGH"]])]
		assert found == [high.name]
		hidden = outsider.call("frappe.desk.reportview.get", doctype="Ticket", fields=["name"], filters=[["Ticket", "_search", "like", word]])
		assert not hidden.ok or not (hidden.json().get("message") or {}).get("values")
	with settings(enabled=0):
		assert rows(member, filters=[["Ticket", "_search", "like", word]]) == []


def test_newest_first_search_walks_the_search_table_and_grows_past_selective_filters(member):
	from tg_tickets.tickets.search import Search

	word = "walk" + uuid.uuid4().hex[:8]
	with settings(enabled=1):
		made = [make_ticket(f"{word} case {i}", priority="HIGH" if i < 2 else "LOW") for i in range(PAGE + 25)]
		frappe.db.commit()
		assert Search(word, newest_first=True).walks_search_table
		# only the two oldest matches are HIGH: the first batch of newest matches holds neither
		high = [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", word], ["Ticket", "priority", "=", "HIGH"]])]
		second_page = [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", word]], start=PAGE, page_length=PAGE)]
		by_title = [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", word]], order_by="`tabTicket`.`title` asc", page_length=100)]
	newest_first = [t.name for t in reversed(made)]
	assert high == newest_first[-2:]
	assert second_page == newest_first[PAGE : 2 * PAGE]
	assert sorted(by_title) == sorted(newest_first)  # other orders answer through the Ticket condition


def test_search_follows_title_edits_and_deletions(member):
	old, new = "before" + uuid.uuid4().hex[:8], "after" + uuid.uuid4().hex[:8]
	with settings(enabled=1):
		ticket = make_ticket(f"Printer {old}", description="Toner EMPTY")
		gone = make_ticket(f"Printer {old} duplicate")
		frappe.db.commit()
		assert {r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", old]])} == {ticket.name, gone.name}
		ticket.title = f"Printer {new}"
		ticket.save()
		frappe.delete_doc("Ticket", gone.name)
		frappe.db.commit()
		assert rows(member, filters=[["Ticket", "_search", "like", old]]) == []
		assert [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", new]])] == [ticket.name]
		# the description is searched case-insensitively like the title
		assert ticket.name in [r["name"] for r in rows(member, filters=[["Ticket", "_search", "like", "toner empty"]])]


def test_the_word_table_finds_the_newest_matches_the_walk_finds_and_follows_edits(member, monkeypatch):
	"""A newest-first page read through the rarest word's rows in the word table: the same tickets in the same
	order as walking the search table (word starts only, title or description, any case), paged, after edits;
	each word starting with the rare one read in order, or all of them as one sorted range."""
	from tg_tickets.tickets import search
	from tg_tickets.tickets.search import Plan, Search

	common, rare = "often" + uuid.uuid4().hex[:6], "seldom" + uuid.uuid4().hex[:6]
	with settings(enabled=1):
		both = [make_ticket(f"{rare} and {common} {i}") for i in range(3)]
		longer = make_ticket(f"{rare}s with {common}")
		make_ticket(f"x{rare} {common}")  # inside a word: no match
		make_ticket(f"{rare} alone")
		described = make_ticket("Other", description=f"The {common.upper()} and {rare.upper()} again")
		gains_the_word = make_ticket(f"{common} later")
		for i in range(5):
			make_ticket(f"{common} {i}")
		frappe.db.commit()

		def newest(plan, limit=50, older_than=None):
			search = Search(f"{common} {rare}", newest_first=True)
			search.plan = plan
			return search.newest_matches(limit, older_than=older_than)

		walked = newest(Plan(walk=True))
		looked_up = newest(Plan(walk=False, word_table_word=rare))
		assert [name for _, name in walked] == [described.name, longer.name] + [t.name for t in reversed(both)]
		assert looked_up == walked
		with monkeypatch.context() as patched:
			patched.setattr(search, "WORD_FORMS", 1)  # "{rare}" and "{rare}s": more forms than read one by one
			assert newest(Plan(walk=False, word_table_word=rare)) == walked
		assert newest(Plan(walk=False, word_table_word=rare), 2, older_than=looked_up[1]) == looked_up[2:4]
		both[0].title = f"{common} only now"
		both[0].save()
		gains_the_word.description = f"now {rare.upper()}"
		gains_the_word.save()
		frappe.delete_doc("Ticket", both[1].name)
		frappe.db.commit()
		after = [name for _, name in newest(Plan(walk=False, word_table_word=rare))]
	assert after == [gains_the_word.name, described.name, longer.name, both[2].name]


def test_a_density_probe_is_reused_while_it_lives_even_after_a_miss_in_the_same_process():
	from tg_tickets.tickets.search import DENSITY_CACHE_SECONDS, probe_key, probe_newest

	word = "probe" + uuid.uuid4().hex[:8]
	make_ticket(f"{word} one")
	first = probe_newest([word])  # a cache miss: computed and stored for a few minutes
	make_ticket(f"{word} two")
	assert probe_newest([word]) == first
	# It lives in Redis with a lifetime; once that is over, the next search probes again.
	key = frappe.cache.make_key(probe_key([word]))
	assert 0 < frappe.cache.ttl(key) <= DENSITY_CACHE_SECONDS
	frappe.cache.expire(key, 0)
	assert (first.together, probe_newest([word]).together) == (1, 2)
	frappe.db.rollback()


def test_an_emptied_search_table_is_refilled_on_migrate():
	from tg_tickets.install import after_migrate
	from tg_tickets.tickets.search import SEARCH_TABLE, WORD_TABLE

	suffix = "x" + uuid.uuid4().hex[:8]
	ticket = make_ticket("Refill " + suffix)
	frappe.db.commit()
	frappe.db.sql_ddl(f"truncate `{SEARCH_TABLE}`")
	frappe.db.sql_ddl(f"truncate `{WORD_TABLE}`")
	after_migrate()
	frappe.db.commit()
	count = frappe.db.sql(f"select count(*) from `{SEARCH_TABLE}`")[0][0]
	assert count == frappe.db.count("Ticket")
	body = frappe.db.sql(f"select body from `{SEARCH_TABLE}` where ticket = %s", ticket.name)[0][0]
	assert body.strip() == ticket.title.lower()
	words = frappe.db.sql_list(f"select word from `{WORD_TABLE}` where ticket = %s order by word", ticket.name)
	assert words == ["refill", suffix]


def test_filter_by_linked_chat(member):
	with settings(enabled=1):
		chat, other = make_chat("Filter chat"), make_chat("Other chat")
		linked = [make_ticket("linked a", chats=[chat]), make_ticket("linked b", chats=[chat, other])]
		make_ticket("not linked", chats=[other])
		frappe.db.commit()
		found = {r["name"] for r in rows(member, filters=[["Ticket Chat", "chat", "=", chat]])}
	assert found == {t.name for t in linked}


MULTISELECT_ROW = "Ticket Also About"


@pytest.fixture
def custom_fields():
	"""Select, multiselect-ish (Table MultiSelect is covered by chats) and checkbox fields added as an admin would."""
	# A multiselect in Frappe v15 is a Table MultiSelect over a child doctype, which an admin creates
	# as a custom doctype: here rows linking Ticket Categories ("also about").
	make_category_rows_doctype(MULTISELECT_ROW, ["Phone", "Telegram"])
	created = []
	for fieldname, fieldtype, options in (
		("custom_region", "Select", "EU\nUS\nAPAC"),
		("custom_vip", "Check", None),
		("custom_also_about", "Table MultiSelect", MULTISELECT_ROW),
	):
		if not frappe.db.exists("Custom Field", f"Ticket-{fieldname}"):
			frappe.get_doc({"doctype": "Custom Field", "dt": "Ticket", "fieldname": fieldname, "label": fieldname[7:].upper(),
				"fieldtype": fieldtype, "options": options, "insert_after": "priority", "in_standard_filter": 1,
				"in_list_view": int(fieldtype != "Table MultiSelect")}).insert(ignore_permissions=True)
		created.append(f"Ticket-{fieldname}")
	frappe.db.commit()
	yield
	for name in created:
		frappe.delete_doc("Custom Field", name, ignore_permissions=True)
	frappe.db.commit()


def test_custom_select_and_checkbox_fields_filter_and_show_as_columns(member, custom_fields):
	run = uuid.uuid4().hex[:8]
	with settings(enabled=1):
		eu_vip = make_ticket(f"eu vip {run}", custom_region="EU", custom_vip=1)
		make_ticket(f"eu {run}", custom_region="EU", custom_vip=0)
		make_ticket(f"us {run}", custom_region="US", custom_vip=1)
		frappe.db.commit()
		found = rows(member, fields=["name", "custom_region", "custom_vip"],
			filters=[["Ticket", "title", "like", f"%{run}"], ["Ticket", "custom_region", "=", "EU"], ["Ticket", "custom_vip", "=", 1]])
		counts = member.call("frappe.desk.listview.get_group_by_count", doctype="Ticket",
			current_filters="[]", field="custom_region").json()["message"]
	assert [r["name"] for r in found] == [eu_vip.name]
	assert found[0]["custom_region"] == "EU"
	assert any(c["name"] == "EU" and c["count"] >= 2 for c in counts)


def test_custom_multiselect_field_filters(member, custom_fields):
	run = uuid.uuid4().hex[:8]
	with settings(enabled=1):
		both = make_ticket(f"both {run}", custom_also_about=[{"category": "Phone"}, {"category": "Telegram"}])
		make_ticket(f"phone {run}", custom_also_about=[{"category": "Phone"}])
		frappe.db.commit()
		found = rows(member, filters=[["Ticket", "title", "like", f"%{run}"], [MULTISELECT_ROW, "category", "=", "Telegram"]])
		# The facet counts of a multiselect: tickets per value, through the child table.
		counts = member.call("frappe.desk.listview.get_group_by_count", doctype="Ticket",
			current_filters=json.dumps([["Ticket", "title", "like", f"%{run}"]]), field="custom_also_about").json()["message"]
	assert [r["name"] for r in found] == [both.name]
	assert {c["name"]: c["count"] for c in counts} == {"Phone": 2, "Telegram": 1}


def test_a_status_or_assignee_filter_drives_the_newest_first_walk_and_equals_the_plain_query(member, users):
	"""Search + equality filters walked through (status[, assignee], creation) indexes: same rows, order and
	count as the plain query over the Ticket condition, paged."""
	from tg_tickets.tickets.search import Plan, Search, driving_index, regexp_condition

	word = "drive" + uuid.uuid4().hex[:8]
	statuses = ["OPEN", "PENDING", "OPEN", "NEW", "BLOCKED", "SOLVED"]
	with settings(enabled=1):
		made = []
		for i in range(3 * PAGE):
			made.append(make_ticket(f"{word} {i}", status=statuses[i % len(statuses)]).name)
			if i % 4:  # set in the row: routing's capacity checks are not what this test is about
				frappe.db.set_value("Ticket", made[-1], "assigned_to", users["member"], update_modified=False)
		made.append(make_ticket(f"x{word} inside a word", status="OPEN").name)
		frappe.db.commit()
		for equal in ({"status": "OPEN"}, {"status": "OPEN", "assigned_to": users["member"]}, {"assigned_to": users["member"]}):
			assert driving_index(equal) and Search(word, newest_first=True, equal=equal).walks_search_table
			filters = [["Ticket", "_search", "like", word]] + [["Ticket", column, "=", value] for column, value in equal.items()]
			where = " and ".join([regexp_condition([word])] + [f"{column} = {frappe.db.escape(value)}" for column, value in equal.items()])
			everything = [r[0] for r in frappe.db.sql(f"select name from `tabTicket` where {where} order by creation desc")]
			assert len(everything) > 5
			for start, page_length in ((0, PAGE), (0, 3), (4, 5), (len(everything) - 2, PAGE)):
				got = [r["name"] for r in rows(member, filters=filters, start=start, page_length=page_length,
					order_by="`tabTicket`.`creation` desc")]
				assert got == everything[start : start + page_length], (equal, start, page_length)
			count = member.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=filters).json()["message"]
			assert count == len(everything)
			# the word table's plan tests the same filters on their index entries
			through_words = Search(word, newest_first=True, equal=equal)
			through_words.plan = Plan(walk=False, word_table_word=word)
			assert [name for _, name in through_words.newest_matches(len(everything) + 5)] == everything, equal
	remove_tickets(made, [users["member"]])
