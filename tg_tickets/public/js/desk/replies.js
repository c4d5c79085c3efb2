// Faster answers in the reply box (side sheet's Telegram tab and the full form): typing `/` opens a picker of
// canned responses filtered by shortcut and title; arrows + Enter insert the response filled for the ticket;
// placeholders without a value are highlighted and block sending until filled or removed; the preview shows
// what the customer will read in Telegram (the server's own parser: tg_tickets.api.replies.preview); suggested
// knowledge-base articles can be linked into the reply or sent as a Telegram URL button.
import { badges } from "./format";
import { server } from "./server";

const esc = badges.esc;
const SLASH_TOKEN = /(^|\s)(\/[\p{L}\p{N}_-]*)$/u;
const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\s*\}\}/g;
const ENTITY_TAGS = {
	bold: ["<b>", "</b>"],
	italic: ["<i>", "</i>"],
	underline: ["<u>", "</u>"],
	strike: ["<s>", "</s>"],
	code: ["<code>", "</code>"],
	pre: ["<pre>", "</pre>"],
	spoiler: ['<span class="tg-spoiler">', "</span>"],
	blockquote: ["<blockquote>", "</blockquote>"],
};

// Plain text + Telegram entities (offsets in UTF-16 units, which is how JavaScript indexes strings) → HTML.
export function entities_html(text, entities) {
	const opens = {};
	const closes = {};
	(entities || []).forEach((e) => {
		const [open, close] =
			e.kind === "text_link"
				? [`<a href="${esc(e.url)}" target="_blank" rel="noopener">`, "</a>"]
				: ENTITY_TAGS[e.kind] || ["", ""];
		(opens[e.offset] = opens[e.offset] || []).push(open);
		(closes[e.offset + e.length] = closes[e.offset + e.length] || []).unshift(close);
	});
	let html = "";
	for (let i = 0; i <= text.length; i++) {
		if (closes[i]) html += closes[i].join("");
		if (opens[i]) html += opens[i].join("");
		if (i < text.length) html += esc(text[i]);
	}
	return html.replace(PLACEHOLDER, (m) => `<mark class="tg-placeholder-missing">${m}</mark>`).replace(/\n/g, "<br>");
}

export function unfilled_placeholders(text) {
	const found = [];
	for (const match of (text || "").matchAll(PLACEHOLDER)) if (!found.includes(match[1])) found.push(match[1]);
	return found;
}

export class ReplyAssist {
	constructor(conversation) {
		this.conversation = conversation;
		this.$input = conversation.$input;
		const $reply = conversation.$el.find(".tg-reply");
		this.$suggestions = $(`<div class="tg-suggestions" aria-label="${__("Suggested articles")}"></div>`).insertBefore(
			$reply.find(".tg-reply-blocked")
		);
		this.$picker = $(`<div class="tg-picker dropdown-menu" role="listbox"></div>`).insertAfter(this.$input);
		this.$options = $(`<div class="tg-reply-options small">
			<label><input type="checkbox" class="tg-reply-formatted"> ${esc(__("Telegram formatting (HTML: <b>, <i>, <a href>…)"))}</label>
			<span class="text-muted">${__("Type / for canned responses")}</span>
		</div>`).insertAfter(this.$picker);
		this.$preview = $(`<div class="tg-reply-preview hidden">
			<div class="tg-reply-preview-label small text-muted">${__("Preview: what the customer receives in Telegram")}</div>
			<div class="tg-reply-preview-text"></div>
			<div class="tg-reply-preview-problem text-danger small"></div>
		</div>`).insertAfter(this.$options);
		this.$formatted = this.$options.find(".tg-reply-formatted");
		this.reset();
		this.search_soon = frappe.utils.debounce(() => this.search(), 120);
		this.preview_soon = frappe.utils.debounce(() => this.preview(), 200);
		this.suggest_soon = frappe.utils.debounce(() => this.suggest(), 600);
		this.bind();
	}

	reset() {
		this.used = new Set();
		this.labels = {};
		this.picker_items = [];
		this.picker_index = 0;
		this.token = null;
		this.problem = null;
		this.$formatted && this.$formatted.prop("checked", false);
		this.close_picker();
		this.render_preview();
	}

