"""Training programs (program pelatihan) of BPVP/BLK, LPK and companies."""
