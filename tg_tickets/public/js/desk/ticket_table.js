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

// Methods that replace the stock list view's rendering for the Ticket list only.
const TicketTableMethods = {
	setup_columns() {
		// Fixed widths: every row is its own grid, so only fixed tracks line the cells up.
		this.columns = ticket_columns();
		this.tg_grid = ["28px"].concat(this.columns.map((c) => c.width)).join(" ");
	},

	render_header() {
		// Always redrawn: it shows the current sort.
		this.$result.find(".list-row-head").remove();
		this.$result.prepend(this.get_header_html());
	},

	get_header_html() {
		const cells = this.columns
			.map((c) => {
				const sorted = c.sort_by && this.sort_by === c.sort_by;
				const arrow = sorted ? (this.sort_order === "asc" ? " ↑" : " ↓") : "";
				const attrs = c.sort_by ? `data-sort-by="${c.sort_by}" title="${__("Click to sort by {0}", [c.label])}"` : "";
				return `<div class="tg-cell tg-head-${c.key} ${c.sort_by ? "tg-sortable" : ""} ${sorted ? "tg-sorted" : ""}" ${attrs}>
					${esc(c.label)}<span class="tg-sort-arrow">${arrow}</span></div>`;
			})
			.join("");
		return `<header class="list-row-head tg-row tg-head" style="grid-template-columns: ${this.tg_grid}">
			<div class="tg-cell"><input class="list-check-all" type="checkbox" title="${__("Select All")}"></div>
			${cells}<span class="list-count hidden"></span></header>`;
	},

	get_list_row_html(doc) {
		const cells = this.columns
			.map((c) => `<div class="tg-cell tg-cell-${c.key}" data-column="${c.key}">${c.render(doc, this)}</div>`)
			.join("");
		const state = (this.tg_row_state && this.tg_row_state[doc.name]) || {};
		const classes = [
			doc.status === "CLOSED" ? "tg-row-closed" : "",
			state.pending ? "tg-pending" : "",
			state.error ? "tg-rolled-back" : "",
		].join(" ");
		return `<div class="list-row-container" data-name="${esc(doc.name)}" tabindex="1">
			<div class="list-row tg-row ${classes}" data-name="${esc(doc.name)}" style="grid-template-columns: ${this.tg_grid}"
				${state.error ? `title="${esc(state.error)}"` : ""}>
				<div class="tg-cell"><input class="list-row-checkbox" type="checkbox" data-name="${esc(doc.name)}"></div>
				${cells}
			</div></div>`;
	},

	render_list() {
		frappe.views.ListView.prototype.render_list.call(this);
		this.load_extras();
	},

	get_filters_for_args() {
		const filters = frappe.views.ListView.prototype.get_filters_for_args.call(this);
		return this.tg_search ? filters.concat([["Ticket", "_search", "like", this.tg_search]]) : filters;
	},

	// The search text stays out of the URL: Frappe would read it back as a filter on a real field.
	get_search_params() {
		const params = frappe.views.ListView.prototype.get_search_params.call(this);
		params.delete("_search");
		return params;
	},

	// --- cells -----------------------------------------------------------------------------------

	chats_html(doc) {
		const chats = this.tg_chats && this.tg_chats[doc.name];
		return chats ? badges.chats(chats) : `<span class="text-muted tg-chats-loading">…</span>`;
	},

	title_html(doc) {
		const editable = tg_tickets.actions().write && doc.status !== "CLOSED";
		return `<span class="tg-title ellipsis" title="${esc(doc.title)}">${esc(doc.title)}</span>${
			editable ? `<button class="btn btn-xs tg-edit-title" data-action="edit-title" title="${__("Edit title")}">✎</button>` : ""
		}`;
	},

	assignee_html(doc) {
		const editable = tg_tickets.actions().write && doc.status !== "CLOSED";
		const claim = tg_tickets.routing.can_claim(doc)
			? `<button class="btn btn-xs btn-default tg-claim" data-action="claim" title="${__("Take this ticket")}">${__("Claim")}</button>`
			: "";
		return claim + `<span class="tg-assignee ${editable ? "tg-assignee-editable" : ""}"
			${editable ? `data-action="reassign" title="${__("Click to reassign")}"` : ""}>${badges.user(doc.assigned_to)}</span>`;
	},

	// --- behaviour --------------------------------------------------------------------------------

	load_extras() {
		const names = this.data.map((d) => d.name).filter((n) => !(this.tg_chats && n in this.tg_chats));
		if (!names.length) return;
		server.call("tg_tickets.api.ticket.list_extras", { names: JSON.stringify(names) }).then((extras) => {
			this.tg_chats = Object.assign(this.tg_chats || {}, extras.chats);
			names.forEach((name) => {
				const doc = this.data.find((d) => d.name === name);
				if (doc) this.row_cell(name, "chats").html(this.chats_html(doc));
			});
		});
	},

	row_cell(name, column) {
		return this.$result.find(`.list-row[data-name="${CSS.escape(name)}"] [data-column="${column}"]`);
	},

	rerender_row(name) {
		const doc = this.data.find((d) => d.name === name);
		if (!doc) return;
		this.$result.find(`.list-row-container[data-name="${CSS.escape(name)}"]`).replaceWith(this.get_list_row_html(doc));
	},

	on_store_change(name, changes, info) {
		const doc = this.data && this.data.find((d) => d.name === name);
		if (!doc) return;
		const { chats, ...fields } = changes;
		if (chats) this.tg_chats = Object.assign(this.tg_chats || {}, { [name]: chats });
		Object.keys(fields).forEach((k) => {
			if (k in doc || server_row_fields().includes(k)) doc[k] = fields[k];
		});
		this.tg_row_state = this.tg_row_state || {};
		if (info.pending) this.tg_row_state[name] = { pending: true };
		if (info.saved) delete this.tg_row_state[name];
		if (info.rolled_back) this.tg_row_state[name] = { error: info.message || __("Not saved") };
		this.rerender_row(name);
	},

	edit_title(name) {
		const doc = this.data.find((d) => d.name === name);
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
				this.rerender_row(name);
			}
		};
		$input.on("keydown", (e) => {
			if (e.key === "Enter") finish(true);
			if (e.key === "Escape") finish(false);
		});
		$input.on("blur", () => finish(true));
	},

	reassign(name) {
		const doc = this.data.find((d) => d.name === name);
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
		$select.on("blur", () => setTimeout(() => this.$result.find(".tg-assign-select").length && this.rerender_row(name), 150));
	},
};

