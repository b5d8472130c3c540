"""Placements (penempatan): a registered job seeker starting work."""
