// The ticket table: Frappe's list view for Ticket, turned into the agents' table. Columns (ID, chats,
// inline-editable title, badges, assignee, created/closed, counters, description, SLA, custom fields),
// sortable headers (status/priority sort naturally on the server), a text search and facets, a click
// on a row opens the side sheet. Frappe keeps paging, filters, counts and realtime row refreshes.
import { badges } from "./format";
import { ticket_store } from "./ticket_store";
import { server } from "./server";
import { FacetBar } from "./facets";
import { custom_fields } from "./ticket_fields";

const esc = badges.esc;
// The search pseudo filter the server's list endpoints answer (tg_tickets/overrides/reportview.py).
const SEARCH_FIELD = "_search";

// Fields a row needs besides the list view's own (tickets/fields.py ROW_FIELDS, shipped in boot), and
// the custom fields the table shows as columns. Frappe fetches those the Ticket has (listview_settings.add_fields).
function server_row_fields() {
	return (frappe.boot.tg_tickets && frappe.boot.tg_tickets.row_fields) || [];
}

export function row_fields() {
	return server_row_fields().concat(table_custom_fields().map((df) => df.fieldname));
}

function table_custom_fields() {
	return custom_fields().filter((df) => !frappe.model.table_fields.includes(df.fieldtype));
}

function has_field(fieldname) {
	return frappe.get_meta("Ticket").fields.some((df) => df.fieldname === fieldname);
}

function ticket_columns() {
	const columns = [
		{ key: "name", label: __("Ticket ID"), sort_by: "name", width: "92px", render: (d) => badges.ticket_id(d.name) },
		{ key: "chats", label: __("Chats"), width: "128px", render: (d, table) => table.chats_html(d) },
		{ key: "title", label: __("Title"), sort_by: "title", width: "280px", render: (d, table) => table.title_html(d) },
		{ key: "status", label: __("Status"), sort_by: "status", width: "100px", render: (d) => badges.status(d.status) },
		{ key: "priority", label: __("Priority"), sort_by: "priority", width: "88px", render: (d) => badges.priority(d.priority) },
		{ key: "assigned_to", label: __("Assign to"), sort_by: "assigned_to", width: "84px", render: (d, table) => table.assignee_html(d) },
		{ key: "creation", label: __("Created"), sort_by: "creation", width: "150px", render: (d) => badges.when_by(d.creation, d.owner) },
		{ key: "closed_at", label: __("Closed"), sort_by: "closed_at", width: "150px", render: (d) => badges.when_by(d.closed_at, d.closed_by) },
		{ key: "date", label: __("Date"), sort_by: "date", width: "96px", render: (d) => (d.date ? esc(frappe.datetime.str_to_user(d.date)) : "—") },
		{ key: "file_count", label: __("Files"), sort_by: "file_count", width: "56px", render: (d) => `<span class="tg-count">${d.file_count || 0}</span>` },
		{
			key: "comment_count", label: __("Comments"), sort_by: "comment_count", width: "200px",
			render: (d) => `<span class="tg-count">${d.comment_count || 0}</span> ${d.last_comment ? badges.lines(d.last_comment, 60) : ""}`,
		},
		{ key: "description", label: __("Description"), width: "220px", render: (d) => badges.lines(d.description, 90) },
	];
	if (has_field("sla_state")) {
		columns.push({ key: "sla_state", label: __("SLA"), sort_by: "next_sla_event_at", width: "150px", render: (d) => badges.sla(d) });
	}
	table_custom_fields().forEach((df) =>
		columns.push({
			key: df.fieldname,
			label: __(df.label),
			sort_by: df.fieldname,
			width: "120px",
			render: (d) => `<span class="ellipsis">${frappe.format(d[df.fieldname], df, { inline: true }, d)}</span>`,
		})
	);
	return columns;
}

