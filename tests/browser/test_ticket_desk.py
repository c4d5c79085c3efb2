"""The agents' desk in a real browser: the ticket table, the side sheet's optimistic edits, the new-ticket
form (from the table and from a chat), sorting, facets and search, per role, against the live test site."""

import re
import uuid

import frappe
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, open_table, screenshot
from tests.factories import make_category_rows_doctype, make_chat, make_ticket, settings

pytestmark = pytest.mark.browser


@pytest.fixture
def tag():
	"""A word unique to one test, searched for so the table shows only that test's tickets."""
	return "tg" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def region_field(tickets_on):
	"""A workspace's own select column on Ticket."""
	if not frappe.db.exists("Custom Field", {"dt": "Ticket", "fieldname": "region"}):
		frappe.get_doc(
			{"doctype": "Custom Field", "dt": "Ticket", "fieldname": "region", "label": "Region",
			 "fieldtype": "Select", "options": "\nEU\nUS\nAPAC", "insert_after": "date"}
		).insert(ignore_permissions=True)
	frappe.db.commit()
	frappe.clear_cache(doctype="Ticket")
	yield "region"


@pytest.fixture(scope="module")
def topics_field(tickets_on):
	"""A workspace's own multiselect on Ticket: a Table MultiSelect over a custom child doctype of categories."""
	make_category_rows_doctype("Ticket Topic Row", ["Billing", "Delivery"])
	if not frappe.db.exists("Custom Field", {"dt": "Ticket", "fieldname": "topics"}):
		frappe.get_doc(
			{"doctype": "Custom Field", "dt": "Ticket", "fieldname": "topics", "label": "Topics",
			 "fieldtype": "Table MultiSelect", "options": "Ticket Topic Row", "insert_after": "date"}
		).insert(ignore_permissions=True)
	frappe.db.commit()
	frappe.clear_cache(doctype="Ticket")
	yield "topics"


def committed(*tickets):
	frappe.db.commit()
	return tickets


def fresh(name, field):
	"""The value as the server has it now (a new transaction sees the web process's commits)."""
	frappe.db.rollback()
	return frappe.db.get_value("Ticket", name, field)


def search(page, text, expected_rows):
	page.fill(".tg-search input", text)
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(expected_rows)


def row(page, name):
	return page.locator(f'.tg-ticket-table .list-row[data-name="{name}"]')


def saved(page, name):
	"""The optimistic edit has been answered by the server."""
	expect(row(page, name)).not_to_have_class(re.compile("tg-pending"))


# --- roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
def test_each_role_logs_in_and_gets_the_ticket_table_with_its_controls(browser, live_site, users, role, tag):
	(ticket,) = committed(make_ticket(f"{tag} role check"))
	page = login(browser, live_site, users[role])
	open_table(page)
	search(page, tag, 1)
	expect(page.locator(".page-actions .primary-action")).to_be_visible()
	expect(row(page, ticket.name).locator(".tg-edit-title")).to_have_count(1)
	expect(page.locator(".tg-ticket-table .tg-head [data-sort-by='status']")).to_be_visible()
	# only admins and owners get the custom-column settings
	page.click(".page-actions .menu-btn-group > button")
	expect(page.locator(".page-actions .dropdown-menu", has_text="Ticket fields (custom columns)")).to_have_count(
		0 if role == "member" else 1
	)
	assert page.errors == []
	page.context.close()


def test_member_without_create_and_edit_rights_sees_no_such_controls(browser, live_site, users, tag):
	(ticket,) = committed(make_ticket(f"{tag} read only for members"))
	with settings(members_can_create_tickets=0, members_can_edit_tickets=0):
		page = login(browser, live_site, users["member"])
		open_table(page)
		search(page, tag, 1)
		expect(page.locator(".page-actions .primary-action")).to_be_hidden()
		expect(row(page, ticket.name).locator(".tg-edit-title")).to_have_count(0)
		row(page, ticket.name).locator(".tg-cell-title .tg-title").click()
		expect(page.locator(".tg-sheet.open input[data-fieldname='title']")).to_be_hidden()
		expect(page.locator(".tg-sheet.open .tg-sheet-field[data-fieldname='title']")).to_contain_text(f"{tag} read only")
		page.context.close()