function add_search_box(listview) {
	const field = listview.page.add_field({
		fieldtype: "Data",
		fieldname: "tg_search",
		label: __("Search"),
		placeholder: __("Search title and description"),
	});
	field.$wrapper.addClass("tg-search").css({ "min-width": "220px" });
	const apply = () => {
		const text = (field.get_value() || "").trim();
		if (text === (listview.tg_search || "")) return;
		listview.tg_search = text;
		listview.start = 0;
		listview.refresh();
		listview.tg_facets && listview.tg_facets.render();
	};
	field.$input.on("input", frappe.utils.debounce(apply, 350));
	field.$input.on("keydown", (e) => e.key === "Enter" && apply());
	// The search box is not a real filter: keep Frappe's filter area from reading it.
	delete listview.page.fields_dict.tg_search;
	return field;
}

function bind_row_events(listview) {
	listview.$result.on("click", ".list-row[data-name]", (e) => {
		const $target = $(e.target);
		const name = e.currentTarget.getAttribute("data-name");
		const action = $target.closest("[data-action]").attr("data-action");
		if (action === "edit-title") return listview.edit_title(name), false;
		if (action === "reassign") return listview.reassign(name), false;
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

// Called from ticket_list.js's onload, before the first page loads.
export function attach_ticket_table(listview) {
	if (listview.tg_attached) return;
	listview.tg_attached = true;
	Object.assign(listview, TicketTableMethods);
	listview.page.wrapper.addClass("tg-ticket-table");
	listview.setup_columns();
	listview.render_header();
	listview.tg_search_field = add_search_box(listview);
	listview.tg_facets = new FacetBar(listview);
	add_admin_menu(listview);
	if (!tg_tickets.actions().delete) {
		// The role permission allows deleting, the owner's switch does not: no Delete in the bulk actions.
		listview.page.actions.find(`[data-label="${encodeURIComponent(__("Delete"))}"]`).parent().remove();
	}
	bind_row_events(listview);
	ticket_store.on((name, changes, info) => listview.on_store_change(name, changes, info));
}
