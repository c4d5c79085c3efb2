// One timer for every SLA badge on the page: remaining/overdue time ticks without re-rendering rows.
import { sla_time_text } from "./format";

export const sla_ticker = {
	start(interval_ms = 15000) {
		if (this.timer) return;
		this.timer = setInterval(() => this.tick(), interval_ms);
	},
	tick() {
		document.querySelectorAll(".tg-sla[data-due]").forEach((badge) => {
			const time = badge.querySelector(".tg-sla-time");
			if (time) time.textContent = sla_time_text(badge.getAttribute("data-due"));
		});
	},
};
