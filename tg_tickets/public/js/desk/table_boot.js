// The ticket table's first load without round trips: when the desk page itself is the ticket table, boot
// carries what the list view would fetch one request after another (Ticket's meta and the user's list
// settings, the List View Settings, the first page of rows and their linked chats). Each is used once, on the
// load it was made for, and only when the list view's own request would have been the same; otherwise, and
// on every later refresh, the list asks the server as usual.

function table_boot() {
	return frappe.boot && frappe.boot.tg_tickets;
}

// getdoctype: Ticket's meta bundle and the user's list settings.
function patch_with_doctype() {
	const with_doctype = frappe.model.with_doctype;
	frappe.model.with_doctype = function (doctype) {
		const boot = table_boot();
		if (doctype === "Ticket" && boot && boot.ticket_meta) {
			if (!locals.DocType[doctype]) {
				frappe.model.sync(boot.ticket_meta);
				frappe.model.init_doctype(doctype); // runs ticket_list.js, as a fetched meta would
				if (boot.ticket_user_settings) {
					frappe.model.user_settings[doctype] = JSON.parse(boot.ticket_user_settings);
					frappe.model.user_settings[doctype].updated_on = moment().toString();
				}
			}
			delete boot.ticket_meta;
		}
		return with_doctype.apply(this, arguments);
	};
}

// frappe.desk.listview.get_list_settings
function patch_list_view_settings() {
	const get_list_view_settings = frappe.views.ListView.prototype.get_list_view_settings;
	frappe.views.ListView.prototype.get_list_view_settings = function () {
		const boot = table_boot();
		if (this.doctype === "Ticket" && boot && "list_settings" in boot) {
			this.list_view_settings = boot.list_settings || {};
			delete boot.list_settings;
			return Promise.resolve(this.list_view_settings);
		}
		return get_list_view_settings.call(this);
	};
}

// The boot page fits when the list asks for the unfiltered first page in the same order, with no more rows
// and no field it does not hold.
function page_fits(page, args) {
	return (
		args.doctype === "Ticket" &&
		args.view === "List" &&
		args.start === 0 &&
		!args.group_by &&
		!(args.filters && args.filters.length) &&
		args.order_by === page.order_by &&
		args.page_length <= page.page_length &&
		Boolean(args.with_comment_count) === Boolean(page.with_comment_count) &&
		args.fields.every((field) => page.fields.includes(field))
	);
}

function take_first_page(listview) {
	const boot = table_boot();
	const page = boot && boot.first_page;
	if (!page || listview.doctype !== "Ticket") return null;
	delete boot.first_page;
	const { method, args } = listview.get_call_args();
	if (method !== "frappe.desk.reportview.get" || !page_fits(page, args)) return null;
	const data = page.data && page.data.values ? { ...page.data, values: page.data.values.slice(0, args.page_length) } : page.data;
	return { data, chats: page.chats || {} };
}

// frappe.desk.reportview.get (and our list_extras): the list's first refresh renders the boot page. Frappe's
// refresh runs unchanged (render, count, settings hooks); only its one server call is answered from boot.
function patch_first_refresh() {
	const refresh = frappe.views.BaseList.prototype.refresh;
	frappe.views.BaseList.prototype.refresh = function () {
		const page = take_first_page(this);
		if (!page) return refresh.apply(this, arguments);
		this.tg_chats = Object.assign(this.tg_chats || {}, page.chats);
		this.tg_first_page_from_boot = true;
		const call = frappe.call;
		frappe.call = () => Promise.resolve({ message: page.data });
		try {
			return refresh.apply(this, arguments);
		} finally {
			frappe.call = call;
		}
	};
}

export function serve_ticket_table_from_boot() {
	patch_with_doctype();
	patch_list_view_settings();
	patch_first_refresh();
}