// The table drawn over Frappe's list view. Frappe keeps everything that makes it a list: paging, filters,
// sort (the header cells carry its `data-sort-by`), counts, checkboxes and bulk actions, realtime row
// refreshes. Each time Frappe has drawn its rows for `listview.data` (a refresh, a realtime update, a column
// change), the table draws the same rows with its own columns. Only the list settings' documented hooks
// (onload, refresh) and the list's public state are used; no method of the list view is replaced.
class TicketTable {
	constructor(listview) {
		this.list = listview;
		this.chats = {}; // ticket -> linked chats (list_extras), loaded after the rows
		this.row_state = {}; // ticket -> {pending} or {error}: optimistic edits in flight or rolled back
		this.loads = 0; // rows loaded (the refresh hook's calls)
		this.columns = ticket_columns();
		// Fixed widths: every row is its own grid, so only fixed tracks line the cells up.
		this.grid = ["28px"].concat(this.columns.map((c) => c.width)).join(" ");
		this.observer = new MutationObserver(() => this.draw_if_frappe_drew());
		this.observer.observe(listview.$result[0], { childList: true });
		this.draw_if_frappe_drew();
	}

	// Frappe's rows and header are the ones without our class: replace them (a microtask after Frappe drew
	// them, so they are never painted).
	draw_if_frappe_drew() {
		const $result = this.list.$result;
		if ($result.children(".list-row-head:not(.tg-head)").length) this.draw_header();
		if ($result.children(".list-row-container:not(.tg-row-container)").length) this.draw_rows();
	}

	draw_header() {
		this.list.$result.children(".list-row-head").remove();
		this.list.$result.prepend(this.header_html());
	}

	draw_rows() {
		const $result = this.list.$result;
		const checked = new Set($result.find(".list-row-checkbox:checked").map((i, el) => el.dataset.name).get());
		$result.children(".list-row-container").remove();
		$result.append((this.list.data || []).map((doc) => this.row_html(doc, checked.has(doc.name))).join(""));
		this.load_extras();
	}

	header_html() {
		const sort = this.list.sort_selector || {};
		const cells = this.columns
			.map((c) => {
				const sorted = c.sort_by && sort.sort_by === c.sort_by;
				const arrow = sorted ? (sort.sort_order === "asc" ? " ↑" : " ↓") : "";
				const attrs = c.sort_by ? `data-sort-by="${c.sort_by}" title="${__("Click to sort by {0}", [c.label])}"` : "";
				return `<div class="tg-cell tg-head-${c.key} ${c.sort_by ? "tg-sortable" : ""} ${sorted ? "tg-sorted" : ""}" ${attrs}>
					${esc(c.label)}<span class="tg-sort-arrow">${arrow}</span></div>`;
			})
			.join("");
		return `<header class="list-row-head tg-row tg-head" style="grid-template-columns: ${this.grid}">
			<div class="tg-cell"><input class="list-check-all" type="checkbox" title="${__("Select All")}"></div>
			${cells}<span class="list-count hidden"></span></header>`;
	}

	row_html(doc, checked = false) {
		const cells = this.columns
			.map((c) => `<div class="tg-cell tg-cell-${c.key}" data-column="${c.key}">${c.render(doc, this)}</div>`)
			.join("");
		const state = this.row_state[doc.name] || {};
		const classes = [
			doc.status === "CLOSED" ? "tg-row-closed" : "",
			state.pending ? "tg-pending" : "",
			state.error ? "tg-rolled-back" : "",
		].join(" ");
		return `<div class="list-row-container tg-row-container" data-name="${esc(doc.name)}" tabindex="1">
			<div class="list-row tg-row ${classes}" data-name="${esc(doc.name)}" style="grid-template-columns: ${this.grid}"
				${state.error ? `title="${esc(state.error)}"` : ""}>
				<div class="tg-cell"><input class="list-row-checkbox" type="checkbox" data-name="${esc(doc.name)}" ${checked ? "checked" : ""}></div>
				${cells}
			</div></div>`;
	}

	// --- cells -----------------------------------------------------------------------------------

	chats_html(doc) {
		const chats = this.chats[doc.name];
		return chats ? badges.chats(chats) : `<span class="text-muted tg-chats-loading">…</span>`;
	}

	title_html(doc) {
		const editable = tg_tickets.actions().write && doc.status !== "CLOSED";
		return `<span class="tg-title ellipsis" title="${esc(doc.title)}">${esc(doc.title)}</span>${
			editable ? `<button class="btn btn-xs tg-edit-title" data-action="edit-title" title="${__("Edit title")}">✎</button>` : ""
		}`;
	}