def test_list_view_settings_apply_to_the_table(browser, live_site, users, tag):
	"""The table honours Frappe's List View Settings for Ticket (here: no count shown)."""
	committed(make_ticket(f"{tag} list view settings"))
	if not frappe.db.exists("List View Settings", "Ticket"):
		frappe.get_doc({"doctype": "List View Settings", "name": "Ticket"}).insert(ignore_permissions=True)
	frappe.db.set_value("List View Settings", "Ticket", "disable_count", 1)
	frappe.db.commit()
	frappe.clear_document_cache("List View Settings", "Ticket")
	try:
		page = login(browser, live_site, users["member"])
		calls = []
		page.on("request", lambda request: calls.append(request.url))
		open_table(page)
		search(page, tag, 1)
		assert [url for url in calls if "get_list_settings" in url]  # Frappe's own request
		assert not [url for url in calls if "reportview.get_count" in url]
		# Changed settings apply from the next page load on, as with Frappe's own request per list view.
		frappe.db.set_value("List View Settings", "Ticket", "disable_count", 0)
		frappe.db.commit()
		frappe.clear_document_cache("List View Settings", "Ticket")
		with page.expect_request(lambda request: "reportview.get_count" in request.url):
			page.reload()
		page.context.close()
	finally:
		frappe.db.set_value("List View Settings", "Ticket", "disable_count", 0)
		frappe.db.commit()
		frappe.clear_document_cache("List View Settings", "Ticket")


# --- creating tickets ------------------------------------------------------------------------------


def fill_new_ticket(dialog, title, chat_query, comment):
	# Frappe focuses the first input once the dialog has finished opening ("shown"); typing before that races
	# its opening (a comment typed at once was seen lost, 1 run in ~4).
	expect(dialog.locator("input[data-fieldname='title']")).to_be_focused()
	dialog.locator("input[data-fieldname='title']").fill(title)
	if chat_query:
		dialog.locator(".tg-chat-search").fill(chat_query)
		dialog.locator(".tg-chat-result").first.click()
	dialog.locator("textarea[data-fieldname='comment']").fill(comment)
	expect(dialog.locator("textarea[data-fieldname='comment']")).to_have_value(comment)
	dialog.locator("button[data-fieldname='stage_comment']").click()
	expect(dialog.locator(".tg-staged-comment")).to_have_count(1)


def test_create_ticket_from_table_with_staged_comment_and_linked_chat(member_page, tag):
	chat = make_chat(f"Bob {tag}", username=f"bob_{tag}")
	frappe.db.commit()
	page = open_table(member_page)
	page.click(".page-actions .primary-action")
	dialog = page.locator(".modal.show.tg-new-ticket")
	fill_new_ticket(dialog, f"{tag} printer jam", f"bob_{tag}", "Called the customer back")
	expect(dialog.locator(".tg-chat-chip")).to_contain_text(f"Bob {tag}")
	expect(dialog.locator("select[data-fieldname='priority']")).to_have_value("MEDIUM")
	expect(dialog.locator("select[data-fieldname='status']")).to_have_value("OPEN")
	dialog.locator(".btn-modal-primary").click()

	created = page.locator(".tg-ticket-table .list-row", has_text=f"{tag} printer jam")
	expect(created).to_be_visible()
	expect(created.locator(".tg-chat-avatar")).to_have_count(1)
	screenshot(page, "ticket_table")
	frappe.db.rollback()
	name = frappe.db.get_value("Ticket", {"title": f"{tag} printer jam"})
	ticket = frappe.get_doc("Ticket", name)
	assert [r.chat for r in ticket.chats] == [chat]
	assert (ticket.priority, ticket.status, ticket.comment_count) == ("MEDIUM", "OPEN", 1)
	assert "Called the customer back" in frappe.db.get_value(
		"Comment", {"reference_doctype": "Ticket", "reference_name": name, "comment_type": "Comment"}, "content"
	)


