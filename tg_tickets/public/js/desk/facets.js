// Faceted filters above the ticket table: status, priority, assignee, SLA state, linked chats and every
// custom select/check/multiselect field, each with counts for the current filters (get_group_by_count, ticket-aware).
import { badges } from "./format";

const esc = badges.esc;

function facet_fields() {
	const meta = frappe.get_meta("Ticket");
	const has = (f) => meta.fields.some((df) => df.fieldname === f);
	const facets = [
		{ fieldname: "status", label: __("Status") },
		{ fieldname: "priority", label: __("Priority") },
		{ fieldname: "assigned_to", label: __("Assignee") },
	].filter((f) => has(f.fieldname));
	if (has("sla_state")) facets.push({ fieldname: "sla_state", label: __("SLA") });
	meta.fields
		.filter((df) => df.fieldname === "chats" || (df.is_custom_field && !df.hidden))
		.forEach((df) => {
			if (["Select", "Check"].includes(df.fieldtype)) {
				facets.push({ fieldname: df.fieldname, label: __(df.label), fieldtype: df.fieldtype });
			} else if (df.fieldtype === "Table MultiSelect") {
				// A multiselect (the linked chats or a workspace's own): filtered through its child table's link.
				const link = (frappe.get_meta(df.options)?.fields || []).find((f) => f.fieldtype === "Link");
				if (link) {
					facets.push({
						fieldname: df.fieldname, label: __(df.label), fieldtype: df.fieldtype,
						filter_doctype: df.options, filter_field: link.fieldname,
					});
				}
			}
		});
	return facets;
}

export class FacetBar {
	constructor(listview) {
		this.listview = listview;
		this.facets = facet_fields();
		// Their own row under Frappe's filter bar, so standard filters keep their width.
		this.$wrapper = $(`<div class="tg-facets"></div>`).insertAfter(listview.page.page_form);
		this.render();
		this.$wrapper.on("show.bs.dropdown", ".tg-facet", (e) => this.load($(e.currentTarget)));
		this.$wrapper.on("click", ".tg-facet-value", (e) => {
			e.preventDefault();
			const $item = $(e.currentTarget);
			const facet = this.facet($item.closest(".tg-facet").attr("data-facet"));
			this.apply(facet, decodeURIComponent($item.attr("data-value")), $item.hasClass("selected"));
		});
		this.$wrapper.on("click", ".tg-facet-clear", (e) => {
			e.preventDefault();
			e.stopPropagation();
			this.apply(this.facet($(e.currentTarget).closest(".tg-facet").attr("data-facet")), null, true);
		});
	}

	facet(fieldname) {
		return this.facets.find((f) => f.fieldname === fieldname);
	}

	filter_field(facet) {
		return facet.filter_field || facet.fieldname;
	}

	current_value(facet) {
		const field = this.filter_field(facet);
		const doctype = facet.filter_doctype || "Ticket";
		const f = this.listview.filter_area
			.get()
			.find((f) => f[0] === doctype && f[1] === field && f[2] === "=");
		return f ? String(f[3]) : null;
	}

	render() {
		this.$wrapper.html(
			this.facets
				.map((facet) => {
					const value = this.current_value(facet);
					const shown = value !== null ? `: ${esc(this.label(facet, value, value))}` : "";
					return `<div class="dropdown tg-facet" data-facet="${facet.fieldname}">
						<button class="btn btn-default btn-xs dropdown-toggle ${value !== null ? "btn-facet-active" : ""}"
							data-toggle="dropdown" aria-haspopup="true" aria-expanded="false">
							${esc(facet.label)}${shown}
							${value !== null ? `<span class="tg-facet-clear" title="${__("Clear")}">×</span>` : ""}
						</button>
						<ul class="dropdown-menu tg-facet-menu"></ul>
					</div>`;
				})
				.join("")
		);
	}

	label(facet, value, title) {
		if (facet.fieldname === "assigned_to") return value ? frappe.user.full_name(value) : __("Unassigned");
		if (facet.fieldname === "sla_state") return badges.sla_label(value);
		if (facet.fieldtype === "Check") return String(value) === "1" ? __("Yes") : __("No");
		if (value === null || value === "") return __("Not set");
		return __(title || value);
	}

	load($facet) {
		const facet = this.facet($facet.attr("data-facet"));
		const field = this.filter_field(facet);
		const $menu = $facet.find(".tg-facet-menu").html(`<li class="text-muted tg-facet-loading">${__("Loading...")}</li>`);
		// Counts for this facet under every other filter, as faceted search does.
		const current_filters = this.listview.get_filters_for_args().filter((f) => f[1] !== field);
		frappe
			.xcall("frappe.desk.listview.get_group_by_count", {
				doctype: "Ticket",
				current_filters,
				field: facet.fieldname,
			})
			.then((rows) => {
				const selected = this.current_value(facet);
				rows = (rows || []).filter((r) => r.count);
				$menu.html(
					rows.length
						? rows
								.map((r) => {
									const value = r.name === null || r.name === undefined ? "" : String(r.name);
									const is_selected = selected !== null && selected === value;
									return `<li><a href="#" class="dropdown-item tg-facet-value ${is_selected ? "selected" : ""}"
										data-value="${encodeURIComponent(value)}">
										<span class="tg-facet-label">${esc(this.label(facet, r.name, r.title))}</span>
										<span class="tg-facet-count">${r.count}</span></a></li>`;
								})
								.join("")
						: `<li class="text-muted tg-facet-empty">${__("No values")}</li>`
				);
			});
	}

	apply(facet, value, deselect) {
		const field = this.filter_field(facet);
		const doctype = facet.filter_doctype || "Ticket";
		const filter_area = this.listview.filter_area;
		return this.remove_filter(doctype, field)
			.then(() => {
				if (deselect || value === null) return;
				const filter = value === "" && facet.fieldtype !== "Check" ? [doctype, field, "is", "not set"] : [doctype, field, "=", value];
				if (doctype === "Ticket") return filter_area.add([filter]);
				// filter_area.add would take a child field named like a standard Ticket filter ("category")
				// for that Ticket field: child-table filters go straight to the filter list.
				return filter_area.filter_list.add_filters([filter]).then(() => this.listview.refresh());
			})
			.then(() => this.render());
	}

	// Frappe's filter_area.remove(fieldname) ignores the doctype, likewise: a multiselect's child field named
	// like a Ticket field (both "category") would take the other filter with it.
	remove_filter(doctype, field) {
		const filter_list = this.listview.filter_area.filter_list;
		const standard = this.listview.page.fields_dict[field];
		if (doctype === "Ticket" && standard) standard.set_value("");
		filter_list.filters
			.filter((f) => f.field && f.field.df.fieldname === field && f.get_value()[0] === doctype)
			.forEach((f) => f.remove());
		filter_list.apply();
		return Promise.resolve();
	}
}
