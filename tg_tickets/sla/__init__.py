"""SLA policies: `clock` is the pure deadline arithmetic (no Frappe); `policy`, `tracking`, `sweep` and
`notify` are the Frappe-facing parts that choose a policy, store a ticket's SLA fields and act on due events."""
