// Actions on Telegram messages shared by the side sheet, the Telegram Message list and its form: move
// messages to a ticket chosen in a picker, or make a ticket of each. The server checks every call
// (tg_tickets.api.telegram); a refusal rejects with its message and stops the rest.
import { server } from "./server";

// One call after the other, in the order given.
function in_order(names, call) {
	const results = [];
	return names.reduce((done, name) => done.then(() => call(name).then((r) => results.push(r))), Promise.resolve()).then(() => results);
}

export function move_to_ticket(names, ticket) {
	return in_order(names, (message) => server.call("tg_tickets.api.telegram.move_message", { message, ticket })).then(() => {
		frappe.show_alert({ message: __("Moved to {0}", ["#" + ticket]), indicator: "green" });
		return ticket;
	});
}

// Resolves with the chosen ticket once every message moved; resolves with null when the picker is closed.
export function move_messages(names, { exclude } = {}) {
	return new Promise((resolve, reject) => {
		let chosen = false;
		const dialog = new frappe.ui.Dialog({
			title: names.length > 1 ? __("Move {0} messages to another ticket", [names.length]) : __("Move message to another ticket"),
			fields: [
				{
					fieldname: "ticket",
					fieldtype: "Link",
					options: "Ticket",
					label: __("Ticket"),
					reqd: 1,
					get_query: () => (exclude ? { filters: { name: ["!=", exclude] } } : {}),
				},
			],
			primary_action_label: __("Move"),
			primary_action: () => {
				const ticket = picked || dialog.get_value("ticket");
				if (!ticket) return;
				chosen = true;
				dialog.hide();
				move_to_ticket(names, ticket).then(resolve, reject);
			},
			on_hide: () => chosen || resolve(null),
		});
		// A picked ticket shows its title; Frappe's field holds the ID only after validating the pick with a
		// request, so the ID is taken from the pick itself (typing again forgets it).
		let picked = null;
		dialog.fields_dict.ticket.$input
			.on("awesomplete-selectcomplete", (e) => {
				const value = e.originalEvent.text.value;
				picked = value.includes("__link_option") ? null : value; // "Create new…", "Advanced search"
			})
			.on("input", () => (picked = null));
		dialog.$wrapper.addClass("tg-move-dialog");
		dialog.show();
	});
}

export function tickets_from_messages(names) {
	return in_order(names, (message) => server.call("tg_tickets.api.telegram.create_ticket_from_message", { message })).then(
		(results) => {
			const tickets = results.map((r) => "#" + r.ticket).join(", ");
			frappe.show_alert({ message: __("Created {0} from the message(s)", [tickets]), indicator: "green" });
			return results.map((r) => r.ticket);
		}
	);
}
