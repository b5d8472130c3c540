"""Resume tokens of the event streams: a position in every partition of a topic.

A stream interleaves the partitions of its topic; the token sent as an event's SSE ``id`` is
the offset of the next record to deliver in *every* partition once that event is delivered.
A client resuming from it (``Last-Event-ID`` or ``?after=``) gets exactly the records it has not
had: nothing skipped, nothing twice, whatever gateway replica or process answers, because the
token holds the whole state.

Wire form: ``<partition>:<offset>`` pairs joined by ``,`` in partition order, e.g.
``0:1532,1:1490,2:1611``. Clients treat it as opaque.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PAIR = re.compile(r"(0|[1-9][0-9]{0,8}):(0|[1-9][0-9]{0,18})")
MAX_TOKEN_LENGTH = 4096


class Positions(dict[int, int]):
    """Next offset to deliver per partition."""

    def token(self) -> str:
        """The resume token of these positions."""
        return ",".join(f"{partition}:{offset}" for partition, offset in sorted(self.items()))

    def covers(self, floor: Mapping[int, int]) -> bool:
        """Whether every partition of ``floor`` is at or past its offset there."""
        return all(self.get(partition, 0) >= offset for partition, offset in floor.items())

    @classmethod
    def parse(cls, token: str, partitions: int) -> Positions:
        """The positions of ``token`` for a topic of ``partitions`` partitions.

        Raises ValueError (with a message for the client) for a malformed token or one that
        names partitions the topic does not have; a partition the token leaves out starts at
        the beginning.
        """
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError("the resume token is too long")
        positions = cls()
        for pair in token.split(","):
            match = _PAIR.fullmatch(pair.strip())
            if match is None:
                raise ValueError("a resume token is partition:offset pairs separated by commas")
            partition, offset = int(match.group(1)), int(match.group(2))
            if partition >= partitions:
                raise ValueError(f"the topic has no partition {partition}")
            if partition in positions:
                raise ValueError(f"partition {partition} appears twice in the resume token")
            positions[partition] = offset
        for partition in range(partitions):
            positions.setdefault(partition, 0)
        return positions