	bind() {
		this.$input.on("input click", () => {
			this.detect_token();
			this.render_preview();
			this.preview_soon();
			this.suggest_soon();
		});
		this.$formatted.on("change", () => {
			this.render_preview();
			this.preview();
		});
		this.$picker.on("mousedown", "[data-response]", (e) => {
			e.preventDefault();
			this.insert($(e.currentTarget).attr("data-response"));
		});
		this.$suggestions.on("click", "[data-action='insert-link']", (e) => this.insert_link($(e.currentTarget).closest("[data-article]")));
		this.$suggestions.on("click", "[data-action='send-button']", (e) =>
			this.send_button($(e.currentTarget).closest("[data-article]").attr("data-article"))
		);
		this.$input.on("blur", () => setTimeout(() => this.close_picker(), 150));
	}

	// Keys the picker takes while open; true when handled (the reply box must not act on them too).
	keydown(e) {
		if (!this.picker_open()) return false;
		if (e.key === "ArrowDown" || e.key === "ArrowUp") {
			const n = this.picker_items.length;
			this.picker_index = (this.picker_index + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
			this.render_picker();
		} else if (e.key === "Enter" || e.key === "Tab") {
			this.insert(this.picker_items[this.picker_index].name);
		} else if (e.key === "Escape") {
			this.close_picker();
		} else {
			return false;
		}
		e.preventDefault();
		e.stopPropagation();
		return true;
	}

	show(ticket) {
		this.ticket = ticket;
		this.reset();
		this.suggest();
	}

	// --- the / picker ---

	detect_token() {
		const el = this.$input.get(0);
		const before = el.value.slice(0, el.selectionStart);
		const match = SLASH_TOKEN.exec(before);
		if (!match) {
			this.token = null;
			return this.close_picker();
		}
		this.token = { start: before.length - match[2].length, end: el.selectionStart, query: match[2] };
		this.search_soon();
	}

	search() {
		const token = this.token;
		if (!token) return;
		return server.call("tg_tickets.api.replies.search_responses", { query: token.query }).then((items) => {
			if (this.token !== token) return;
			this.picker_items = items || [];
			this.picker_index = 0;
			this.render_picker();
		}, (error) => this.conversation.on_error(error.message));
	}

	picker_open() {
		return this.token && this.picker_items.length && this.$picker.hasClass("show");
	}

	render_picker() {
		if (!this.token || !this.picker_items.length) return this.close_picker();
		this.$picker
			.html(
				this.picker_items
					.map(
						(r, i) => `<a class="dropdown-item tg-picker-item ${i === this.picker_index ? "active" : ""}" role="option"
							aria-selected="${i === this.picker_index}" data-response="${esc(r.name)}">
							<span class="tg-picker-shortcut">${esc(r.shortcut)}</span>
							<span class="tg-picker-title">${esc(r.title)}</span>
							<span class="text-muted small tg-picker-scope">${esc(r.scope === "Team" ? r.team : __(r.scope))}</span></a>`
					)
					.join("")
			)
			.addClass("show");
	}

	close_picker() {
		this.$picker && this.$picker.removeClass("show").empty();
	}

	insert(response) {
		const token = this.token;
		this.close_picker();
		if (!token || !this.ticket) return;
		return server.call("tg_tickets.api.replies.fill_response", { ticket: this.ticket, response }).then((filled) => {
			const value = this.$input.val();
			const text = value.slice(0, token.start) + filled.text + value.slice(token.end);
			this.$input.val(text).trigger("focus");
			const caret = token.start + filled.text.length;
			this.$input.get(0).setSelectionRange(caret, caret);
			this.token = null;
			this.used.add(filled.response);
			Object.assign(this.labels, filled.labels || {});
			// Responses are Telegram HTML: the reply is sent formatted from now on.
			this.$formatted.prop("checked", true);
			this.render_preview();
			this.preview();
		}, (error) => this.conversation.on_error(error.message));
	}

	// --- preview and the missing-placeholder guard ---

	formatted() {
		return this.$formatted.prop("checked");
	}

	unfilled() {
		return unfilled_placeholders(this.$input.val());
	}

	// Shown at once from what is known locally (plain text is sent as it is); formatted text waits for the
	// server's parse, which is exactly what delivery uses.
	render_preview(result) {
		if (!this.$preview) return;
		const text = (this.$input.val() || "").trim();
		this.$preview.toggleClass("hidden", !text);
		const unfilled = unfilled_placeholders(text);
		this.$input.toggleClass("tg-reply-has-missing", unfilled.length > 0);
		if (!this.formatted()) {
			this.problem = null;
			this.$preview.find(".tg-reply-preview-text").html(entities_html(text, []));
		} else if (result && result.source === text) {
			this.problem = result.error;
			this.$preview.find(".tg-reply-preview-text").html(result.error ? esc(text) : entities_html(result.text, result.entities));
		}
		const problems = [];
		if (unfilled.length)
			problems.push(
				__("Fill or remove before sending: {0}", [
					unfilled.map((n) => `{{${n}}}` + (this.labels[n] && this.labels[n] !== n ? ` (${this.labels[n]})` : "")).join(", "),
				])
			);
		if (this.problem) problems.push(__("Telegram would refuse this formatting: {0}", [this.problem]));
		this.$preview.find(".tg-reply-preview-problem").text(problems.join(" "));
		this.$preview.toggleClass("tg-reply-preview-blocked", problems.length > 0);
	}

	preview() {
		const text = (this.$input.val() || "").trim();
		if (!this.formatted() || !text) return Promise.resolve();
		return server.call("tg_tickets.api.replies.preview", { text }).then(
			(result) => this.render_preview(Object.assign(result, { source: text })),
			() => {}
		);
	}

	// Why the reply may not go yet (the server refuses it too), or null.
	blocked() {
		const unfilled = this.unfilled();
		if (unfilled.length) return __("Fill or remove the placeholders before sending: {0}", [unfilled.map((n) => `{{${n}}}`).join(", ")]);
		return null;
	}

	payload() {
		return { formatted: this.formatted() ? 1 : 0, canned_responses: JSON.stringify(Array.from(this.used)) };
	}

	after_send() {
		this.used = new Set();
		this.$formatted.prop("checked", false);
		this.render_preview();
		this.suggest();
	}

	// --- suggested articles ---

	suggest() {
		const ticket = this.ticket;
		if (!ticket) return;
		const request = (this.suggest_requests = (this.suggest_requests || 0) + 1);
		return Promise.all([
			server.call("tg_tickets.api.replies.suggest_articles", { ticket, draft: this.$input.val() || "" }),
			server.call("tg_tickets.api.replies.sent_articles", { ticket }),
		]).then(
			([articles, sent]) => {
				if (this.ticket !== ticket || request !== this.suggest_requests) return;
				this.articles = articles || [];
				this.sent = sent || [];
				this.render_suggestions();
			},
			() => {}
		);
	}

	render_suggestions() {
		const can_reply = this.conversation.data ? this.conversation.data.can_reply : false;
		const sent = this.sent || [];
		const sent_names = new Set(sent.map((s) => s.article));
		const sent_html = sent.length
			? `<div class="tg-articles-sent small text-muted">${__("Sent on this ticket")}: ${sent
					.map((s) => `<span data-sent-article="${esc(s.article)}">${esc(s.title)} (${esc(__(s.how))})</span>`)
					.join(", ")}</div>`
			: "";
		if (!this.articles.length) return this.$suggestions.html(sent_html);
		this.$suggestions.html(`${sent_html}<div class="tg-suggestions-title small text-muted">${__("Suggested articles")}</div>
			${this.articles
				.map(
					(a) => `<div class="tg-suggestion" data-article="${esc(a.name)}" data-url="${esc(a.url)}" data-title="${esc(a.title)}">
						<a class="tg-suggestion-title" href="${esc(a.url)}" target="_blank" rel="noopener">${esc(a.title)}</a>
						${a.category ? `<span class="text-muted small">${esc(a.category)}</span>` : ""}
						${sent_names.has(a.name) ? `<span class="indicator-pill green small">${__("sent")}</span>` : ""}
						<button class="btn btn-xs btn-default" data-action="insert-link" ${can_reply ? "" : "disabled"}>${__("Insert link")}</button>
						<button class="btn btn-xs btn-default" data-action="send-button" ${can_reply ? "" : "disabled"}>${__("Send as button")}</button>
					</div>`
				)
				.join("")}`);
	}

	insert_link($article) {
		const url = $article.attr("data-url");
		const title = $article.attr("data-title");
		const link = this.formatted() ? `<a href="${esc(url)}">${esc(title)}</a>` : url;
		const el = this.$input.get(0);
		const value = this.$input.val();
		const at = el.selectionStart === undefined ? value.length : el.selectionEnd;
		const before = value.slice(0, at);
		const text = before + (before && !/\s$/.test(before) ? " " : "") + link + value.slice(at);
		this.$input.val(text).trigger("focus");
		this.render_preview();
		this.preview();
	}

	send_button(article) {
		const ticket = this.ticket;
		this.conversation.on_error(null);
		return server.call("tg_tickets.api.replies.send_article_button", { ticket, article }).then(
			() => {
				this.suggest();
				return this.conversation.reload();
			},
			(error) => this.conversation.on_error(error.message)
		);
	}
}
