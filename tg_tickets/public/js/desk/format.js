// Badges and avatars shared by the table, the side sheet and the chat views (one formatter per thing).

const esc = (v) => frappe.utils.escape_html(v == null ? "" : String(v));

const STATUS_COLOURS = {
	NEW: "blue",
	OPEN: "orange",
	PENDING: "yellow",
	BLOCKED: "red",
	SOLVED: "green",
	CLOSED: "gray",
};
const PRIORITY_COLOURS = { LOW: "gray", MEDIUM: "blue", HIGH: "red" };
const SLA_COLOURS = { ON_TRACK: "green", AT_RISK: "orange", BREACHED: "red", PAUSED: "gray", MET: "blue" };
const SLA_LABELS = {
	ON_TRACK: __("On track"),
	AT_RISK: __("At risk"),
	BREACHED: __("Breached"),
	PAUSED: __("Paused"),
	MET: __("Met"),
};

function pill(colour, text, attrs = "") {
	return `<span class="indicator-pill ${colour} tg-pill" ${attrs}><span class="ellipsis">${esc(text)}</span></span>`;
}

// The deadline an SLA badge counts down to: first response until answered, then resolution.
function sla_due(doc) {
	if (!doc || ["MET", "PAUSED"].includes(doc.sla_state)) return null;
	if (doc.first_response_due && !doc.first_responded_at) return doc.first_response_due;
	if (doc.resolution_due && !doc.resolved_at) return doc.resolution_due;
	return null;
}

function system_moment(datetime) {
	const tz = frappe.boot.time_zone && frappe.boot.time_zone.system;
	return tz && moment.tz ? moment.tz(datetime, tz) : moment(datetime);
}

function duration_text(ms) {
	const minutes = Math.floor(Math.abs(ms) / 60000);
	const days = Math.floor(minutes / 1440);
	const hours = Math.floor((minutes % 1440) / 60);
	const mins = minutes % 60;
	if (days) return `${days}d ${hours}h`;
	if (hours) return `${hours}h ${mins}m`;
	return `${mins}m`;
}

export function sla_time_text(due) {
	const ms = system_moment(due).valueOf() - Date.now();
	return ms >= 0 ? __("{0} left", [duration_text(ms)]) : __("overdue {0}", [duration_text(ms)]);
}

export const badges = {
	esc,
	status(status) {
		if (!status) return "";
		return pill(STATUS_COLOURS[status] || "gray", __(status), `data-status="${esc(status)}"`);
	},
	priority(priority) {
		if (!priority) return "";
		return pill(PRIORITY_COLOURS[priority] || "gray", __(priority), `data-priority="${esc(priority)}"`);
	},
	sla(doc) {
		const state = doc && doc.sla_state;
		if (!state) return `<span class="text-muted">—</span>`;
		const due = sla_due(doc);
		const colour = SLA_COLOURS[state] || "gray";
		const time = due ? ` · <span class="tg-sla-time">${esc(sla_time_text(due))}</span>` : "";
		return `<span class="indicator-pill ${colour} tg-pill tg-sla" data-sla-state="${esc(state)}"
			${due ? `data-due="${esc(due)}"` : ""}><span class="ellipsis">${esc(SLA_LABELS[state] || state)}${time}</span></span>`;
	},
	sla_label(state) {
		return SLA_LABELS[state] || state || __("Not set");
	},
	ticket_id(name) {
		return `<span class="tg-ticket-id">#${esc(name)}</span>`;
	},
	user(user, { show_name = false } = {}) {
		if (!user) return `<span class="text-muted tg-unassigned">${__("Unassigned")}</span>`;
		const name = frappe.user.full_name(user);
		return `<span class="tg-user" title="${esc(name)}">${frappe.avatar(user, "avatar-small")}${
			show_name ? `<span class="tg-user-name ellipsis">${esc(name)}</span>` : ""
		}</span>`;
	},
	chat(chat) {
		const title = chat.title || chat.name;
		return `<a class="tg-chat-avatar" href="/app/linked-chat/${encodeURIComponent(chat.name)}"
			data-chat="${esc(chat.name)}" title="${esc(title)}${chat.username ? " @" + esc(chat.username) : ""}">
			${frappe.get_avatar("avatar-small", title, chat.photo)}</a>`;
	},
	// Up to `limit` chat avatars; a "+N more" button reveals the rest in place.
	chats(chats, limit = 3) {
		if (!chats || !chats.length) return `<span class="text-muted">—</span>`;
		const shown = chats.slice(0, limit).map((c) => badges.chat(c)).join("");
		const rest = chats.slice(limit);
		if (!rest.length) return `<span class="tg-chats">${shown}</span>`;
		return `<span class="tg-chats">${shown}<button class="btn btn-xs btn-default tg-more-chats"
			data-action="more-chats">${__("+{0} more", [rest.length])}</button><span class="tg-chats-rest hidden">${rest
			.map((c) => badges.chat(c))
			.join("")}</span></span>`;
	},
	when_by(datetime, user) {
		if (!datetime) return `<span class="text-muted">—</span>`;
		const shown = frappe.datetime.str_to_user(datetime); // a timezone conversion: once per cell
		return `<div class="tg-when-by ellipsis" title="${esc(shown)}">
			<span>${esc(shown.split(" ")[0])}</span>
			${user ? `<span class="text-muted"> · ${esc(frappe.user.full_name(user))}</span>` : ""}</div>`;
	},
	lines(text, max = 120) {
		const plain = strip_html(text || "").trim();
		if (!plain) return `<span class="text-muted">—</span>`;
		return `<span class="tg-lines" title="${esc(plain.slice(0, 500))}">${esc(
			plain.length > max ? plain.slice(0, max - 1) + "…" : plain
		)}</span>`;
	},
};
