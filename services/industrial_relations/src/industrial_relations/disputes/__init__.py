"""Industrial-relations disputes (perselisihan hubungan industrial)."""
