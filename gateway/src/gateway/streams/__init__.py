"""Server-sent event streams of the domain topics (see ``router``)."""
