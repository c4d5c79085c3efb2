// Optimistic single-field edits shared by the table and the side sheet: every view that shows a ticket
// listens here, sees the new value at once, then either the saved row or a visible rollback.
import { server } from "./server";

const listeners = new Set();

export const ticket_store = {
	on(listener) {
		listeners.add(listener);
		return () => listeners.delete(listener);
	},

	emit(name, changes, info = {}) {
		listeners.forEach((listener) => listener(name, changes, info));
	},

	// `value` goes to the server; `display` (optional) is what views show meanwhile (e.g. chat objects
	// for a list of chat names); `previous` is restored when the server says no.
	set_field(name, fieldname, value, { previous, display } = {}) {
		this.emit(name, { [fieldname]: display !== undefined ? display : value }, { pending: fieldname });
		const payload = Array.isArray(value) ? JSON.stringify(value) : value;
		return server.call("tg_tickets.api.ticket.set_field", { name, fieldname, value: payload }).then(
			(row) => {
				this.emit(name, row, { saved: fieldname });
				return row;
			},
			(error) => {
				this.emit(name, { [fieldname]: previous }, { rolled_back: fieldname, message: error.message });
				// The refusal may come from a change made elsewhere (e.g. the ticket was closed meanwhile):
				// show the ticket as the server has it now.
				this.get_row(name).then((row) => this.emit(name, row, { refreshed: true }), () => {});
				throw error;
			}
		);
	},

	// `opened`: the side sheet opens the ticket (the server records the view for the audit trail)
	get_row(name, opened) {
		return server.call("tg_tickets.api.ticket.get_row", opened ? { name, opened: 1 } : { name });
	},
};
