// Routing in the desk: the navbar's availability switch (one click: Online / Away / Offline), the heartbeat
// that keeps an active agent from going Offline when idle, the Claim action, and the queue dashboard that
// the Tickets workspace shows (a Custom HTML Block mounts it). Server: tg_tickets/api/routing.py.

import { server } from "./server";

const AVAILABILITIES = ["Online", "Away", "Offline"];
const HEARTBEAT_MS = 60 * 1000;

function state() {
	return frappe.boot.tg_routing || null;
}

// --- the navbar switch ------------------------------------------------------------------------------

export const availability = {
	mount() {
		if (!state() || document.querySelector(".tg-availability")) return;
		const $nav = $(".navbar .navbar-collapse .navbar-nav").first();
		if (!$nav.length) return;
		this.$el = $(`<li class="nav-item tg-availability" title="${__("Your availability for new tickets")}">
			<div class="btn-group btn-group-sm" role="group" aria-label="${__("Availability")}">
				${AVAILABILITIES.map(
					(a) => `<button type="button" class="btn btn-default tg-availability-${a.toLowerCase()}"
						data-availability="${a}"><span class="tg-dot"></span>${__(a)}</button>`
				).join("")}
			</div></li>`);
		$nav.prepend(this.$el);
		this.$el.on("click", "button", (e) => this.set($(e.currentTarget).attr("data-availability")));
		this.render();
		this.watch_activity();
	},

	render() {
		if (!this.$el) return;
		const current = state().availability;
		this.$el.attr("data-current", current);
		this.$el.find("button").each((_, button) => {
			const active = button.dataset.availability === current;
			button.classList.toggle("active", active);
			button.setAttribute("aria-pressed", active ? "true" : "false");
		});
	},

	set(value) {
		const previous = state().availability;
		if (value === previous) return;
		state().availability = value; // optimistic; rolled back if the server refuses
		this.render();
		server.call("tg_tickets.api.routing.set_availability", { availability: value }).catch((error) => {
			state().availability = previous;
			this.render();
			frappe.show_alert({ message: error.message, indicator: "red" });
		});
	},

	// Activity in the last minute sends one heartbeat; an idle desk sends none, so the server's idle rule
	// (Tickets Settings → Offline after idle) takes the agent Offline.
	watch_activity() {
		let active = true;
		["mousemove", "keydown", "click", "scroll"].forEach((name) =>
			window.addEventListener(name, () => (active = true), { passive: true })
		);
		setInterval(() => {
			if (!active || document.hidden) return;
			active = false;
			server
				.call("tg_tickets.api.routing.heartbeat", {})
				.then((r) => {
					if (r && r.availability && r.availability !== state().availability) {
						state().availability = r.availability;
						this.render();
					}
				})
				.catch(() => {});
		}, HEARTBEAT_MS);
	},
};

// --- Claim ---------------------------------------------------------------------------------------------

export function claim(ticket_name) {
	return server.call("tg_tickets.api.routing.claim", { ticket: ticket_name }).then(
		(row) => {
			frappe.show_alert({ message: __("You took ticket #{0}", [ticket_name]), indicator: "green" });
			if (state()) state().open_tickets = (state().open_tickets || 0) + 1;
			return row;
		},
		(error) => {
			frappe.show_alert({ message: error.message, indicator: "orange" }, 7);
			throw error;
		}
	);
}

export function can_claim(row) {
	const s = state();
	if (!s || !row || row.assigned_to) return false;
	if (["SOLVED", "CLOSED"].includes(row.status)) return false;
	const admin = ["Tickets Admin", "Tickets Owner"].includes((tg_tickets.actions() || {}).role);
	return !row.team || admin || (s.teams || []).includes(row.team);
}

// --- the queue dashboard -------------------------------------------------------------------------------

function wait_text(seconds) {
	if (seconds === null || seconds === undefined) return "—";
	if (seconds < 60) return __("{0} s", [seconds]);
	if (seconds < 3600) return __("{0} min", [Math.floor(seconds / 60)]);
	if (seconds < 86400) return __("{0} h {1} min", [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60)]);
	return __("{0} d {1} h", [Math.floor(seconds / 86400), Math.floor((seconds % 86400) / 3600)]);
}

// The ticket table filtered to exactly the rows behind a number.
export function open_filtered(filters) {
	frappe.route_options = {};
	filters.forEach(([, field, op, value]) => (frappe.route_options[field] = [op, value]));
	frappe.set_route("List", "Ticket", "List");
}

export class QueueDashboard {
	constructor(root) {
		this.root = root;
		this.$root = $(root);
		this.refresh = frappe.utils.debounce(() => this.load(), 500);
		frappe.realtime.on("tg_queue_changed", this.refresh);
		frappe.realtime.on("list_update", (data) => data && data.doctype === "Ticket" && this.refresh());
		this.load();
	}

	load() {
		const s = state();
		if (!s || !s.sees_queue) {
			this.$root.html(`<div class="tg-queue-note">${__("The queue dashboard is for team supervisors, admins and owners.")}</div>`);
			return;
		}
		server.call("tg_tickets.api.routing.queue_dashboard", {}).then(
			(data) => this.render(data),
			(error) => this.$root.html(`<div class="tg-queue-note">${frappe.utils.escape_html(error.message)}</div>`)
		);
	}

