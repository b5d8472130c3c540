"""Registered collective agreements (PKB) and company regulations (PP)."""
