frappe.query_reports["Canned Response Usage"] = {
	filters: [
		{ fieldname: "from_date", label: __("From"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -29) },
		{ fieldname: "to_date", label: __("To"), fieldtype: "Date", default: frappe.datetime.get_today() },
		{ fieldname: "show", label: __("Show"), fieldtype: "Select", options: ["Most used first", "Least used first", "Not used for 90 days"], default: "Most used first" },
	],
};
