"""Labour inspections (pemeriksaan pengawas ketenagakerjaan) and their findings by norm."""
