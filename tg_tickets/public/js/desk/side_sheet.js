// The side sheet: a panel over the right part of the ticket table with every editable field, read-only
// metadata and the comments. Edits go through ticket_store (optimistic, rolled back visibly on refusal);
// changes from other agents or the Telegram sync arrive over realtime and refresh it in place.
import { badges } from "./format";
import { ticket_store } from "./ticket_store";
import { server } from "./server";
import { ChatPicker } from "./chat_picker";
import { Conversation } from "./conversation";
import { can_escalate, escalate } from "./escalate";
import { editable_fields, is_closed } from "./ticket_fields";

const esc = badges.esc;
const blank = (v) => (v === undefined || v === null ? "" : v);

export class SideSheet {
	constructor() {
		this.name = null;
		this.pending = new Set();
		ticket_store.on((name, changes, info) => this.on_store(name, changes, info));
		this.reload_soon = frappe.utils.debounce(() => this.reload(), 300);
	}

	// Bound on first use: the bundle loads before the desk has opened its realtime socket.
	listen() {
		if (this.listening) return;
		this.listening = true;
		const reload_if_open = (data) => {
			if (data && data.name === this.name && (!data.doctype || data.doctype === "Ticket")) this.reload_soon();
		};
		frappe.realtime.on("doc_update", reload_if_open);
		frappe.realtime.on("tg_ticket_changed", reload_if_open);
		// The open table's doctype subscription also brings list_update for this ticket.
		frappe.realtime.on("list_update", reload_if_open);
		// Telegram: new inbound messages (one event per inbound batch), queued replies, moves, delivery states.
		const conversation_changed = (tickets) => {
			// A hidden tab reloads when shown.
			if (this.name && this.tab === "telegram" && tickets.includes(this.name)) this.conversation.reload_soon();
		};
		frappe.realtime.on("tg_telegram_messages", (data) => conversation_changed((data && data.tickets) || []));
		frappe.realtime.on("tg_telegram_message", (data) => conversation_changed(data && data.ticket ? [data.ticket] : []));
		frappe.realtime.on("tg_flagged_message", () => this.name && conversation_changed([this.name]));
		// Events sent while the socket was (re)connecting are lost: catch up once it is connected again.
		if (frappe.realtime.socket) {
			frappe.realtime.socket.on("connect", () => this.name && conversation_changed([this.name]));
		}
		frappe.router.on("change", () => {
			const route = frappe.get_route();
			if (this.name && !(route[0] === "List" && route[1] === "Ticket")) this.close();
		});
	}

	open(name) {
		this.make();
		this.listen();
		if (this.name && this.name !== name) frappe.realtime.doc_unsubscribe("Ticket", this.name);
		this.name = name;
		this.pending.clear();
		this.subscribe(name);
		this.$el.attr("data-name", name).addClass("open");
		$("body").addClass("tg-sheet-open");
		this.show_error(null);
		if (this.tab === "telegram") this.conversation.show(name);
		this.$el.find(".tg-sheet-id").html(badges.ticket_id(name));
		this.$el.find(".tg-sheet-body").addClass("tg-loading");
		return ticket_store.get_row(name, true).then((row) => {
			if (this.name !== name) return;
			this.row = row;
			this.render();
		});
	}

	// Frappe drops a doc subscription made within a second of another one: retry until it goes out.
	subscribe(name) {
		if (this.name !== name) return;
		if (frappe.flags.doc_subscribe) return setTimeout(() => this.subscribe(name), 1100);
		frappe.realtime.doc_subscribe("Ticket", name);
	}

	close() {
		if (this.name) frappe.realtime.doc_unsubscribe("Ticket", this.name);
		this.name = null;
		this.$el && this.$el.removeClass("open").removeAttr("data-name");
		$("body").removeClass("tg-sheet-open");
	}

	reload() {
		if (!this.name) return;
		const name = this.name;
		ticket_store.get_row(name).then((row) => {
			if (this.name !== name) return;
			// Fields with an edit in flight keep the agent's value until the server answers.
			this.pending.forEach((f) => (row[f] = this.doc[f]));
			this.row = row;
			this.render(true);
			if (this.tab === "comments") this.load_comments();
			// A status change (closed, reopened) changes whether the customer may be answered.
			if (this.tab === "telegram") this.conversation.reload_soon();
		});
	}

