"""Industrial relations (hubungan industrial): layoffs (PHK), disputes, collective agreements
and unions pushed by regional labour offices."""
