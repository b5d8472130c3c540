"""Bulk import: uploaded files of records (JSON, NDJSON, CSV, XLSX) and the jobs that write them."""