	make() {
		if (this.$el) return;
		this.$el = $(`<aside class="tg-sheet" role="dialog" aria-label="${__("Ticket")}">
			<div class="tg-sheet-head">
				<span class="tg-sheet-id"></span>
				<span class="tg-sheet-sla"></span>
				<span class="tg-sheet-closed-note hidden">${__("Closed: read-only. Change the status to reopen.")}</span>
				<button class="btn btn-xs btn-primary tg-sheet-claim hidden" title="${__("Take this ticket")}">${__("Claim")}</button>
				<button class="btn btn-xs btn-warning tg-sheet-escalate hidden" title="${__("Ask for help on this ticket")}">${__("Escalate")}</button>
				<a class="btn btn-xs btn-default tg-sheet-form-link" href="#">${__("Full form")}</a>
				<button class="btn btn-xs btn-default tg-sheet-close" title="${__("Close")}">×</button>
			</div>
			<div class="alert alert-danger tg-sheet-error hidden" role="alert"></div>
			<ul class="nav nav-tabs tg-sheet-tabs">
				<li class="nav-item"><a class="nav-link active" href="#" data-tab="details">${__("Details")}</a></li>
				<li class="nav-item"><a class="nav-link" href="#" data-tab="telegram">${__("Telegram")}</a></li>
				<li class="nav-item"><a class="nav-link" href="#" data-tab="comments">${__("Internal comments")}
					<span class="tg-comment-count badge"></span></a></li>
			</ul>
			<div class="tg-sheet-body">
				<div class="tg-sheet-details">
					<div class="tg-sheet-fields"></div>
					<div class="tg-sheet-chats"><label class="control-label">${__("Linked Chats")}</label></div>
					<div class="tg-sheet-meta"></div>
				</div>
				<div class="tg-sheet-telegram hidden"></div>
				<div class="tg-sheet-comments hidden">
					<div class="tg-comment-new" data-kind="internal">
						<label class="tg-comment-label">${__("Internal comment: only agents see it, never sent to the customer")}</label>
						<textarea class="form-control tg-comment-input" rows="3" placeholder="${__("Note for the team")}"></textarea>
						<button class="btn btn-sm btn-default tg-comment-add">${__("Add internal comment")}</button>
					</div>
					<div class="tg-comment-list"></div>
				</div>
			</div>
		</aside>`).appendTo("body");
		this.$el.on("click", ".tg-sheet-close", () => this.close());
		this.$el.on("click", ".tg-sheet-form-link", (e) => {
			e.preventDefault();
			const name = this.name;
			this.close();
			frappe.set_route("Form", "Ticket", name);
		});
		this.$el.on("click", "[data-tab]", (e) => {
			e.preventDefault();
			this.show_tab($(e.currentTarget).attr("data-tab"));
		});
		this.$el.on("click", ".tg-comment-add", () => this.add_comment());
		this.$el.on("click", ".tg-sheet-claim", () => {
			const name = this.name;
			tg_tickets.routing.claim(name).then(
				(row) => ticket_store.emit(name, row, { saved: "assigned_to" }),
				() => ticket_store.get_row(name).then((row) => ticket_store.emit(name, row, { refreshed: true }), () => {})
			);
		});
		this.$el.on("click", ".tg-sheet-escalate", () => {
			const name = this.name;
			escalate(name).then(
				() => ticket_store.get_row(name).then((row) => ticket_store.emit(name, row, { refreshed: true }), () => {}),
				() => {}
			);
		});
		this.conversation = new Conversation({
			$parent: this.$el.find(".tg-sheet-telegram"),
			on_error: (message) => this.show_error(message),
			on_ticket_created: () => tg_tickets.reload_table(),
		});
		$(document).on("keydown", (e) => {
			if (e.key === "Escape" && this.name && !$(e.target).is("input, textarea, select")) this.close();
		});
		this.tab = "details";
	}

	show_tab(tab) {
		this.tab = tab;
		this.$el.find("[data-tab]").removeClass("active");
		this.$el.find(`[data-tab="${tab}"]`).addClass("active");
		this.$el.find(".tg-sheet-details").toggleClass("hidden", tab !== "details");
		this.$el.find(".tg-sheet-comments").toggleClass("hidden", tab !== "comments");
		this.$el.find(".tg-sheet-telegram").toggleClass("hidden", tab !== "telegram");
		if (tab === "comments") this.load_comments();
		if (tab === "telegram") {
			this.conversation.show(this.name);
		}
	}

	// Builds the controls once per ticket; later renders only refresh values and read-only state.
	render(values_only = false) {
		const row = this.row;
		this.$el.find(".tg-sheet-body").removeClass("tg-loading");
		this.doc = Object.assign({ doctype: "Ticket" }, row);
		if (!values_only || !this.controls || this.controls_for !== row.name) this.make_controls();
		this.refresh_controls();
		this.render_meta();
	}

	make_controls() {
		const $fields = this.$el.find(".tg-sheet-fields").empty();
		this.controls = {};
		this.controls_for = this.row.name;
		editable_fields().forEach((df) => {
			const $wrap = $(`<div class="tg-sheet-field" data-fieldname="${df.fieldname}"></div>`).appendTo($fields);
			const control = frappe.ui.form.make_control({
				df: Object.assign({}, df, { change: () => this.on_control_change(df.fieldname) }),
				parent: $wrap,
				render_input: true,
				doc: this.doc,
			});
			this.controls[df.fieldname] = control;
		});
		this.$el.find(".tg-sheet-chats .tg-chat-picker").remove();
		this.chat_picker = new ChatPicker({
			parent: this.$el.find(".tg-sheet-chats"),
			chats: this.row.chats || [],
			on_change: (chats, previous) =>
				this.save("chats", chats.map((c) => c.name), { display: chats, previous }),
		});
	}