def attach_in_dialog(page, dialog, fieldname, path):
	"""Frappe's Attach control: its uploader dialog takes the file, Upload sends it (unattached until saved)."""
	dialog.locator(f".frappe-control[data-fieldname='{fieldname}'] .btn-attach").click()
	uploader = page.locator(".modal.show", has=page.locator(".file-upload-area"))
	uploader.locator("input[type='file']").set_input_files(str(path))
	uploader.locator(".btn-modal-primary").click()
	expect(dialog.locator(f".frappe-control[data-fieldname='{fieldname}'] .attached-file-link")).to_contain_text(path.name)


def test_new_ticket_carries_its_files_and_a_too_big_one_changes_nothing(member_page, tag, tmp_path):
	small = [tmp_path / f"{tag}-{i}.txt" for i in range(2)]
	for i, path in enumerate(small):
		path.write_text(f"log {i} of {tag}\n" * 50)
	big = tmp_path / f"{tag}-big.bin"
	# Unique content: Frappe hands back an earlier upload with the same content under its old name.
	big.write_bytes(tag.encode() + b"x" * (5 * 1024 * 1024 + 1 - len(tag)))
	page = open_table(member_page)

	page.click(".page-actions .primary-action")
	dialog = page.locator(".modal.show.tg-new-ticket")
	dialog.locator("input[data-fieldname='title']").fill(f"{tag} with logs")
	attach_in_dialog(page, dialog, "file_1", big)
	dialog.locator(".btn-modal-primary").click()
	# The server's message; the form stays open with what was typed, and nothing was stored.
	error_dialog = page.locator(".modal.show:has(.msgprint)")
	expect(error_dialog.locator(".msgprint")).to_contain_text("5 MB")
	frappe.db.rollback()
	assert not frappe.db.exists("Ticket", {"title": f"{tag} with logs"})
	error_dialog.locator(".btn-modal-close").click()
	expect(error_dialog).to_have_count(0)
	expect(dialog.locator("input[data-fieldname='title']")).to_have_value(f"{tag} with logs")

	dialog.locator(".frappe-control[data-fieldname='file_1'] [data-action='clear_attachment']").click()
	for fieldname, path in zip(["file_1", "file_2"], small):
		attach_in_dialog(page, dialog, fieldname, path)
	dialog.locator(".btn-modal-primary").click()
	created = page.locator(".tg-ticket-table .list-row", has_text=f"{tag} with logs")
	expect(created.locator(".tg-cell-file_count")).to_have_text("2")
	frappe.db.rollback()
	name = frappe.db.get_value("Ticket", {"title": f"{tag} with logs"})
	attached = frappe.get_all("File", {"attached_to_doctype": "Ticket", "attached_to_name": name}, pluck="file_name")
	assert sorted(attached) == sorted(p.name for p in small)
	assert frappe.db.get_value("Ticket", name, "file_count") == 2


def test_create_ticket_from_a_chat_page_is_pre_linked_to_that_chat(member_page, tag):
	chat = make_chat(f"Carol {tag}", username=f"carol_{tag}")
	frappe.db.commit()
	page = member_page
	page.goto(f"/app/linked-chat/{chat}")
	page.click(".tg-create-ticket-from-chat")
	dialog = page.locator(".modal.show.tg-new-ticket")
	expect(dialog.locator(".tg-chat-chip")).to_contain_text(f"Carol {tag}")
	fill_new_ticket(dialog, f"{tag} refund from chat", None, "Customer sent a receipt")
	dialog.locator(".btn-modal-primary").click()

	expect(page.locator(".tg-chat-ticket", has_text=f"{tag} refund from chat")).to_be_visible()
	frappe.db.rollback()
	name = frappe.db.get_value("Ticket", {"title": f"{tag} refund from chat"})
	assert [r.chat for r in frappe.get_doc("Ticket", name).chats] == [chat]
	assert frappe.db.get_value("Linked Chat", chat, "ticket_count") == 1
	# and the ticket's chat avatar leads back to the chat
	page = open_table(page)
	search(page, tag, 1)
	expect(row(page, name).locator(f".tg-chat-avatar[href='/app/linked-chat/{chat}']")).to_have_count(1)


