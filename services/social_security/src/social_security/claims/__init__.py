"""Benefit claims (klaim) on one program of a membership."""