	render(data) {
		this.data = data;
		const esc = frappe.utils.escape_html;
		const number = (value, key) =>
			`<a href="#" class="tg-queue-number" data-key="${key}">${value}</a>`;
		this.links = {};
		const queues = data.queues
			.map((q, i) => {
				this.links[`q${i}`] = q.filters;
				return `<tr data-team="${esc(q.team || "")}">
					<td>${esc(q.team || __("No team"))}</td><td class="text-muted">${esc(q.model || "")}</td>
					<td class="tg-queue-waiting">${number(q.waiting, `q${i}`)}</td>
					<td>${wait_text(q.oldest_wait_seconds)}</td><td>${wait_text(q.average_wait_seconds)}</td>
					<td>${data.can_assign && q.waiting ? `<button class="btn btn-xs btn-default tg-queue-assign" data-key="q${i}">${__("Assign…")}</button>` : ""}</td>
				</tr>`;
			})
			.join("");
		const agents = data.agents
			.map((a, i) => {
				this.links[`a${i}`] = a.filters;
				return `<tr class="tg-load-${a.load}" data-user="${esc(a.user)}">
					<td>${esc(a.full_name || a.user)}</td>
					<td><span class="tg-dot tg-dot-${a.availability.toLowerCase()}"></span>${__(a.availability)}</td>
					<td class="tg-agent-open">${number(a.open, `a${i}`)} / ${a.capacity}</td>
					<td>${a.load === "overloaded" ? `<span class="tg-overloaded">${__("Overloaded")}</span>` : a.load === "full" ? __("Full") : ""}</td>
				</tr>`;
			})
			.join("");
		this.links.breach = data.about_to_breach.filters;
		const breach = data.about_to_breach.tickets
			.map((t) => `<li><a href="#" class="tg-queue-ticket" data-name="${esc(t.name)}">#${esc(t.name)}</a> ${esc(t.title || "")}
				<span class="text-muted">${esc(t.team || "")} · ${t.assigned_to ? esc(t.assigned_to) : __("unassigned")}</span></li>`)
			.join("");
		this.$root.html(`<div class="tg-queue">
			<div class="tg-queue-col"><h5>${__("Waiting per team")}</h5>
				<table class="table table-sm"><thead><tr><th>${__("Team")}</th><th>${__("Model")}</th><th>${__("Waiting")}</th>
				<th>${__("Oldest")}</th><th>${__("Average")}</th><th></th></tr></thead><tbody>${queues}</tbody></table></div>
			<div class="tg-queue-col"><h5>${__("Agents")}</h5>
				<table class="table table-sm"><thead><tr><th>${__("Agent")}</th><th>${__("Availability")}</th>
				<th>${__("Open / capacity")}</th><th></th></tr></thead><tbody>${agents}</tbody></table></div>
			<div class="tg-queue-col"><h5>${__("About to breach")}: <span class="tg-queue-breach">${number(data.about_to_breach.count, "breach")}</span></h5>
				<ul class="tg-queue-breach-list">${breach}</ul></div>
		</div>`);
		this.$root.find(".tg-queue-number").on("click", (e) => {
			e.preventDefault();
			open_filtered(this.links[e.currentTarget.dataset.key]);
		});
		this.$root.find(".tg-queue-ticket").on("click", (e) => {
			e.preventDefault();
			frappe.set_route("Form", "Ticket", e.currentTarget.dataset.name);
		});
		this.$root.find(".tg-queue-assign").on("click", (e) => this.assign_dialog(this.links[e.currentTarget.dataset.key]));
	}

	// The supervisor's hand: pick waiting tickets of a team (oldest first) and the agent who takes them.
	assign_dialog(filters) {
		frappe.db.get_list("Ticket", { filters, fields: ["name", "title"], order_by: "waiting_since asc", limit: 100 }).then((rows) => {
			const dialog = new frappe.ui.Dialog({
				title: __("Assign from the queue"),
				fields: [
					{ fieldname: "agent", fieldtype: "Link", options: "User", label: __("Agent"), reqd: 1 },
					{
						fieldname: "tickets", fieldtype: "MultiCheck", label: __("Tickets (oldest first)"), reqd: 1,
						options: rows.map((r) => ({ label: `#${r.name} ${r.title || ""}`, value: r.name, checked: 0 })),
					},
				],
				primary_action_label: __("Assign"),
				primary_action: (values) => {
					server.call("tg_tickets.api.routing.assign_from_queue", { tickets: values.tickets, agent: values.agent }).then(
						(r) => {
							dialog.hide();
							frappe.show_alert({ message: __("{0} tickets assigned", [r.assigned.length]), indicator: "green" });
							this.load();
						},
						(error) => frappe.msgprint(error.message)
					);
				},
			});
			dialog.show();
		});
	}
}

export function mount_queue_dashboard(root) {
	const target = root.querySelector ? root.querySelector(".tg-queue-root") || root : root;
	return new QueueDashboard(target);
}

$(document).on("toolbar_setup", () => availability.mount());
// The toolbar may already be set up when the bundle runs (boot order): mount once the desk is ready.
$(() => setTimeout(() => availability.mount(), 0));