# --- editing -----------------------------------------------------------------------------------------


def test_inline_title_edit_in_the_row(member_page, tag):
	(ticket,) = committed(make_ticket(f"{tag} wifi down"))
	page = open_table(member_page)
	search(page, tag, 1)
	row(page, ticket.name).locator(".tg-edit-title").click()
	title_input = row(page, ticket.name).locator(".tg-title-input")
	title_input.fill(f"{tag} wifi down in building B")
	title_input.press("Enter")
	expect(row(page, ticket.name).locator(".tg-title")).to_have_text(f"{tag} wifi down in building B")
	saved(page, ticket.name)
	assert fresh(ticket.name, "title") == f"{tag} wifi down in building B"


def test_row_chat_avatars_expand_and_click_on_assignee_reassigns(member_page, users, tag):
	chats = [make_chat(f"Chat {i} {tag}") for i in range(5)]
	(ticket,) = committed(make_ticket(f"{tag} group outage", chats=chats))
	page = open_table(member_page)
	search(page, tag, 1)
	cell = row(page, ticket.name).locator(".tg-cell-chats")
	expect(cell.locator(".tg-chat-avatar:visible")).to_have_count(3)
	cell.locator(".tg-more-chats").click()
	expect(cell.locator(".tg-chat-avatar:visible")).to_have_count(5)

	row(page, ticket.name).locator(".tg-assignee").click()
	row(page, ticket.name).locator(".tg-assign-select").select_option(users["admin"])
	expect(row(page, ticket.name).locator(".tg-cell-assigned_to .tg-user")).to_have_count(1)
	saved(page, ticket.name)
	assert fresh(ticket.name, "assigned_to") == users["admin"]


def test_side_sheet_edit_accepted_shows_in_table_and_sheet(member_page, tag):
	(ticket,) = committed(make_ticket(f"{tag} app crash", description="Crashes on start\nAndroid 14"))
	page = open_table(member_page)
	search(page, tag, 1)
	row(page, ticket.name).locator(".tg-cell-title .tg-title").click()
	sheet = page.locator(f".tg-sheet.open[data-name='{ticket.name}']")
	sheet.locator("select[data-fieldname='priority']").select_option("HIGH")
	expect(row(page, ticket.name).locator(".tg-cell-priority")).to_have_text("HIGH")
	saved(page, ticket.name)
	expect(sheet.locator("select[data-fieldname='priority']")).to_have_value("HIGH")
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(1)  # the table stays visible
	screenshot(page, "ticket_side_sheet")
	assert fresh(ticket.name, "priority") == "HIGH"

	sheet.locator("[data-tab='comments']").click()
	sheet.locator(".tg-comment-input").fill("Asked for a crash log")
	sheet.locator(".tg-comment-add").click()
	expect(sheet.locator(".tg-comment")).to_contain_text("Asked for a crash log")
	expect(row(page, ticket.name).locator(".tg-cell-comment_count")).to_contain_text("Asked for a crash log")
	screenshot(page, "ticket_side_sheet_comments")


