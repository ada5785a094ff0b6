"""Tests of the table of gradients at kinks in autograd_guide.kinks."""

from __future__ import annotations

import math

import pytest
import torch

from autograd_guide.kinks import (
    HEADERS,
    KINK_CASES,
    KinkCase,
    KinkTable,
    kink_row,
    kink_table,
)

# The rows where torch 2.13 returns a gradient the documented policy does not allow.
DEPARTURES = {
    ("x.clamp(min=0)", 0.0),
    ("x.clamp(max=1)", 1.0),
    ("x.clamp(0, 1)", 0.0),
    ("x.clamp(0, 1)", 1.0),
    ("torch.clamp_min(x, 0)", 0.0),
    ("F.leaky_relu(x, 2.0)", 0.0),
    ("torch.where(x > 0, x, -x)", 0.0),
    ("x.max(dim=0).values", (1.0, 3.0, 3.0)),
    ("torch.fmax(x[1], x[2])", (1.0, 3.0, 3.0)),
    ("x.sort().values[-1]", (1.0, 3.0, 3.0)),
    ("x.topk(1).values[0]", (1.0, 3.0, 3.0)),
    ("x.cummax(dim=0).values[-1]", (1.0, 3.0, 3.0)),
    ("F.max_pool1d(x[None], 3)[0, 0]", (1.0, 3.0, 3.0)),
    ("x.min(dim=0).values", (3.0, 1.0, 1.0)),
    ("x.kthvalue(1).values", (3.0, 1.0, 1.0)),
    ("x.median(dim=0).values", (1.0, 2.0, 2.0)),
}


@pytest.fixture(scope="module")
def table():
    return kink_table()


def case_id(case):
    return f"{case.expression} at {case.point}"


def test_every_case_has_a_row_in_order(table):
    assert [row.case for row in table.rows] == list(KINK_CASES)
    assert len(KINK_CASES) >= 25


def test_departures_are_the_known_ones(table):
    assert {(row.case.expression, row.case.point) for row in table.departures} == DEPARTURES


def test_single_precision_departs_in_the_same_rows(table):
    single = kink_table(dtype=torch.float32)
    assert [row.matches for row in single.rows] == [row.matches for row in table.rows]


def test_expected_returned_gradients(table):
    assert table.find("x.clamp(0, 1)", 1.0).returned == 1.0
    assert table.find("F.hardtanh(x)", 1.0).returned == 0.0
    assert table.find("torch.sqrt(x)").returned == math.inf
    assert table.find("x.max()").returned == (0.0, 0.5, 0.5)
    assert table.find("x.max(dim=0).values").returned == (0.0, 1.0, 0.0)


def shifted(case, step):
    point = torch.tensor(case.point, dtype=torch.float64)
    direction = torch.tensor(case.direction, dtype=torch.float64)
    return point + step * direction


def values_near(case, generator, count=400, radius=1e-2):
    """Return f at random pairs of points near the case's point, and at their midpoints."""
    f = case.function()
    point = torch.tensor(case.point, dtype=torch.float64)
    triples = []
    for _ in range(count):
        a = point + radius * (
            2 * torch.rand(point.shape, generator=generator, dtype=torch.float64) - 1
        )
        b = point + radius * (
            2 * torch.rand(point.shape, generator=generator, dtype=torch.float64) - 1
        )
        if point.dim() == 0:
            # Pairs that straddle the point are the ones that see a kink.
            a, b = point - abs(a - point), point + abs(b - point)
        values = [f(p).item() for p in (a, b, (a + b) / 2)]
        if all(math.isfinite(v) for v in values):
            triples.append(values)
    return triples


def convexity_gaps(case, seed=0):
    """Return (f(a) + f(b)) / 2 - f((a + b) / 2) for pairs near the point; >= 0 if convex."""
    generator = torch.Generator().manual_seed(seed)
    gaps = [(fa + fb) / 2 - fm for fa, fb, fm in values_near(case, generator)]
    generator = torch.Generator().manual_seed(seed + 1)
    # Pairs on one side only show how each piece bends.
    for side in (-1.0, 1.0):
        f = case.function()
        point = torch.tensor(case.point, dtype=torch.float64)
        direction = torch.tensor(case.direction, dtype=torch.float64)
        for _ in range(100):
            s, t = 1e-2 * torch.rand(2, generator=generator, dtype=torch.float64)
            a, b = point + side * s * direction, point + side * t * direction
            values = [f(p).item() for p in (a, b, (a + b) / 2)]
            if all(math.isfinite(v) for v in values):
                gaps.append((values[0] + values[1]) / 2 - values[2])
    return gaps


