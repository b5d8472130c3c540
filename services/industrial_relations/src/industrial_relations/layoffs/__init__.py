"""Layoff reports (laporan PHK) and the workers they name."""
