"""Enrolments (peserta pelatihan): a participant in a program, completion, BNSP certification."""
