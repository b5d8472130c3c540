"""Disclosure control: small counts are hidden, and so is whatever would give them away.

Two recovery attempts written here, independently of the module, play the attacker: repeated
"a constraint with one unknown gives it away" and exact linear algebra over the rationals.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Iterable, Mapping
from fractions import Fraction

import pytest
from aggregation.indicators.disclosure import (
    AreaKey,
    Dims,
    Table,
    area_parent,
    hierarchy_table,
    primary_cells,
    recoverable,
    suppress,
)
from hypothesis import given, settings
from hypothesis import strategies as st

M, F = (("sex", "M"),), (("sex", "F"),)


def by_subtraction(table: Table, hidden: Iterable[Hashable]) -> dict[Hashable, int]:
    """Hidden cells an attacker gets by repeatedly solving constraints with one unknown."""
    secret = set(hidden)
    known = {key: value for key, value in table.cells.items() if key not in secret}
    recovered: dict[Hashable, int] = {}
    progress = True
    while progress:
        progress = False
        for total, parts in table.constraints:
            unknown = [cell for cell in (total, *parts) if cell not in known]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            if cell == total:
                value = sum(known[part] for part in parts)
            else:
                value = known[total] - sum(known[part] for part in parts if part != cell)
            known[cell] = recovered[cell] = value
            progress = True
    return recovered


def by_elimination(table: Table, hidden: Iterable[Hashable]) -> dict[Hashable, Fraction]:
    """Hidden cells an attacker gets from the whole linear system, solved exactly.

    Each constraint is an equation over the hidden cells (published cells moved to the right).
    The rows are brought to reduced row echelon form over the rationals; a hidden cell is
    determined iff some reduced row is that cell alone (then the row's right side is its value).
    """
    secret = set(hidden)
    basis: dict[Hashable, tuple[dict[Hashable, Fraction], Fraction]] = {}
    for total, parts in table.constraints:
        row: dict[Hashable, Fraction] = {}
        rhs = Fraction(0)
        for cell, sign in ((total, 1), *((part, -1) for part in parts)):
            if cell in secret:
                row[cell] = row.get(cell, Fraction(0)) + sign
            else:
                rhs -= sign * table.cells[cell]
        for pivot, (pivot_row, pivot_rhs) in basis.items():
            factor = row.get(pivot)
            if factor:
                for cell, coefficient in pivot_row.items():
                    row[cell] = row.get(cell, Fraction(0)) - factor * coefficient
                rhs -= factor * pivot_rhs
        row = {cell: coefficient for cell, coefficient in row.items() if coefficient}
        if not row:
            assert rhs == 0, "the table does not add up"
            continue
        pivot = min(row, key=repr)
        lead = row[pivot]
        row = {cell: coefficient / lead for cell, coefficient in row.items()}
        rhs /= lead
        for other, (other_row, other_rhs) in list(basis.items()):
            factor = other_row.get(pivot)
            if factor:
                updated = dict(other_row)
                for cell, coefficient in row.items():
                    updated[cell] = updated.get(cell, Fraction(0)) - factor * coefficient
                basis[other] = (
                    {cell: c for cell, c in updated.items() if c},
                    other_rhs - factor * rhs,
                )
        basis[pivot] = (row, rhs)
    return {pivot: rhs for pivot, (row, rhs) in basis.items() if len(row) == 1}


def assert_safe(table: Table, hidden: frozenset[Hashable], *, k: int = 5) -> None:
    assert primary_cells(table, k=k) <= hidden
    assert all(table.cells[cell] > 0 for cell in hidden), "a zero was hidden"
    assert by_subtraction(table, hidden) == {}
    assert by_elimination(table, hidden) == {}
    assert recoverable(table, hidden) == frozenset()


def regencies_only(values: Mapping[str, int]) -> Table:
    """Totals of the given regencies, summed into their provinces and the nation."""
    cells: dict[AreaKey, int] = {}
    for regency, value in values.items():
        for area in (regency, regency.split(".")[0], "ID"):
            cells[(area, ())] = cells.get((area, ()), 0) + value
    return hierarchy_table(cells)


def by_sex(rows: Mapping[str, tuple[int, int]], *, parent: str = "32") -> Table:
    """Regencies of one province by sex (M, F), with their totals and the province's margins."""
    cells: dict[AreaKey, int] = {}
    for area, (male, female) in rows.items():
        for where in (area, parent):
            for dims, value in (((), male + female), (M, male), (F, female)):
                cells[(where, dims)] = cells.get((where, dims), 0) + value
    return hierarchy_table(cells)


def rolled_up(
    leaves: Mapping[str, Mapping[Dims, int]], margins: Callable[[Dims], list[Dims]]
) -> dict[AreaKey, int]:
    """Every cell of every area (regency, province, nation) from the regencies' finest cells."""
    cells: dict[AreaKey, int] = {}
    for regency, finest in leaves.items():
        for area in (regency, regency.split(".")[0], "ID"):
            for dims, value in finest.items():
                for cell_dims in {dims, *margins(dims)}:
                    cells[(area, cell_dims)] = cells.get((area, cell_dims), 0) + value
    return cells


def all_margins(dims: Dims) -> list[Dims]:
    return [(), *((pair,) for pair in dims)] if len(dims) > 1 else [()]


def total_only(dims: Dims) -> list[Dims]:
    return [()]


def test_the_parent_of_a_regency_is_its_province_and_of_a_province_the_nation() -> None:
    assert area_parent("32.16") == "32"
    assert area_parent("32") == "ID"
    assert area_parent("ID") is None


def test_every_small_count_is_hidden() -> None:
    table = by_sex({"32.01": (2, 30), "32.02": (1, 3), "32.03": (40, 0), "32.04": (25, 26)})
    hidden = suppress(table)
    assert primary_cells(table) == {
        ("32.01", M),
        ("32.02", M),
        ("32.02", F),
        ("32.02", ()),
    }
    assert_safe(table, hidden)


def test_nothing_is_hidden_when_nothing_is_small() -> None:
    table = by_sex({"32.01": (12, 30), "32.02": (0, 5), "32.03": (40, 0)})
    assert suppress(table) == frozenset()
    assert suppress(regencies_only({"32.01": 7, "33.01": 0, "33.02": 9})) == frozenset()


def test_k_sets_what_is_small() -> None:
    table = regencies_only({"32.01": 7, "32.02": 12, "32.03": 30})
    assert suppress(table, k=5) == frozenset()
    assert suppress(table, k=8) == {("32.01", ()), ("32.02", ())}
    assert suppress(table, k=1) == frozenset()


def test_a_single_small_regency_forces_a_second_suppression() -> None:
    table = regencies_only({"32.01": 3, "32.02": 10, "32.03": 20, "33.01": 40})
    naive = frozenset({("32.01", ())})
    assert by_subtraction(table, naive) == {("32.01", ()): 3}
    # The smallest sibling goes with it, not the province (which would then be given away by
    # the nation, minus the other province, and need a third cell).
    assert suppress(table) == {("32.01", ()), ("32.02", ())}
    assert_safe(table, suppress(table))


def test_a_zero_is_published_and_never_hidden_to_protect_a_small_count() -> None:
    # 32.01 is the only non-zero regency of 32, so 32 is as small and hidden too; the zero
    # regency 32.02 would protect nothing. The nation less 33 would then give 32 away, so one of
    # them goes as well: the nation, since hiding 33 would also leave 33.01 giving 33 away.
    table = regencies_only({"32.01": 3, "32.02": 0, "33.01": 40})
    hidden = suppress(table)
    assert hidden == {("32.01", ()), ("32", ()), ("ID", ())}
    assert_safe(table, hidden)


def test_hiding_two_cells_per_row_of_a_breakdown_is_not_enough() -> None:
    table = by_sex({"32.01": (2, 30), "32.02": (20, 25), "32.03": (15, 40)})
    # Two hidden cells in 32.01's row (its total is larger than F=30) ...
    naive = frozenset({("32.01", M), ("32.01", F)})
    # ... yet the province's M column gives M away: 37 - 20 - 15.
    assert by_subtraction(table, naive) == {("32.01", M): 2, ("32.01", F): 30}
    hidden = suppress(table)
    # A rectangle: two rows by two columns, each of which keeps two unknowns (32.03's M, the
    # smallest other M, and then its F, smaller than its total).
    assert hidden == {("32.01", M), ("32.01", F), ("32.03", M), ("32.03", F)}
    assert_safe(table, hidden)


def test_two_hidden_cells_in_every_constraint_can_still_give_one_away() -> None:
    # Regencies r1..r4 by age band a1..a4: two rectangles of small counts (r1,r2 x a1,a2 and
    # r3,r4 x a3,a4) joined by one small count (r2, a3). Every row and column has 0 or at least
    # 2 small cells, so no constraint has a single unknown, yet the joining cell is the row sums
    # of r1 and r2 less the column sums of a1 and a2.
    small = {(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (3, 4), (4, 3), (4, 4), (2, 3)}
    cells: dict[AreaKey, int] = {}
    for row in range(1, 5):
        for column in range(1, 5):
            value = 1 + (row + column) % 4 if (row, column) in small else 10 * row + column
            for area in (f"32.0{row}", "32"):
                for dims in ((("age_band", f"a{column}"),), ()):
                    cells[(area, dims)] = cells.get((area, dims), 0) + value
    table = hierarchy_table(cells)
    primary = primary_cells(table)
    bridge = ("32.02", (("age_band", "a3"),))
    assert len(primary) == len(small)
    assert by_subtraction(table, primary) == {}
    assert by_elimination(table, primary) == {bridge: cells[bridge]}
    assert recoverable(table, primary) == {bridge}
    assert_safe(table, suppress(table))


def test_the_result_does_not_depend_on_the_order_of_cells_or_constraints() -> None:
    rng = random.Random(7)
    values = {
        f"{p}.{r:02d}": rng.choice([0, 1, 2, 3, 8, 15, 40]) for p in (31, 32) for r in (1, 2, 3)
    }
    table = regencies_only(values)
    hidden = suppress(table)
    for _ in range(5):
        cells = list(table.cells.items())
        constraints = [
            (total, rng.sample(list(parts), len(parts))) for total, parts in table.constraints
        ]
        rng.shuffle(cells)
        rng.shuffle(constraints)
        assert suppress(Table(cells=dict(cells), constraints=constraints)) == hidden


@pytest.mark.parametrize(
    ("cells", "constraints", "message"),
    [
        ({"t": 5, "a": 2, "b": 2}, [("t", ["a", "b"])], "does not add up"),
        ({"t": 2, "a": -1, "b": 3}, [("t", ["a", "b"])], "integer >= 0"),
        ({"t": 2, "a": 2}, [("t", ["a", "b"])], "unknown cells"),
        ({"t": 4, "a": 2}, [("t", ["a", "a"])], "repeats a cell"),
    ],
)
def test_a_table_that_does_not_add_up_is_refused(
    cells: dict[Hashable, int], constraints: list[tuple[Hashable, list[Hashable]]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(Table(cells=cells, constraints=constraints))


def test_two_dimensions_add_up_into_their_margins_or_straight_into_the_total() -> None:
    sex_age = (("sex", "M"), ("age_band", "15-19"))
    with_margins = hierarchy_table(
        {
            ("32.01", ()): 3,
            ("32.01", M): 3,
            ("32.01", (("age_band", "15-19"),)): 3,
            ("32.01", sex_age): 3,
        }
    )
    assert sorted(with_margins.constraints, key=repr) == sorted(
        [
            (("32.01", ()), (("32.01", (("age_band", "15-19"),)),)),
            (("32.01", ()), (("32.01", M),)),
            (("32.01", (("age_band", "15-19"),)), (("32.01", sex_age),)),
            (("32.01", M), (("32.01", sex_age),)),
        ],
        key=repr,
    )
    without_margins = hierarchy_table({("32.01", ()): 3, ("32.01", sex_age): 3})
    assert list(without_margins.constraints) == [(("32.01", ()), (("32.01", sex_age),))]


def test_a_national_table_by_sex_is_protected() -> None:
    # 38 provinces with 514 regencies, each by sex; about one cell in ten is small.
    rng = random.Random(2026)

    def count() -> int:
        draw = rng.random()
        return rng.randint(1, 4) if draw < 0.15 else 0 if draw < 0.18 else rng.randint(5, 300)

    leaves: dict[str, dict[Dims, int]] = {}
    for province, size in zip(range(11, 49), [14] * 20 + [13] * 18, strict=True):
        for number in range(1, size + 1):
            leaves[f"{province}.{number:02d}"] = {M: count(), F: count()}
    table = hierarchy_table(rolled_up(leaves, all_margins))
    assert len(table.cells) == 3 * (514 + 38 + 1)
    hidden = suppress(table)
    assert 100 < len(primary_cells(table)) < len(hidden)
    assert_safe(table, hidden)


# Property: random hierarchical tables, small counts everywhere, checked by both attackers.

BREAKDOWNS: dict[str, list[Dims]] = {
    "total only": [],
    "sex": [M, F],
    "age band": [(("age_band", age),) for age in ("15-24", "25-44", "45-59", "60+")],
    "sex and age band": [
        (("sex", sex), ("age_band", age)) for sex in ("M", "F") for age in ("15-24", "25-59", "60+")
    ],
}


@st.composite
def hierarchical_tables(draw: st.DrawFn) -> Table:
    breakdown = BREAKDOWNS[draw(st.sampled_from(sorted(BREAKDOWNS)))]
    count = st.one_of(st.integers(0, 6), st.integers(0, 40))
    leaves: dict[str, dict[Dims, int]] = {}
    for province in range(31, 31 + draw(st.integers(1, 3))):
        for regency in range(1, 1 + draw(st.integers(1, 4))):
            dims_list = breakdown or [()]
            leaves[f"{province}.{regency:02d}"] = {dims: draw(count) for dims in dims_list}
    margins = all_margins if draw(st.booleans()) else total_only
    return hierarchy_table(rolled_up(leaves, margins))


@settings(max_examples=300, deadline=None)
@given(hierarchical_tables(), st.integers(2, 8))
def test_no_hidden_cell_of_a_random_hierarchical_table_can_be_recovered(
    table: Table, k: int
) -> None:
    assert_safe(table, suppress(table, k=k), k=k)


@st.composite
def grids(draw: st.DrawFn) -> Table:
    """Regencies of one province by age band, dense in small counts: where a pattern with two
    hidden cells in every row and column can still give a cell away."""
    bands: list[Dims] = [(("age_band", f"a{band}"),) for band in range(draw(st.integers(3, 6)))]
    count = st.one_of(st.integers(1, 4), st.integers(5, 40))
    leaves = {
        f"32.{regency:02d}": {dims: draw(count) for dims in bands}
        for regency in range(1, 1 + draw(st.integers(3, 6)))
    }
    return hierarchy_table(rolled_up(leaves, total_only))


@settings(max_examples=300, deadline=None)
@given(grids())
def test_no_hidden_cell_of_a_random_grid_can_be_recovered(table: Table) -> None:
    assert_safe(table, suppress(table))


@settings(max_examples=300, deadline=None)
@given(hierarchical_tables(), st.randoms(use_true_random=False))
def test_the_audit_agrees_with_exact_elimination(table: Table, rng: random.Random) -> None:
    cells = sorted(table.cells, key=repr)
    hidden = frozenset(rng.sample(cells, rng.randint(0, len(cells))))
    exact = by_elimination(table, hidden)
    assert recoverable(table, hidden) == set(exact)
    assert all(exact[cell] == table.cells[cell] for cell in exact)
    subtracted = by_subtraction(table, hidden)
    assert set(subtracted) <= set(exact)
    assert all(subtracted[cell] == table.cells[cell] for cell in subtracted)