	assignee_html(doc) {
		const editable = tg_tickets.actions().write && doc.status !== "CLOSED";
		const claim = tg_tickets.routing.can_claim(doc)
			? `<button class="btn btn-xs btn-default tg-claim" data-action="claim" title="${__("Take this ticket")}">${__("Claim")}</button>`
			: "";
		return claim + `<span class="tg-assignee ${editable ? "tg-assignee-editable" : ""}"
			${editable ? `data-action="reassign" title="${__("Click to reassign")}"` : ""}>${badges.user(doc.assigned_to)}</span>`;
	}

	// --- behaviour --------------------------------------------------------------------------------

	doc(name) {
		return (this.list.data || []).find((d) => d.name === name);
	}

	load_extras() {
		const names = (this.list.data || []).map((d) => d.name).filter((n) => !(n in this.chats));
		if (!names.length) return;
		server.call("tg_tickets.api.ticket.list_extras", { names: JSON.stringify(names) }).then((extras) => {
			Object.assign(this.chats, extras.chats);
			names.forEach((name) => {
				const doc = this.doc(name);
				if (doc) this.row_cell(name, "chats").html(this.chats_html(doc));
			});
		});
	}

	row_cell(name, column) {
		return this.list.$result.find(`.list-row[data-name="${CSS.escape(name)}"] [data-column="${column}"]`);
	}

	redraw_row(name) {
		const doc = this.doc(name);
		if (!doc) return;
		const $row = this.list.$result.find(`.list-row-container[data-name="${CSS.escape(name)}"]`);
		$row.replaceWith(this.row_html(doc, $row.find(".list-row-checkbox").prop("checked")));
	}

	on_store_change(name, changes, info) {
		const doc = this.doc(name);
		if (!doc) return;
		const { chats, ...fields } = changes;
		if (chats) this.chats[name] = chats;
		Object.keys(fields).forEach((k) => {
			if (k in doc || server_row_fields().includes(k)) doc[k] = fields[k];
		});
		if (info.pending) this.row_state[name] = { pending: true };
		if (info.saved) delete this.row_state[name];
		if (info.rolled_back) this.row_state[name] = { error: info.message || __("Not saved") };
		this.redraw_row(name);
	}

	edit_title(name) {
		const doc = this.doc(name);
		const $cell = this.row_cell(name, "title");
		const $input = $(`<input type="text" class="form-control input-xs tg-title-input">`).val(doc.title);
		$cell.empty().append($input);
		$input.trigger("focus").trigger("select");
		let done = false;
		const finish = (save) => {
			if (done) return;
			done = true;
			const value = ($input.val() || "").trim();
			if (save && value && value !== doc.title) {
				ticket_store.set_field(name, "title", value, { previous: doc.title }).catch(() => {});
			} else {
				this.redraw_row(name);
			}
		};
		$input.on("keydown", (e) => {
			if (e.key === "Enter") finish(true);
			if (e.key === "Escape") finish(false);
		});
		$input.on("blur", () => finish(true));
	}

	reassign(name) {
		const doc = this.doc(name);
		const members = (frappe.boot.tg_tickets && frappe.boot.tg_tickets.members) || [];
		const $cell = this.row_cell(name, "assigned_to");
		const $select = $(`<select class="form-control input-xs tg-assign-select"></select>`);
		[{ name: "", full_name: __("Unassigned") }].concat(members).forEach((m) =>
			$select.append($("<option>").val(m.name).text(m.full_name || m.name))
		);
		$select.val(doc.assigned_to || "");
		$cell.empty().append($select);
		$select.trigger("focus");
		$select.on("change", () => {
			const value = $select.val() || null;
			if (value !== (doc.assigned_to || null)) {
				ticket_store.set_field(name, "assigned_to", value, { previous: doc.assigned_to }).catch(() => {});
			}
		});
		$select.on("blur", () => setTimeout(() => this.list.$result.find(".tg-assign-select").length && this.redraw_row(name), 150));
	}
}