@pytest.mark.parametrize("case", KINK_CASES, ids=case_id)
def test_declared_shape_holds_near_the_point(case):
    gaps = convexity_gaps(case)
    tolerance = 1e-12
    convex = min(gaps) >= -tolerance
    concave = max(gaps) <= tolerance
    if case.shape == "convex":
        assert convex, case
    elif case.shape == "concave":
        assert concave, case
    elif case.shape == "neither":
        assert not (convex and concave and case.left == case.right and case.left is not None), case
        jumps = _has_jump(case)
        assert jumps or not (convex or concave), case
    else:
        h = 1e-6
        f = case.function()
        slope = (f(shifted(case, h)) - f(shifted(case, -h))).item() / (2 * h)
        assert slope == pytest.approx(case.right, abs=1e-6), case


def _has_jump(case):
    f = case.function()
    below = f(shifted(case, -1e-9)).item()
    above = f(shifted(case, 1e-9)).item()
    return not math.isfinite(below) or abs(above - below) > 1e-6


@pytest.mark.parametrize("case", KINK_CASES, ids=case_id)
def test_row_matches_iff_returned_is_allowed(case, table):
    row = table.find(case.expression, case.point)
    assert row.case is case
    allowed = [list(a) if isinstance(a, tuple) else [a] for a in case.allowed]
    returned = list(row.returned) if isinstance(row.returned, tuple) else [row.returned]
    assert row.matches == any(
        all(
            x == y or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
            for x, y in zip(a, returned, strict=True)
        )
        for a in allowed
    )


@pytest.mark.parametrize(
    ("left", "right", "shape", "allowed"),
    [
        (-1.0, 1.0, "convex", (0.0,)),
        (0.01, 1.0, "convex", (0.01,)),
        (2.0, 1.0, "concave", (1.0,)),
        (-3.0, -1.0, "convex", (-1.0,)),
        (1.5, 1.0, "neither", (1.5, 1.0)),
        (0.0, 0.0, "neither", (0.0,)),
        (None, math.inf, "neither", (math.inf,)),
        (2.0, 2.0, "differentiable", (2.0,)),
    ],
)
def test_allowed_gradients_follow_the_rules(left, right, shape, allowed):
    case = KinkCase("x", 0.0, left, right, shape)
    assert case.allowed == allowed


def test_minimum_norm_of_a_segment_of_vectors():
    case = KinkCase("x.sum()", (0.0, 0.0), (1.0, 0.0), (0.0, 1.0), "convex", (1.0, -1.0))
    assert case.allowed == ((0.5, 0.5),)
    case = KinkCase("x.sum()", (0.0, 0.0), (1.0, 1.0), (1.0, 2.0), "convex", (1.0, -1.0))
    assert case.allowed == ((1.0, 1.0),)


def test_rules_are_numbered_as_in_the_documentation():
    rules = {
        shape: KinkCase("x", 0.0, 1.0, 1.0, shape).rule
        for shape in ("differentiable", "convex", "concave", "neither")
    }
    assert rules == {"differentiable": 1, "convex": 2, "concave": 3, "neither": 4}


def test_case_turns_lists_and_ints_into_floats():
    case = KinkCase("x.max()", [1, 3, 3], [0, 1, 0], [0, 0, 1], "convex", [0, -1, 1])
    assert case.point == (1.0, 3.0, 3.0)
    assert case.left == (0.0, 1.0, 0.0)
    assert case.direction == (0.0, -1.0, 1.0)


