"""Memberships (kepesertaan BPJS Ketenagakerjaan): a worker covered through an employer."""
