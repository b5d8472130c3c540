"""Statistical disclosure control of published counts: primary and secondary cell suppression.

A published count between 1 and ``k - 1`` (``k = 5`` by default) may identify the people behind
it, so a reader without an exact-read scope sees it hidden ("suppressed"). Hiding the small
cells alone is not enough: a province is the sum of its regencies, the nation the sum of the
provinces, and an area's total the sum of its cells by sex (or by sex and age band, with the
one-dimension breakdowns as margins), so a hidden cell can often be recovered by subtraction.
``suppress`` therefore hides more cells (secondary suppression) until no hidden cell is
*uniquely determined* by the published cells and the additivity constraints.

Method. The table is a set of cells and linear constraints ``total = sum(parts)``. Given the
hidden set ``S``, each constraint becomes one equation over the hidden cells (the published ones
move to the right-hand side); a hidden cell is recoverable exactly when its unit vector lies in
the row space of that system (see ``_System.determined``). The search is greedy and deterministic:

1. primary: every cell with ``1 <= value < k``;
2. propagation: while some constraint has exactly one hidden cell (it would give that cell away;
   constraints are taken in the order of their total's ``repr``, then their parts'), hide one
   more of its published non-zero cells, choosing the one that forces the fewest new
   suppressions (constraints of the candidate with nothing hidden yet, less other one-hidden
   constraints it settles), then the smallest value, then the smallest key (by ``repr``);
3. linear algebra: a pattern with two or more hidden cells in every constraint can still give
   a cell away (two "rectangles" joined by one cell in a two-dimensional table: the joining cell
   is the sum of row and column differences), so each connected component of hidden cells is
   tested with one SVD; for the first recoverable cell another published non-zero cell of its
   constraints is hidden (the first, in the order above, that makes it unrecoverable) and the
   search goes back to step 2 until no component has a recoverable cell.

Constraints with no hidden cell add nothing to the system, so the linear algebra only ever sees
the components of the graph linking hidden cells through shared constraints; a table of ~1,650
cells (514 regencies, 38 provinces and the nation, each by sex) with ~10 % small cells is
protected in about 10 ms.

Zeros. A 0 is published as 0: it is not a small count of people. No zero is ever chosen as a
secondary suppression either, and none is needed: if every non-zero cell touching a component
is hidden, every equation of the component has a zero right-hand side, so the true (positive)
values of the hidden cells are themselves a null vector of the system, and a null vector with a
non-zero entry ``i`` means cell ``i`` is not determined. Hence propagation and step 3 always
find a non-zero candidate and the search ends. Hiding only positive cells also keeps the
non-negativity of counts from helping an attacker in an area-by-one-breakdown table: there the
null space is spanned by vectors of 0 and +-1 (such tables are network flows), and adding or
subtracting one to positive integer values gives another non-negative integer solution.

Limits. The criterion is exact disclosure by linear reasoning only. The published cells may
still narrow a hidden cell to an interval (two hidden siblings summing to 3 are each between 0
and 3), and with two breakdowns (a three-dimensional table, whose null vectors need not be 0 and
+-1) integer and non-negativity reasoning could in rare cases narrow a hidden cell further than
linear algebra does. Protection intervals need an optimisation model (tau-ARGUS's OPT/MOD),
which is not attempted here.

Libraries considered. ``sdcTable`` (tables, with ``SSBtools``) and ``sdcMicro`` (microdata) are
R packages and cannot be called from this service without an R runtime. ``pytauargus`` on PyPI
does install here (a Linux wheel bundling the tau-ARGUS engine and the HiGHS solver, no longer
the Windows/Java binary), but it is a beta (0.x) EUPL-licensed native engine that works through
files in a working directory, its authors state that concurrent engine calls in one process are
not validated and that solver changes may yield different patterns, and it adds a 5 MB native
dependency to a service that must answer requests deterministically in-process. ``acro``
(SACRO) checks researcher outputs in a trusted research environment: it flags and masks the
unsafe cells of one crosstab (primary suppression) but does no secondary suppression across a
region hierarchy, and it pulls in pandas, statsmodels and matplotlib. A small deterministic
greedy over numpy, checked exactly against rational elimination in the tests, fits better.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from shared.regions import NATIONAL

Key = Hashable
# A breakdown's dimension values, e.g. (("sex", "F"),) or (("sex", "F"), ("age_band", "20-24"));
# the area's total has dims ().
Dims = tuple[tuple[str, str], ...]
AreaKey = tuple[str, Dims]

SMALL_COUNT_THRESHOLD = 5
"""Counts from 1 to ``SMALL_COUNT_THRESHOLD - 1`` are hidden from readers without exact read."""

# A hidden cell is recoverable when its leverage (the diagonal of the projector onto the null
# space of the system, between 0 and 1) is 0. For the 0/+-1 constraint matrices used here a
# recoverable cell's leverage is 0 up to rounding (~1e-13) and an unrecoverable one's is at least
# 1 / (squared length of an integer null vector through it), i.e. about 1 / (cells in the
# component): far apart on either side of this tolerance.
_LEVERAGE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Table:
    """Cells of a table and the additivity constraints between them.

    ``cells`` holds every cell's true value (an integer ``>= 0``); each constraint
    ``(total, parts)`` states ``cells[total] == sum(cells[p] for p in parts)``. Keys are any
    hashable values with a deterministic ``repr`` (tuples of strings, as built by
    ``hierarchy_table``): ``repr`` breaks ties when choosing cells.
    """

    cells: Mapping[Key, int]
    constraints: Sequence[tuple[Key, Sequence[Key]]]


def primary_cells(table: Table, *, k: int = SMALL_COUNT_THRESHOLD) -> frozenset[Key]:
    """The cells that must be hidden for their own sake: every value from 1 to ``k - 1``."""
    return frozenset(key for key, value in table.cells.items() if 1 <= value < k)


def suppress(table: Table, *, k: int = SMALL_COUNT_THRESHOLD) -> frozenset[Key]:
    """The cells to hide so that no small count can be read or recovered by subtraction.

    Primary: every cell with ``1 <= value < k``. Secondary: more non-zero cells, chosen
    deterministically (fewest new forced suppressions, then the smallest value, then the
    smallest ``repr`` of the key), until no hidden cell is uniquely determined by the published
    cells and the constraints. Zero cells are never hidden. The result depends only on the
    table's content, not on the order of ``cells`` or ``constraints``.

    Raises ``ValueError`` when a value is negative or not an integer, a constraint names an
    unknown cell, repeats a part or lists its total among its parts, or does not add up.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    system = _System.of(table)
    hidden = _Search(system)
    for index, value in enumerate(system.values):
        if 1 <= value < k:
            hidden.hide(index)
    hidden.run()
    return frozenset(system.keys[index] for index in hidden.hidden_indices())


