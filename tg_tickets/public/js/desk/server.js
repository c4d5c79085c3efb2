// Server calls that resolve with the result or reject with the server's own message (the base for rollbacks).

function messages_of(r) {
	try {
		const list = JSON.parse((r && r._server_messages) || "[]").map((m) => {
			try {
				return JSON.parse(m).message || m;
			} catch (e) {
				return m;
			}
		});
		return list.map((m) => frappe.utils.html2text ? frappe.utils.html2text(m) : strip_html(m)).join(" ");
	} catch (e) {
		return "";
	}
}

export const server = {
	call(method, args) {
		return new Promise((resolve, reject) => {
			frappe.call({
				method,
				args,
				callback: (r) => resolve(r.message),
				error: (r) => {
					const error = new Error(messages_of(r) || __("The server refused the change (not permitted)."));
					error.exc_type = r && r.exc_type;
					reject(error);
				},
			});
		});
	},
};