def test_side_sheet_edit_the_server_rejects_rolls_back_with_its_message(member_page, tag):
	(ticket,) = committed(make_ticket(f"{tag} invoice wrong"))
	page = open_table(member_page)
	search(page, tag, 1)
	row(page, ticket.name).locator(".tg-cell-title .tg-title").click()
	sheet = page.locator(f".tg-sheet.open[data-name='{ticket.name}']")
	title_input = sheet.locator("input[data-fieldname='title']")
	expect(title_input).to_have_value(f"{tag} invoice wrong")

	# Meanwhile the ticket is closed elsewhere, without any event reaching this browser.
	frappe.db.set_value("Ticket", ticket.name, {"status": "CLOSED"}, update_modified=False)
	frappe.db.commit()

	title_input.fill(f"{tag} invoice wrong twice")
	title_input.press("Tab")
	expect(sheet.locator(".tg-sheet-error")).to_contain_text("closed and read-only")
	expect(page.locator(".modal.show .msgprint")).to_contain_text("closed and read-only")
	page.locator(".modal.show .btn-modal-close").click()
	expect(title_input).to_have_value(f"{tag} invoice wrong")
	expect(row(page, ticket.name).locator(".tg-title")).to_have_text(f"{tag} invoice wrong")
	expect(row(page, ticket.name)).to_have_class(re.compile("tg-rolled-back"))
	# the sheet now shows the ticket as it is: closed, read-only except its status
	expect(sheet.locator(".tg-sheet-closed-note")).to_be_visible()
	expect(sheet.locator("select[data-fieldname='status']")).to_have_value("CLOSED")
	expect(sheet.locator("input[data-fieldname='title']")).to_be_hidden()
	screenshot(page, "ticket_side_sheet_rolled_back")
	assert fresh(ticket.name, "title") == f"{tag} invoice wrong"


def test_change_by_another_agent_appears_in_open_table_and_sheet(member_page, users, tag):
	(ticket,) = committed(make_ticket(f"{tag} late codes"))
	page = open_table(member_page)
	search(page, tag, 1)
	row(page, ticket.name).locator(".tg-cell-title .tg-title").click()
	sheet = page.locator(f".tg-sheet.open[data-name='{ticket.name}']")
	expect(sheet.locator("select[data-fieldname='status']")).to_have_value("OPEN")

	frappe.set_user(users["admin"])
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.status = "PENDING"
	doc.save()
	frappe.db.commit()
	frappe.set_user("Administrator")

	expect(sheet.locator("select[data-fieldname='status']")).to_have_value("PENDING")
	expect(row(page, ticket.name).locator(".tg-cell-status")).to_have_text("PENDING")


# --- sorting, facets, search -----------------------------------------------------------------------


def test_sort_by_status_header_uses_natural_order(member_page, tag):
	statuses = ["SOLVED", "NEW", "BLOCKED", "OPEN", "CLOSED", "PENDING"]
	for status in statuses:
		ticket = make_ticket(f"{tag} {status.lower()}", status="OPEN" if status == "CLOSED" else status)
		if status == "CLOSED":
			ticket.status = "CLOSED"
			ticket.save()
	frappe.db.commit()
	page = open_table(member_page)
	search(page, tag, 6)
	natural = ["NEW", "OPEN", "PENDING", "BLOCKED", "SOLVED", "CLOSED"]
	page.click(".tg-ticket-table .tg-head [data-sort-by='status']")
	expect(page.locator(".tg-ticket-table .list-row .tg-cell-status")).to_have_text(natural)
	page.click(".tg-ticket-table .tg-head [data-sort-by='status']")
	expect(page.locator(".tg-ticket-table .list-row .tg-cell-status")).to_have_text(list(reversed(natural)))


def open_facet(page, fieldname):
	page.click(f".tg-facet[data-facet='{fieldname}'] > button")
	return page.locator(f".tg-facet[data-facet='{fieldname}'] .tg-facet-menu")


def test_filter_by_sla_state_facet(member_page, tag):
	tickets = [make_ticket(f"{tag} sla {i}") for i in range(4)]
	for ticket, state in zip(tickets, ["BREACHED", "BREACHED", "ON_TRACK", None]):
		frappe.db.set_value("Ticket", ticket.name, "sla_state", state, update_modified=False)
	frappe.db.commit()
	page = open_table(member_page)
	search(page, tag, 4)
	menu = open_facet(page, "sla_state")
	breached = menu.locator(".tg-facet-value[data-value='BREACHED']")
	expect(breached.locator(".tg-facet-count")).to_have_text("2")
	breached.click()
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(2)
	expect(page.locator(".tg-ticket-table .list-row .tg-sla")).to_have_count(2)
	for badge in page.locator(".tg-ticket-table .list-row .tg-sla").all():
		expect(badge).to_have_attribute("data-sla-state", "BREACHED")
	assert {n for n in page.locator(".tg-ticket-table .list-row[data-name]").evaluate_all("rows => rows.map(r => r.dataset.name)")} == {
		tickets[0].name, tickets[1].name}


