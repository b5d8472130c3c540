"""Inspection service (pengawasan ketenagakerjaan): companies, inspections and K3 accidents."""
