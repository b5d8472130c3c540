"""The region reference list: provinces and regencies with their names and codes."""