def recoverable(table: Table, hidden: Iterable[Key]) -> frozenset[Key]:
    """The hidden cells whose value follows from the published cells and the constraints.

    An audit of any suppression pattern (zeros may be hidden too): a cell is recoverable when
    the linear system of the constraints, with the published cells known, determines it.
    Non-negativity is not used, so a hidden zero forced by a sum of hidden zeros is not reported.
    """
    system = _System.of(table)
    index_of = {key: index for index, key in enumerate(system.keys)}
    indices: set[int] = set()
    for key in hidden:
        if key not in index_of:
            raise ValueError(f"{key!r} is not a cell of the table")
        indices.add(index_of[key])
    search = _Search(system)
    for index in sorted(indices):
        search.hide(index)
    found: set[int] = set()
    for component in search.components():
        found |= system.determined(component)
    return frozenset(system.keys[index] for index in found)


def area_parent(area: str) -> str | None:
    """The area one level up: ``32.16`` -> ``32`` -> ``ID`` -> None."""
    if area == NATIONAL:
        return None
    province, dot, _ = area.partition(".")
    return province if dot else NATIONAL


def hierarchy_table(
    values: Mapping[AreaKey, int],
    parent_of: Callable[[str], str | None] = area_parent,
) -> Table:
    """The table of counts per area and breakdown, with its additivity constraints.

    ``values`` maps ``(area, dims)`` to a count: ``dims`` is ``()`` for the area's total,
    ``(("sex", "F"),)`` for a one-dimension breakdown, ``(("sex", "F"), ("age_band", "20-24"))``
    for two (always name the dimensions in the same order). The constraints are:

    - hierarchy: ``(parent, dims) = sum of (child, dims)`` over the children present, for every
      ``(parent, dims)`` present (``parent_of`` gives the parent of an area, None at the top);
    - margins: a cell with dims ``d`` adds up, for each of its dimensions, into the cell with
      that dimension left out (``(a, ((sex, F), (age, x)))`` into ``(a, ((age, x),))`` and into
      ``(a, ((sex, F),))``; ``(a, ((sex, F),))`` into ``(a, ())``), when that cell is present;
    - a two-dimension cell none of whose margins is present adds up into the total directly.

    Pass every cell, zeros included, or at least every non-zero cell: a missing non-zero child
    or breakdown value makes a constraint fail to add up, and ``suppress`` then raises
    ``ValueError``. The measure must be additive (counts of events, not distinct persons).
    """
    # Parts by (total, how they add up into it): "area" over child areas, or the names of the
    # dimensions summed over (one total can have several breakdowns adding up into it).
    groups: dict[tuple[AreaKey, str, tuple[str, ...]], list[AreaKey]] = defaultdict(list)
    for key in values:
        area, dims = key
        parent = parent_of(area)
        if parent is not None and (parent, dims) in values:
            groups[((parent, dims), "area", ())].append(key)
        margins_present = False
        for position, (name, _) in enumerate(dims):
            margin = (area, dims[:position] + dims[position + 1 :])
            if margin in values:
                margins_present = True
                groups[(margin, "dims", (name,))].append(key)
        if len(dims) >= 2 and not margins_present and (area, ()) in values:
            groups[((area, ()), "dims", tuple(name for name, _ in dims))].append(key)
    constraints = [
        (total, tuple(sorted(parts, key=repr)))
        for (total, _, _), parts in sorted(groups.items(), key=lambda item: repr(item[0]))
    ]
    cells: dict[Key, int] = dict(values.items())
    return Table(cells=cells, constraints=constraints)


