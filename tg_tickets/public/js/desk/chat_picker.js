// Linked-chat picker used by the side sheet and the new-ticket form: chips (avatar, name, remove) plus a
// search box over chat name, @username and account id (tg_tickets.api.chat.search_chats).
import { badges } from "./format";
import { server } from "./server";

const esc = badges.esc;

export class ChatPicker {
	constructor({ parent, chats = [], on_change, read_only = false }) {
		this.chats = chats.slice();
		this.on_change = on_change;
		this.read_only = read_only;
		this.$wrapper = $(`<div class="tg-chat-picker">
			<div class="tg-chat-chips"></div>
			<div class="tg-chat-search-wrap">
				<input type="text" class="form-control input-xs tg-chat-search" autocomplete="off"
					placeholder="${__("Add chat: name, @username or account id")}">
				<ul class="tg-chat-results"></ul>
			</div>
		</div>`).appendTo(parent);
		this.$chips = this.$wrapper.find(".tg-chat-chips");
		this.$input = this.$wrapper.find(".tg-chat-search");
		this.$results = this.$wrapper.find(".tg-chat-results");
		this.bind();
		this.render();
	}

	bind() {
		const search = frappe.utils.debounce(() => this.search(), 250);
		this.$input.on("input focus", search);
		this.$input.on("keydown", (e) => {
			if (e.key === "Escape") this.$results.removeClass("open");
		});
		// Closed by a click elsewhere, not on blur: dialogs move focus around while they settle.
		$(document).on("mousedown", (e) => {
			if (!$(e.target).closest(this.$wrapper).length) this.$results.removeClass("open");
		});
		this.$results.on("mousedown", ".tg-chat-result", (e) => {
			e.preventDefault();
			const chat = $(e.currentTarget).data("chat");
			this.$input.val("");
			this.$results.removeClass("open");
			if (!this.chats.some((c) => c.name === chat.name)) this.set([...this.chats, chat], true);
		});
		this.$chips.on("click", ".tg-chat-remove", (e) => {
			e.preventDefault();
			const name = String($(e.currentTarget).data("chat"));
			this.set(this.chats.filter((c) => c.name !== name), true);
		});
	}

	search() {
		const txt = this.$input.val();
		server.call("tg_tickets.api.chat.search_chats", { txt }).then((rows) => {
			if (this.$input.val() !== txt) return;
			const taken = new Set(this.chats.map((c) => c.name));
			const items = rows.filter((r) => !taken.has(r.name));
			this.$results.empty();
			if (!items.length) {
				this.$results.append(`<li class="text-muted tg-chat-none">${__("No chats found")}</li>`);
			}
			items.forEach((chat) => {
				$(`<li><a class="tg-chat-result" href="#">
					${frappe.get_avatar("avatar-xs", chat.title, chat.photo)}
					<span class="tg-chat-title">${esc(chat.title)}</span>
					<span class="text-muted small">${chat.username ? "@" + esc(chat.username) + " · " : ""}${esc(chat.name)}</span>
				</a></li>`)
					.find("a")
					.data("chat", chat)
					.end()
					.appendTo(this.$results);
			});
			this.$results.addClass("open");
		});
	}

	set(chats, from_user = false) {
		const previous = this.chats;
		this.chats = chats.slice();
		this.render();
		if (from_user && this.on_change) this.on_change(this.chats, previous);
	}

	set_read_only(read_only) {
		this.read_only = read_only;
		this.render();
	}

	names() {
		return this.chats.map((c) => c.name);
	}

	render() {
		this.$wrapper.find(".tg-chat-search-wrap").toggle(!this.read_only);
		this.$chips.html(
			this.chats.length
				? this.chats
						.map(
							(chat) => `<span class="tg-chat-chip" data-chat="${esc(chat.name)}">
						${badges.chat(chat)}
						<a href="/app/linked-chat/${encodeURIComponent(chat.name)}" class="tg-chat-chip-title">${esc(chat.title || chat.name)}</a>
						${this.read_only ? "" : `<a href="#" class="tg-chat-remove" data-chat="${esc(chat.name)}" title="${__("Unlink")}">×</a>`}
					</span>`
						)
						.join("")
				: `<span class="text-muted small">${__("No linked chats")}</span>`
		);
	}
}
