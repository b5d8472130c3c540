"""Job seekers (pencari kerja, holders of the AK/I card, Permenaker 39/2016)."""