	refresh_controls() {
		const actions = tg_tickets.actions();
		const closed = is_closed(this.row);
		this.$el.toggleClass("tg-closed", closed);
		this.$el.find(".tg-sheet-closed-note").toggleClass("hidden", !closed);
		Object.entries(this.controls).forEach(([fieldname, control]) => {
			// A closed ticket keeps only its status live (to reopen it); no write right keeps nothing live.
			control.df.read_only = !actions.write || (closed && fieldname !== "status") ? 1 : 0;
			control.doc = this.doc;
			if (!control.$input || !control.$input.is(":focus")) control.refresh();
			else control.refresh_input && control.refresh_input();
		});
		this.chat_picker.set(this.row.chats || []);
		this.chat_picker.set_read_only(!actions.write || closed);
		this.$el.find(".tg-comment-new").toggleClass("hidden", closed);
	}

	render_meta() {
		const row = this.row;
		this.$el.find(".tg-sheet-claim").toggleClass("hidden", !tg_tickets.routing.can_claim(row));
		this.$el.find(".tg-sheet-escalate").toggleClass("hidden", !can_escalate(row));
		this.$el.find(".tg-sheet-sla").html(row.sla_state ? badges.sla(row) : "");
		this.$el.find(".tg-comment-count").text(row.comment_count || 0);
		const item = (label, html) => `<div class="tg-meta-item"><div class="text-muted small">${label}</div><div>${html}</div></div>`;
		this.$el.find(".tg-sheet-meta").html(`
			${item(__("ID"), badges.ticket_id(row.name))}
			${item(__("Created"), badges.when_by(row.creation, row.owner))}
			${item(__("Closed"), badges.when_by(row.closed_at, row.closed_by))}
			${item(__("SLA"), badges.sla(row))}
			${item(__("Files"), `<span class="tg-file-count">${row.file_count || 0}</span>`)}
			${item(__("Comments"), `<span class="tg-comment-total">${row.comment_count || 0}</span>`)}
		`);
	}

	on_control_change(fieldname) {
		if (!this.row) return;
		const value = this.doc[fieldname];
		const previous = this.row[fieldname];
		if (blank(value) === blank(previous)) return;
		this.save(fieldname, value, { previous });
	}

	save(fieldname, value, { previous, display } = {}) {
		const name = this.row.name;
		this.pending.add(fieldname);
		return ticket_store
			.set_field(name, fieldname, value, { previous: previous !== undefined ? previous : this.row[fieldname], display })
			.catch(() => {})
			.finally(() => this.pending.delete(fieldname));
	}

	on_store(name, changes, info) {
		if (name !== this.name || !this.row) return;
		if (info.rolled_back) {
			this.row[info.rolled_back] = changes[info.rolled_back];
			this.show_error(info.message);
		} else if (info.refreshed) {
			this.pending.forEach((f) => (changes[f] = this.row[f]));
			Object.assign(this.row, changes);
		} else if (info.saved) {
			Object.assign(this.row, changes);
			this.show_error(null);
		} else {
			Object.assign(this.row, changes);
		}
		Object.assign(this.doc, this.row);
		this.refresh_controls();
		this.render_meta();
	}

	show_error(message) {
		if (!this.$el) return;
		this.$el.find(".tg-sheet-error").toggleClass("hidden", !message).text(message || "");
	}

	load_comments() {
		const name = this.name;
		server.call("tg_tickets.api.ticket.comments", { name }).then((comments) => {
			if (this.name !== name) return;
			this.$el.find(".tg-comment-list").html(
				comments.length
					? comments
							.map(
								(c) => `<div class="tg-comment">
								<div class="tg-comment-head">${badges.user(c.owner, { show_name: true })}
									<span class="text-muted small">${frappe.datetime.comment_when(c.creation)}</span></div>
								<div class="tg-comment-body">${frappe.utils.xss_sanitise
									? frappe.utils.xss_sanitise(c.content || "")
									: esc(strip_html(c.content || ""))}</div></div>`
							)
							.join("")
					: `<div class="text-muted">${__("No comments yet")}</div>`
			);
		});
	}

	add_comment() {
		const $input = this.$el.find(".tg-comment-input");
		const content = ($input.val() || "").trim();
		if (!content) return;
		const name = this.name;
		$input.prop("disabled", true);
		server
			.call("tg_tickets.api.ticket.add_comment", { name, content: frappe.utils.escape_html(content) })
			.then(() => {
				$input.val("");
				this.show_error(null);
				this.load_comments();
			})
			.catch((error) => this.show_error(error.message))
			.finally(() => $input.prop("disabled", false));
	}
}