@pytest.mark.parametrize(
    ("arguments", "error", "fragment"),
    [
        ((1, 0.0, 0.0, 1.0, "convex"), TypeError, "expression must be a string"),
        (("torch.relu(", 0.0, 0.0, 1.0, "convex"), ValueError, "is not a Python expression"),
        (("torch.relu(x)", 0.0, 0.0, 1.0, "smooth"), ValueError, "shape must be one of"),
        (("torch.relu(x)", "0", 0.0, 1.0, "convex"), TypeError, "point must be a real number"),
        (("torch.relu(x)", True, 0.0, 1.0, "convex"), TypeError, "point must be a real number"),
        (("torch.relu(x)", 0.0, (0.0, 1.0), 1.0, "convex"), ValueError, "left has 2 entries"),
        (("x.max()", (1.0, 3.0), (0.0, 1.0), 1.0, "convex"), ValueError, "right has no entries"),
        (("torch.sqrt(x)", 0.0, None, math.inf, "concave"), ValueError, "needs two finite limits"),
        (("torch.relu(x)", 0.0, 0.0, 1.0, "differentiable"), ValueError, "has equal limits"),
        (("torch.relu(x)", 0.0, 0.0, None, "convex"), TypeError, "right must be a real number"),
    ],
)
def test_case_refuses_bad_input_with_advice(arguments, error, fragment):
    with pytest.raises(error, match=fragment):
        KinkCase(*arguments)


def test_row_refuses_a_wrong_limit():
    wrong = KinkCase("torch.relu(x)", 0.0, -1.0, 1.0, "convex")
    with pytest.raises(ValueError, match="correct the case's left limit"):
        kink_row(wrong)


def test_row_refuses_a_finite_limit_where_the_gradient_grows_without_bound():
    wrong = KinkCase("torch.sqrt(x)", 0.0, None, 1000.0, "neither")
    with pytest.raises(ValueError, match="correct the case's right limit"):
        kink_row(wrong)


def test_row_refuses_a_missing_limit_where_the_function_is_defined():
    wrong = KinkCase("torch.relu(x)", 0.0, None, 1.0, "neither")
    with pytest.raises(ValueError, match="undefined left of the point"):
        kink_row(wrong)


def test_row_refuses_an_expression_that_is_not_a_scalar():
    case = KinkCase("x * 2", (0.0, 0.0), (2.0, 0.0), (2.0, 0.0), "differentiable", (1.0, 0.0))
    with pytest.raises(TypeError, match="must return a one-element tensor, got \\(2,\\)"):
        kink_row(case)


def test_expression_sees_no_builtins():
    case = KinkCase("len(x)", 0.0, 0.0, 0.0, "differentiable")
    with pytest.raises(NameError):
        kink_row(case)


@pytest.mark.parametrize("bad", ["torch.relu(x)", None, 3])
def test_row_refuses_anything_but_a_case(bad):
    with pytest.raises(TypeError, match="case must be a KinkCase"):
        kink_row(bad)


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, "float64"])
def test_row_refuses_a_dtype_that_is_not_floating(dtype):
    with pytest.raises(TypeError, match=r"dtype must be a floating-point torch\.dtype"):
        kink_row(KINK_CASES[0], dtype)


@pytest.mark.parametrize("bad", [KINK_CASES[0], "torch.relu(x)", 3])
def test_table_refuses_anything_but_a_sequence_of_cases(bad):
    with pytest.raises(TypeError, match="cases must be a sequence of KinkCase"):
        kink_table(bad)


def test_find_needs_a_point_when_an_expression_has_several_rows(table):
    with pytest.raises(ValueError, match="pass point= to pick one"):
        table.find("x.clamp(0, 1)")
    with pytest.raises(KeyError, match="no row for"):
        table.find("torch.relu(x)", 1.0)
    with pytest.raises(KeyError, match="no row for"):
        table.find("relu(x)")


def test_text_table_lines_up_its_columns(table):
    lines = repr(table).splitlines()
    assert lines[0].split() == list(HEADERS)
    assert len(lines) == len(KINK_CASES) + 1
    assert lines[1].split()[:2] == ["torch.relu(x)", "0"]


def test_html_table_has_a_header_cell_per_column_and_a_row_per_case(table):
    markup = table._repr_html_()
    assert markup.count('<th scope="col">') == len(HEADERS)
    assert markup.count("<tr class=") == len(KINK_CASES)
    assert markup.count('class="kink-departure"') == len(DEPARTURES)
    assert "<code>torch.where(x &gt; 0, x, -x)</code>" in markup


def test_headers_hold_no_word_of_any_language():
    words = [header for header in HEADERS if header.isalpha()]
    assert words == []


def test_empty_table():
    assert kink_table([]) == KinkTable(())
    assert repr(kink_table([])).split() == list(HEADERS)
