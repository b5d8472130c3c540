"""Training service (pelatihan kerja): programs of BPVP/BLK, LPK and companies, enrolments,
completion and BNSP certification."""
