frappe.query_reports["Ticket Audit Trail"] = {
	filters: [
		{ fieldname: "ticket", label: __("Ticket"), fieldtype: "Link", options: "Ticket" },
		{ fieldname: "user", label: __("User"), fieldtype: "Link", options: "User" },
		{ fieldname: "kind", label: __("What"), fieldtype: "Select", options: ["", "view", "change", "print", "export"] },
		{ fieldname: "since", label: __("Since"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -30) },
	],
};