@dataclass(frozen=True)
class _System:
    """A validated table in index form: cells sorted by ``repr``, constraints as signed rows."""

    keys: tuple[Key, ...]
    values: tuple[int, ...]
    # Each row maps a cell index to its coefficient: +1 for the total, -1 for each part.
    rows: tuple[dict[int, int], ...]
    rows_of: tuple[tuple[int, ...], ...]

    @staticmethod
    def of(table: Table) -> _System:
        keys = tuple(sorted(table.cells, key=repr))
        index_of = {key: index for index, key in enumerate(keys)}
        values: list[int] = []
        for key in keys:
            value = table.cells[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"cell {key!r} must be an integer >= 0, got {value!r}")
            values.append(value)
        shaped: list[tuple[int, tuple[int, ...]]] = []
        for total, parts in table.constraints:
            missing = [key for key in (total, *parts) if key not in index_of]
            if missing:
                raise ValueError(f"constraint on {total!r} names unknown cells {missing!r}")
            part_indices = tuple(sorted(index_of[part] for part in parts))
            if len(set(part_indices)) != len(part_indices) or index_of[total] in part_indices:
                raise ValueError(f"constraint on {total!r} repeats a cell")
            if values[index_of[total]] != sum(values[part] for part in part_indices):
                raise ValueError(
                    f"constraint on {total!r} does not add up: {table.cells[total]} != "
                    f"sum of {len(part_indices)} parts"
                )
            shaped.append((index_of[total], part_indices))
        # Canonical order, independent of the order the constraints were given in.
        shaped.sort()
        rows = tuple({total: 1, **dict.fromkeys(parts, -1)} for total, parts in shaped)
        rows_of: list[list[int]] = [[] for _ in keys]
        for row_index, row in enumerate(rows):
            for cell in row:
                rows_of[cell].append(row_index)
        return _System(tuple(keys), tuple(values), rows, tuple(tuple(r) for r in rows_of))

    def determined(self, component: Iterable[int]) -> set[int]:
        """The cells of a closed set of hidden cells that the constraints determine.

        ``component`` must hold every hidden cell of every constraint it touches (a connected
        component, or a union of them); the other cells of those constraints are published.

        With ``A`` the matrix of these constraints restricted to the component's columns, the
        hidden values ``x`` satisfy ``A x = b`` with ``b`` known. ``x_i`` is unique iff every
        solution of ``A y = 0`` has ``y_i = 0``, i.e. iff the unit vector ``e_i`` is in the row
        space of ``A``. Counting dimensions: the null vectors with ``y_i = 0`` are the null
        space of ``A`` without column ``i``, so ``x_i`` is unique iff
        ``n - rank(A) == (n - 1) - rank(A without column i)``, i.e.
        ``rank(A) == rank(A without column i) + 1``. Rather than one rank per column, one SVD
        gives an orthonormal basis ``N`` of the null space, and ``x_i`` is unique iff row ``i``
        of ``N`` is zero (its squared norm is the leverage ``P_ii`` of the null-space projector).
        """
        columns = sorted(component)
        position = {cell: p for p, cell in enumerate(columns)}
        row_indices = sorted({row for cell in columns for row in self.rows_of[cell]})
        if not row_indices:
            return set()
        matrix = np.zeros((len(row_indices), len(columns)))
        for r, row_index in enumerate(row_indices):
            for cell, coefficient in self.rows[row_index].items():
                p = position.get(cell)
                if p is not None:
                    matrix[r, p] = coefficient
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        tolerance = singular.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps
        rank = int(np.count_nonzero(singular > tolerance))
        leverage = np.square(vt[rank:]).sum(axis=0)
        return {columns[p] for p in range(len(columns)) if leverage[p] < _LEVERAGE_TOLERANCE}


