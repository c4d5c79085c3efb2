// Escalate: an agent asks for help on a ticket, with a required reason; the server fires the escalation
// rules for agents' requests (tg_tickets.api.lifecycle.escalate) and refuses with its reason otherwise.
import { server } from "./server";

const OPEN_STATUSES = ["NEW", "OPEN", "PENDING", "BLOCKED"];

export function can_escalate(row) {
	return Boolean(row && OPEN_STATUSES.includes(row.status) && tg_tickets.actions().write);
}

export function escalate(ticket) {
	return new Promise((resolve, reject) => {
		const dialog = new frappe.ui.Dialog({
			title: __("Escalate ticket #{0}", [ticket]),
			fields: [
				{
					fieldname: "reason",
					fieldtype: "Small Text",
					label: __("Reason"),
					reqd: 1,
					description: __("Why the ticket needs more help: it goes into the ticket's history and to whoever is notified."),
				},
			],
			primary_action_label: __("Escalate"),
			primary_action: ({ reason }) => {
				dialog.get_primary_btn().prop("disabled", true);
				server.call("tg_tickets.api.lifecycle.escalate", { ticket, reason }).then(
					(result) => {
						dialog.hide();
						frappe.show_alert({ message: __("Escalated: {0}", [result.rules.join(", ")]), indicator: "orange" });
						resolve(result);
					},
					(error) => {
						dialog.get_primary_btn().prop("disabled", false);
						dialog.set_df_property("reason", "description", `<span class="text-danger tg-escalate-error">${frappe.utils.escape_html(error.message)}</span>`);
						reject(error);
					}
				);
			},
		});
		dialog.show();
	});
}
