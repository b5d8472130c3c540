"""Social-security service (BPJS Ketenagakerjaan): memberships and benefit claims."""