class _Search:
    """The hidden set of one table and the greedy search that completes it."""

    def __init__(self, system: _System) -> None:
        self.system = system
        self.hidden = [False] * len(system.keys)
        # How many hidden cells each constraint has.
        self.count = [0] * len(system.rows)
        # Constraints that had exactly one hidden cell when last touched (checked when popped).
        self.lonely: list[int] = []
        # Determined cells of components already tested, by component.
        self.tested: dict[frozenset[int], set[int]] = {}

    def hidden_indices(self) -> list[int]:
        return [index for index, hidden in enumerate(self.hidden) if hidden]

    def hide(self, cell: int) -> None:
        if self.hidden[cell]:
            return
        self.hidden[cell] = True
        for row in self.system.rows_of[cell]:
            self.count[row] += 1
            if self.count[row] == 1:
                heapq.heappush(self.lonely, row)

    def run(self) -> None:
        """Hide cells until no hidden cell is recoverable (steps 2 and 3 of the module doc)."""
        while True:
            self._propagate()
            found = self._first_recoverable()
            if found is None:
                return
            cell, component, component_of = found
            self.hide(self._breaker(cell, component, component_of))

    def _propagate(self) -> None:
        rows = self.system.rows
        while self.lonely:
            row = heapq.heappop(self.lonely)
            if self.count[row] != 1:
                continue
            candidates = [c for c in rows[row] if not self.hidden[c] and self.system.values[c]]
            if not candidates:  # impossible for a table that adds up (see the module doc)
                raise RuntimeError("no published non-zero cell left to hide")
            self.hide(min(candidates, key=self._cost))

    def _cost(self, cell: int) -> tuple[int, int, int]:
        """Order of preference for a secondary suppression: lowest first."""
        forced = 0
        for row in self.system.rows_of[cell]:
            if self.count[row] == 0:
                forced += 1  # hiding the cell leaves it alone in this constraint
            elif self.count[row] == 1:
                forced -= 1  # hiding the cell settles this constraint
        return (forced, self.system.values[cell], cell)

    def components(self) -> list[list[int]]:
        """Hidden cells grouped by constraints they share, in order of their first cell."""
        parent = {cell: cell for cell in self.hidden_indices()}

        def root(cell: int) -> int:
            while parent[cell] != cell:
                parent[cell] = parent[parent[cell]]
                cell = parent[cell]
            return cell

        for row, row_cells in enumerate(self.system.rows):
            if self.count[row] < 2:
                continue
            hidden = [cell for cell in row_cells if self.hidden[cell]]
            first = root(hidden[0])
            for cell in hidden[1:]:
                other = root(cell)
                if other != first:
                    parent[max(first, other)] = min(first, other)
                    first = min(first, other)
        groups: dict[int, list[int]] = defaultdict(list)
        for cell in parent:
            groups[root(cell)].append(cell)
        return [groups[first] for first in sorted(groups)]

    def _first_recoverable(
        self,
    ) -> tuple[int, frozenset[int], dict[int, frozenset[int]]] | None:
        component_of: dict[int, frozenset[int]] = {}
        found: tuple[int, frozenset[int]] | None = None
        for cells in self.components():
            component = frozenset(cells)
            for cell in cells:
                component_of[cell] = component
            if found is not None:
                continue
            if component not in self.tested:
                self.tested[component] = self.system.determined(component)
            if self.tested[component]:
                found = (min(self.tested[component]), component)
        return None if found is None else (*found, component_of)

    def _breaker(
        self, cell: int, component: frozenset[int], component_of: Mapping[int, frozenset[int]]
    ) -> int:
        """A published non-zero cell to hide so that ``cell`` is no longer recoverable."""
        system = self.system

        def published(rows: Iterable[int]) -> list[int]:
            return sorted(
                {c for r in rows for c in system.rows[r] if not self.hidden[c] and system.values[c]}
            )

        candidates = published(system.rows_of[cell]) or published(
            {row for member in component for row in system.rows_of[member]}
        )
        if not candidates:  # impossible for a table that adds up (see the module doc)
            raise RuntimeError("no published non-zero cell left to hide")
        candidates.sort(key=self._cost)
        for candidate in candidates:
            trial = set(component) | {candidate}
            for row in system.rows_of[candidate]:
                for other in system.rows[row]:
                    if self.hidden[other]:
                        trial |= component_of[other]
            if cell not in system.determined(trial):
                return candidate
        # No single cell does it: hide the cheapest and let the next round go on (the hidden
        # set grows every round, and once every non-zero cell is hidden nothing is recoverable).
        return candidates[0]
