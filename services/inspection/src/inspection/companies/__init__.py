"""Companies (perusahaan) as reported through WLKP, identified by their OSS NIB."""
