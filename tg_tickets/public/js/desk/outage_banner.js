// Outage mode in the desk: a banner under the navbar on every page while Telegram is not answering (since when,
// what is affected, how many replies wait), gone by itself once it answers again. Its data comes with the boot,
// from tg_tickets.api.telegram.status on the server's tg_telegram_status event, and every 30 s while shown.
import { server } from "./server";

const AREA_LABELS = { inbound: __("customers' messages"), outbound: __("replies"), topics: __("forum topics") };

export const outage_banner = {
	status: null,
	mount() {
		const boot = frappe.boot.tg_tickets;
		if (!boot || !boot.actions || !boot.actions.read || this.mounted) return;
		this.mounted = true;
		this.show(boot.telegram_status || { active: false });
		frappe.realtime.on("tg_telegram_status", () => this.refresh());
		// Events sent while the socket was (re)connecting are lost: catch up once it is connected again.
		if (frappe.realtime.socket) frappe.realtime.socket.on("connect", () => this.refresh());
		setInterval(() => this.status && this.status.active && this.refresh(), 30000);
	},
	refresh() {
		return server.call("tg_tickets.api.telegram.status").then((status) => this.show(status));
	},
	show(status) {
		this.status = status;
		let $banner = $(".tg-outage-banner");
		if (!status.active) {
			$banner.remove();
			return;
		}
		if (!$banner.length) {
			$banner = $('<div class="tg-outage-banner alert alert-warning" role="alert"></div>');
			$("#body").before($banner);
		}
		const since = frappe.datetime.str_to_user(status.since);
		const ago = frappe.datetime.comment_when(status.since);
		const affected = status.affected.map((a) => AREA_LABELS[a] || a).join(", ");
		const admin = frappe.boot.tg_tickets.actions.manage_sla; // admins and owners
		$banner.html(`
			<b>${__("Telegram is not answering")}</b>
			<span class="tg-outage-since">${__("since {0}", [since])} (${ago})</span> ·
			<span class="tg-outage-affected">${__("affected: {0}", [affected])}</span> ·
			<span class="tg-outage-queued">${__("{0} replies queued", [status.queued_replies])}</span>
			— ${__("they go out in order once Telegram answers. Urgent? E-mail the customer from the ticket (New Email).")}
			${admin ? `<a class="tg-outage-link" href="/app/telegram-outage/${encodeURIComponent(status.name)}">${__("Details")}</a>` : ""}
		`);
		$banner.attr("title", status.reason || "");
	},
};