// The text search is one of the list's standard filters: a page field in the filter bar whose value Frappe's
// filter area reads like any other (["Ticket", "_search", "like", "%words%"], answered by the server's
// ticket-aware list endpoints), so it takes part in the request, the count, the facets and the URL.
function add_search_box(listview) {
	// The control reports a change on every blur too; a refresh then would only repeat the last one (and
	// Frappe drops the realtime row updates it has queued when a refresh comes in between).
	let searched = "";
	const field = listview.page.add_field({
		fieldtype: "Data",
		fieldname: SEARCH_FIELD,
		label: __("Search"),
		placeholder: __("Search title and description"),
		condition: "like",
		onchange: () => {
			const text = field.get_value() || "";
			if (text === searched) return;
			searched = text;
			listview.filter_area.refresh_list_view();
		},
	});
	field.$wrapper.addClass("tg-search").css({ "min-width": "220px" });
	// A link with a search (?_search=["like","%words%"]) opens with it: Frappe reads only real fields from
	// the link, so the search box takes its own before the first load.
	const linked = frappe.route_options && frappe.route_options[SEARCH_FIELD];
	if (linked) {
		delete frappe.route_options[SEARCH_FIELD];
		const value = typeof linked === "string" && linked.startsWith("[") ? JSON.parse(linked) : linked;
		searched = String(Array.isArray(value) ? value[value.length - 1] : value).replace(/^%|%$/g, "");
		field.set_value(searched);
	}
	return field;
}

function bind_row_events(listview, table) {
	listview.$result.on("click", ".list-row[data-name]", (e) => {
		const $target = $(e.target);
		const name = e.currentTarget.getAttribute("data-name");
		const action = $target.closest("[data-action]").attr("data-action");
		if (action === "edit-title") return table.edit_title(name), false;
		if (action === "reassign") return table.reassign(name), false;
		if (action === "claim") {
			tg_tickets.routing.claim(name).then((row) => ticket_store.emit(name, row, { saved: "assigned_to" }),
				() => ticket_store.get_row(name).then((row) => ticket_store.emit(name, row, { refreshed: true }), () => {}));
			return false;
		}
		if (action === "more-chats") {
			$target.closest(".tg-chats").find(".tg-chats-rest").removeClass("hidden");
			$target.remove();
			return false;
		}
		if ($target.closest("a, input, select, button, textarea").length) return;
		listview.$result.find(".list-row.tg-selected").removeClass("tg-selected");
		$(e.currentTarget).addClass("tg-selected");
		tg_tickets.sheet.open(name);
		return false;
	});
}

// Ticket admins and owners configure the table's custom columns and the SLA policies from here.
function add_admin_menu(listview) {
	const actions = tg_tickets.actions();
	if (actions.manage_fields) {
		listview.page.add_menu_item(__("Ticket fields (custom columns)"), () => {
			frappe.route_options = { doc_type: "Ticket" };
			frappe.set_route("Form", "Customize Form");
		});
	}
	if (actions.manage_sla && frappe.boot.user.can_read.includes("SLA Policy")) {
		listview.page.add_menu_item(__("SLA policies"), () => frappe.set_route("List", "SLA Policy"));
	}
}

const tables = new WeakMap(); // list view -> its TicketTable

// listview_settings.onload: before the first page loads.
export function attach_ticket_table(listview) {
	if (tables.has(listview)) return;
	listview.page.wrapper.addClass("tg-ticket-table");
	const table = new TicketTable(listview);
	tables.set(listview, table);
	add_search_box(listview);
	table.facets = new FacetBar(listview);
	add_admin_menu(listview);
	if (!tg_tickets.actions().delete) {
		// The role permission allows deleting, the owner's switch does not: no Delete in the bulk actions.
		listview.page.actions.find(`[data-label="${encodeURIComponent(__("Delete"))}"]`).parent().remove();
	}
	bind_row_events(listview, table);
	ticket_store.on((name, changes, info) => table.on_store_change(name, changes, info));
}

// listview_settings.refresh: after each load of rows (the header shows the current sort; facets count anew).
export function ticket_table_refreshed(listview) {
	const table = tables.get(listview);
	if (!table) return;
	table.loads += 1;
	table.draw_header();
	table.facets.render();
}

// Frappe skips a refresh whose arguments equal those of one less than this long ago (BaseList.no_change).
const SAME_REFRESH_SKIPPED_MS = 3000;

// Loads the rows again now (e.g. after creating a ticket); when Frappe skipped the refresh as a repeat, once
// more after its window.
export function reload_ticket_table(listview) {
	const table = tables.get(listview);
	if (!table) return Promise.resolve();
	const loads = table.loads;
	return listview.refresh().then(() => {
		if (table.loads === loads) setTimeout(() => listview.refresh(), SAME_REFRESH_SKIPPED_MS);
	});
}