def test_filter_by_custom_select_field_facet(browser, live_site, users, region_field, tag):
	tickets = [make_ticket(f"{tag} region {r}", region=r) for r in ("EU", "US", "EU")]
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	open_table(page)
	search(page, tag, 3)
	expect(page.locator(".tg-ticket-table .tg-head [data-sort-by='region']")).to_have_text(re.compile("Region"))
	menu = open_facet(page, "region")
	expect(menu.locator(".tg-facet-value[data-value='EU'] .tg-facet-count")).to_have_text("2")
	menu.locator(".tg-facet-value[data-value='EU']").click()
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(2)
	expect(page.locator(".tg-ticket-table .list-row .tg-cell-region")).to_have_text(["EU", "EU"])
	expect(page.locator(f".tg-ticket-table .list-row[data-name='{tickets[1].name}']")).to_have_count(0)
	page.context.close()


def test_filter_by_custom_multiselect_field_facet(browser, live_site, users, topics_field, tag):
	both = make_ticket(f"{tag} both", topics=[{"category": "Billing"}, {"category": "Delivery"}])
	billing = make_ticket(f"{tag} billing", topics=[{"category": "Billing"}])
	make_ticket(f"{tag} delivery", topics=[{"category": "Delivery"}])
	make_ticket(f"{tag} none")
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	open_table(page)
	search(page, tag, 4)
	menu = open_facet(page, "topics")
	expect(menu.locator(".tg-facet-value[data-value='Billing'] .tg-facet-count")).to_have_text("2")
	expect(menu.locator(".tg-facet-value[data-value='Delivery'] .tg-facet-count")).to_have_text("2")
	menu.locator(".tg-facet-value[data-value='Billing']").click()
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(2)
	names = page.locator(".tg-ticket-table .list-row[data-name]").evaluate_all("rows => rows.map(r => r.dataset.name)")
	assert set(names) == {both.name, billing.name}
	expect(page.locator(".tg-facet[data-facet='topics'] > button")).to_contain_text("Billing")
	# The facet is one filter on the child table's link, beside the search (a standard filter of the list).
	assert [f[:4] for f in page.evaluate("() => cur_list.filter_area.get()")] == [
		["Ticket Topic Row", "category", "=", "Billing"], ["Ticket", "_search", "like", f"%{tag}%"]]
	# Clearing the facet brings every ticket of the search back.
	page.click(".tg-facet[data-facet='topics'] .tg-facet-clear")
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(4)
	assert page.errors == []
	page.context.close()


def test_search_matches_title_and_description(member_page, tag):
	in_title = make_ticket(f"Router {tag} broken")
	in_description = make_ticket("Other problem", description=f"The {tag} happens nightly")
	make_ticket(f"Unrelated {uuid.uuid4().hex[:6]}")
	frappe.db.commit()
	page = open_table(member_page)
	search(page, tag, 2)
	names = page.locator(".tg-ticket-table .list-row[data-name]").evaluate_all("rows => rows.map(r => r.dataset.name)")
	assert set(names) == {in_title.name, in_description.name}
	# The search is in the page's link: reloading (or sharing) it shows the same search and rows.
	page.reload()
	expect(page.locator(".tg-search input")).to_have_value(tag)
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(2)
	shown = page.locator(".tg-ticket-table .list-row[data-name]").evaluate_all("rows => rows.map(r => r.dataset.name)")
	assert set(shown) == {in_title.name, in_description.name}
