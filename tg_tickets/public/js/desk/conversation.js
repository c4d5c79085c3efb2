// The ticket's Telegram conversation in the side sheet: incoming and outgoing messages in order (sender, time,
// text, media and files, edits with the previous text, deletions, delivery status with the failure reason), the
// reply box that writes to the customer on Telegram, and the move / create-ticket actions for misplaced
// messages. The server decides everything (tg_tickets.api.telegram, tg_tickets.api.send_reply); this view
// only reflects it and reloads on realtime events.
import { badges } from "./format";
import { server } from "./server";
import { move_messages, move_to_ticket, tickets_from_messages } from "./message_actions";
import { ReplyAssist } from "./replies";

const esc = badges.esc;
const STATUS_COLOURS = { Sending: "gray", Queued: "orange", Sent: "green", Failed: "red" };
const STATUS_LABELS = {
	Sending: __("Sending…"),
	Queued: __("Queued"),
	Sent: __("Sent"),
	Failed: __("Failed"),
};

function when(datetime) {
	if (!datetime) return "";
	return `<span class="text-muted small tg-tmsg-time" title="${esc(frappe.datetime.str_to_user(datetime))}">${esc(
		frappe.datetime.str_to_user(datetime)
	)}</span>`;
}

function size_text(bytes) {
	if (!bytes && bytes !== 0) return "";
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${(bytes / 1048576).toFixed(1)} MB`;
}

function text_html(text) {
	return esc(text || "").replace(/\n/g, "<br>");
}

export class Conversation {
	constructor({ $parent, on_error, on_ticket_created }) {
		this.on_error = on_error;
		this.on_ticket_created = on_ticket_created;
		this.$el = $(`<div class="tg-telegram">
			<div class="tg-flagged-list"></div>
			<div class="tg-conversation" aria-live="polite"></div>
			<div class="tg-reply" data-kind="telegram">
				<label class="tg-reply-label" for="tg-reply-input">
					<span class="tg-reply-icon" aria-hidden="true">✈</span>
					${__("Reply to customer on Telegram")}
				</label>
				<div class="text-muted small tg-reply-hint">${__(
					"The customer receives this message in Telegram. For notes only agents see, use Internal comments."
				)}</div>
				<div class="tg-reply-blocked alert alert-warning hidden"></div>
				<textarea id="tg-reply-input" class="form-control tg-reply-input" rows="3"
					placeholder="${__("Message to the customer (sent on Telegram)")}"></textarea>
				<div class="tg-reply-files"></div>
				<div class="tg-reply-actions">
					<button class="btn btn-xs btn-default tg-reply-upload">${__("Upload a file to the ticket")}</button>
					<button class="btn btn-sm tg-reply-send">${__("Send to customer on Telegram")}</button>
				</div>
			</div>
		</div>`).appendTo($parent);
		this.$list = this.$el.find(".tg-conversation");
		this.$input = this.$el.find(".tg-reply-input");
		this.reload_soon = frappe.utils.debounce(() => this.reload(), 250);
		// Canned responses (/ picker), the preview with the missing-placeholder guard, suggested articles.
		this.assist = new ReplyAssist(this);
		this.bind();
	}

	bind() {
		this.$el.on("click", ".tg-reply-send", () => this.send());
		this.$el.on("click", ".tg-reply-upload", () => this.upload());
		this.$input.on("keydown", (e) => {
			if (this.assist.keydown(e)) return;
			if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) this.send();
		});
		this.$el.on("click", "[data-action='move']", (e) => this.move($(e.currentTarget).closest("[data-message]").attr("data-message")));
		this.$el.on("click", "[data-action='move-here']", (e) =>
			this.move_to($(e.currentTarget).closest("[data-message]").attr("data-message"), this.ticket)
		);
		this.$el.on("click", "[data-action='create-ticket']", (e) =>
			this.create_ticket($(e.currentTarget).closest("[data-message]").attr("data-message"))
		);
	}

	show(ticket) {
		if (this.ticket !== ticket) {
			this.ticket = ticket;
			this.data = null;
			this.sending = [];
			this.$input.val("");
			this.$list.html(`<div class="text-muted">${__("Loading…")}</div>`);
			this.$el.find(".tg-flagged-list").empty();
			this.assist.show(ticket);
		}
		return this.reload();
	}

	reload() {
		const ticket = this.ticket;
		if (!ticket) return Promise.resolve();
		// Only the newest request renders: an older answer arriving late would show a stale conversation.
		const request = (this.requests = (this.requests || 0) + 1);
		return server.call("tg_tickets.api.telegram.conversation", { ticket }).then(
			(data) => {
				if (this.ticket !== ticket || request !== this.requests) return;
				this.data = data;
				this.render();
			},
			(error) => this.on_error(error.message)
		);
	}

	render() {
		const data = this.data;
		const known = new Set(data.messages.map((m) => m.name));
		const sending = this.sending.filter((m) => !known.has(m.name));
		const rows = data.messages.concat(sending).map((m) => this.message_html(m));
		this.$list.html(
			rows.length
				? this.trend_html(data) +
						(data.truncated ? `<div class="text-muted small">${__("Older messages are not shown.")}</div>` : "") +
						rows.join("")
				: `<div class="text-muted tg-conversation-empty">${__("No Telegram messages on this ticket yet.")}</div>`
		);
		this.render_flagged();
		this.render_reply_box();
	}

	message_html(m) {
		const outgoing = m.direction === "Outgoing";
		const sender = outgoing
			? m.agent
				? frappe.user.full_name(m.agent)
				: __("Bot")
			: m.sender_name || m.sender_id || __("Customer");
		const classes = ["tg-tmsg", outgoing ? "tg-tmsg-out" : "tg-tmsg-in"];
		if (m.is_deleted) classes.push("tg-tmsg-deleted");
		if (m.flagged) classes.push("tg-tmsg-flagged");
		if (m.pending) classes.push("tg-tmsg-pending");
		const status = outgoing && m.status ? this.status_html(m) : "";
		const edited = m.edited_at
			? `<details class="tg-tmsg-edits"><summary class="text-muted small">${__("edited {0}", [
					frappe.datetime.str_to_user(m.edited_at),
			  ])}</summary>${(m.edits.length ? m.edits : [{ text: m.previous_text }])
					.map((e) => `<div class="tg-tmsg-previous"><span class="text-muted small">${__("Previously")}:</span> ${text_html(e.text)}</div>`)
					.join("")}</details>`
			: "";
		const deleted = m.is_deleted
			? `<div class="tg-tmsg-deleted-note">${__("Deleted in Telegram")}${m.deleted_at ? " · " + esc(frappe.datetime.str_to_user(m.deleted_at)) : ""}</div>`
			: "";
		const moved = m.moved_from_ticket
			? `<div class="text-muted small tg-tmsg-moved">${__("Moved here from {0}", [badges.ticket_id(m.moved_from_ticket)])}</div>`
			: "";
		const actions =
			this.data && this.data.can_move && !m.pending
				? `<button class="btn btn-xs btn-link tg-tmsg-move" data-action="move">${__("Move to another ticket")}</button>`
				: "";
		return `<div class="${classes.join(" ")}" data-message="${esc(m.name)}" data-direction="${esc(m.direction)}">
			<div class="tg-tmsg-head">
				<span class="tg-tmsg-sender">${esc(sender)}</span>
				${outgoing && m.agent ? `<span class="text-muted small">${__("to the customer")}</span>` : ""}
				${when(m.telegram_date || m.creation)}
				${status}
				${outgoing ? "" : this.sentiment_html(m.sentiment)}
			</div>
			<div class="tg-tmsg-text">${text_html(m.text)}</div>
			${this.media_html(m)}
			${edited}${deleted}${moved}
			<div class="tg-tmsg-actions">${actions}</div>
		</div>`;
	}

	// The customer's mood: a badge per scored message, and the ticket's trend (its last scores as bars).
	sentiment_html(score) {
		if (score === null || score === undefined) return "";
		const value = Number(score);
		const mood = value <= -0.05 ? "negative" : value >= 0.05 ? "positive" : "neutral";
		const colour = { negative: "red", positive: "green", neutral: "gray" }[mood];
		const label = { negative: __("Negative"), positive: __("Positive"), neutral: __("Neutral") }[mood];
		const shown = (value > 0 ? "+" : "") + value.toFixed(2);
		return `<span class="indicator-pill ${colour} tg-sentiment" data-sentiment="${mood}" title="${esc(
			__("Customer sentiment, -1 to 1")
		)}">${esc(label)} ${esc(shown)}</span>`;
	}

	trend_html(data) {
		const scores = data.sentiment_trend || [];
		if (!scores.length) return "";
		const bars = scores
			.map((v) => {
				const height = Math.max(2, Math.round(Math.abs(v) * 14));
				const colour = v <= -0.05 ? "var(--red-500)" : v >= 0.05 ? "var(--green-500)" : "var(--gray-500)";
				return `<span class="tg-trend-bar" style="height:${height}px;background:${colour}" title="${esc(v.toFixed(2))}"></span>`;
			})
			.join("");
		return `<div class="tg-sentiment-trend small text-muted">${__("Customer sentiment (last {0} messages)", [scores.length])}
			${this.sentiment_html(data.sentiment)}<span class="tg-trend-bars">${bars}</span></div>`;
	}

	status_html(m) {
		const reason =
			m.status === "Failed" || (m.status === "Queued" && m.failure_reason)
				? `<div class="tg-tmsg-failure ${m.status === "Failed" ? "text-danger" : "text-muted"} small">${
						m.status === "Failed" ? __("Not delivered: {0}", [esc(m.failure_reason || "")]) : __("Retrying: {0}", [esc(m.failure_reason)])
				  }</div>`
				: "";
		return `<span class="indicator-pill ${STATUS_COLOURS[m.status] || "gray"} tg-tmsg-status" data-status="${esc(m.status)}">${esc(
			STATUS_LABELS[m.status] || m.status
		)}</span>${reason}`;
	}

	media_html(m) {
		const parts = [];
		if (m.media_type) {
			const meta = m.media || {};
			const details = [meta.file_name, meta.mime_type, meta.size ? size_text(meta.size) : null].filter(Boolean).join(" · ");
			parts.push(`<div class="tg-tmsg-media small" data-media-type="${esc(m.media_type)}">📎 ${esc(m.media_type)}${
				details ? " · " + esc(details) : ""
			}</div>`);
		}
		(m.files || []).forEach((f) => {
			parts.push(`<div class="tg-tmsg-file small">📎 ${
				f.file_url ? `<a href="${esc(f.file_url)}" target="_blank">${esc(f.file_name || f.name)}</a>` : esc(f.file_name || f.name)
			}${f.file_size ? " · " + esc(size_text(f.file_size)) : ""}</div>`);
		});
		return parts.join("");
	}

	render_flagged() {
		const flagged = this.data.flagged || [];
		const $box = this.$el.find(".tg-flagged-list");
		if (!flagged.length) return $box.empty();
		const can_move = this.data.can_move;
		const can_create = this.data.can_create;
		$box.html(`<div class="tg-flagged-title">${__("Messages from this ticket's chats outside any ticket")}</div>
			${flagged
				.map(
					(m) => `<div class="tg-tmsg tg-tmsg-in tg-tmsg-flagged" data-message="${esc(m.name)}">
					<div class="tg-tmsg-head"><span class="tg-tmsg-sender">${esc(m.sender_name || m.sender_id || "")}</span>
						${when(m.telegram_date || m.creation)}
						<span class="indicator-pill red tg-flag-pill">${__("Flagged")}</span></div>
					<div class="tg-tmsg-text">${text_html(m.text)}</div>
					<div class="text-muted small tg-flag-reason">${esc(m.flag_reason || "")}</div>
					<div class="tg-tmsg-actions">
						${can_move ? `<button class="btn btn-xs btn-default" data-action="move-here">${__("Move to this ticket")}</button>
							<button class="btn btn-xs btn-default" data-action="move">${__("Move to another ticket")}</button>` : ""}
						${can_move && can_create ? `<button class="btn btn-xs btn-default" data-action="create-ticket">${__("Create ticket")}</button>` : ""}
					</div></div>`
				)
				.join("")}`);
	}

	render_reply_box() {
		const data = this.data;
		let blocked = "";
		if (data.closed) blocked = __("This ticket is closed. Reopen it (change its status) before replying to the customer.");
		else if (!data.can_reply) blocked = __("You may read this conversation but not reply (your role cannot edit tickets).");
		else if (!data.has_chat) blocked = __("This ticket has no linked Telegram chat to reply to.");
		const $reply = this.$el.find(".tg-reply");
		$reply.find(".tg-reply-blocked").toggleClass("hidden", !blocked).text(blocked);
		// What is known here only disables the box; the server still refuses a reply it does not allow.
		const disabled = !data.can_reply;
		$reply.toggleClass("tg-reply-disabled", disabled);
		$reply.find("textarea, button, .tg-reply-formatted").prop("disabled", disabled || this.busy);
		if (this.assist.articles) this.assist.render_suggestions();
		const checked = new Set(this.$el.find(".tg-reply-file:checked").map((_, el) => el.value).get());
		$reply.find(".tg-reply-files").html(
			(data.ticket_files || [])
				.map(
					(f) => `<label class="tg-reply-file-label small"><input type="checkbox" class="tg-reply-file" value="${esc(f.name)}"
						${checked.has(f.name) ? "checked" : ""} ${disabled ? "disabled" : ""}> ${__("Attach")} ${esc(f.file_name)}
						<span class="text-muted">${esc(size_text(f.file_size))}</span></label>`
				)
				.join("")
		);
	}

	// Optimistic: the reply shows at once as "Sending…", becomes the server's Queued row, then Sent or Failed
	// over realtime; a refusal removes it again and gives the text back with the server's reason.
	send() {
		const text = (this.$input.val() || "").trim();
		const attachments = this.$el.find(".tg-reply-file:checked").map((_, el) => el.value).get();
		if ((!text && !attachments.length) || this.busy) return;
		const blocked = this.assist.blocked();
		if (blocked) {
			this.on_error(blocked);
			this.$input.trigger("focus");
			return;
		}
		const ticket = this.ticket;
		const placeholder = {
			name: `sending-${Date.now()}`, direction: "Outgoing", agent: frappe.session.user, text, status: "Sending",
			pending: true, creation: frappe.datetime.now_datetime(), files: [], edits: [],
		};
		this.sending.push(placeholder);
		this.busy = true;
		this.$input.val("");
		this.on_error(null);
		this.render();
		return server
			.call("tg_tickets.api.send_reply", Object.assign({ ticket, message: text, attachments: JSON.stringify(attachments) }, this.assist.payload()))
			.then(
				(result) => {
					this.assist.after_send();
					// Stored: Queued until delivery says Sent or Failed (the reload below and realtime bring that).
					Object.assign(placeholder, { name: result.messages[0] || placeholder.name, status: result.status, pending: false });
					this.render();
					this.sending = this.sending.filter((m) => m !== placeholder);
					return this.reload();
				},
				(error) => {
					this.sending = this.sending.filter((m) => m !== placeholder);
					if (this.ticket === ticket && !(this.$input.val() || "").trim()) this.$input.val(text);
					this.assist.render_preview();
					this.on_error(error.message);
					return this.reload();
				}
			)
			.finally(() => {
				this.busy = false;
				if (this.data) this.render_reply_box();
			});
	}

	upload() {
		new frappe.ui.FileUploader({
			doctype: "Ticket",
			docname: this.ticket,
			allow_multiple: false,
			on_success: (file) => {
				this.reload().then(() => this.$el.find(`.tg-reply-file[value="${file.name}"]`).prop("checked", true));
			},
		});
	}

	move(message) {
		return move_messages([message], { exclude: this.ticket }).then(
			() => this.after_action(),
			(error) => this.after_action(error)
		);
	}

	move_to(message, ticket) {
		return move_to_ticket([message], ticket).then(
			() => this.after_action(),
			(error) => this.after_action(error)
		);
	}

	after_action(error) {
		this.on_error(error ? error.message : null);
		return this.reload();
	}

	create_ticket(message) {
		return tickets_from_messages([message]).then(
			(tickets) => {
				this.on_ticket_created && this.on_ticket_created(tickets[0]);
				return this.after_action();
			},
			(error) => this.after_action(error)
		);
	}
}
