r"""What autograd returns at a kink, set against PyTorch's documented policy.

PyTorch's note "Autograd mechanics" (section "Gradients for non-differentiable
functions") says which gradient an operation should return where it has no
derivative: the derivative where there is one (rule 1); the subgradient of
minimum norm where the function is convex near the point (rule 2); the
supergradient of minimum norm where it is concave (rule 3); otherwise a value
the gradient takes arbitrarily close to the point, possibly infinite (rule 4).

A :class:`KinkCase` names a function as a Python expression in ``x``, the
point, the limits of its gradient on either side of the point and the shape of
the function around it. :func:`kink_row` works out what the policy allows there
and what autograd returns; :func:`kink_table` does this for every case of
:data:`KINK_CASES`.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, cast, get_args

import torch
import torch.nn.functional

__all__ = ["KINK_CASES", "KinkCase", "KinkRow", "KinkTable", "kink_row", "kink_table"]

Shape = Literal["differentiable", "convex", "concave", "neither"]
"""How the function behaves around the point, which decides the rule of the policy."""

Value = float | tuple[float, ...]
"""A gradient: a float for a function of one number, a tuple for a function of a vector."""

# The rule of the policy that applies to each shape, numbered as in PyTorch's note.
RULES: dict[Shape, int] = {"differentiable": 1, "convex": 2, "concave": 3, "neither": 4}

# What an expression may use besides x. No builtins: the expressions are short
# formulas, and the table prints them as they run.
_NAMESPACE = {"torch": torch, "F": torch.nn.functional, "inf": math.inf, "__builtins__": {}}

# The side points x0 -+ STEP * direction where the declared limits are checked, in float64.
_STEP = 1e-6


def _as_value(value: object, name: str, *, allow_none: bool = False) -> Value | None:
    """Return ``value`` as a float or a tuple of floats, else raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if (
        isinstance(value, tuple | list)
        and value
        and all(isinstance(item, numbers.Real) and not isinstance(item, bool) for item in value)
    ):
        return tuple(float(item) for item in value)
    none = " or None" if allow_none else ""
    raise TypeError(
        f"{name} must be a real number or a non-empty tuple of real numbers{none}, "
        f"got {value!r}; pass for example 0.0 or (1.0, 3.0, 3.0)"
    )


def _length(value: Value) -> int | None:
    return len(value) if isinstance(value, tuple) else None


def _components(value: Value) -> tuple[float, ...]:
    return value if isinstance(value, tuple) else (value,)


def _same_value(a: Value, b: Value, tolerance: float) -> bool:
    """Whether two gradients agree entry by entry; infinities agree only with themselves."""
    return all(
        (x == y)
        if math.isinf(x) or math.isinf(y)
        else math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance)
        for x, y in zip(_components(a), _components(b), strict=True)
    )


def _minimum_norm(left: Value, right: Value) -> Value:
    """Return the point of the segment from ``left`` to ``right`` that is nearest to zero."""
    p, q = _components(left), _components(right)
    step = [b - a for a, b in zip(p, q, strict=True)]
    length = sum(s * s for s in step)
    t = (
        0.0
        if length == 0
        else min(1.0, max(0.0, -sum(a * s for a, s in zip(p, step, strict=True)) / length))
    )
    nearest = tuple(a + t * s + 0.0 for a, s in zip(p, step, strict=True))
    return nearest if isinstance(left, tuple) else nearest[0]


def _text(value: Value | None) -> str:
    """Format a number or a tuple of numbers the way the table shows it."""
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(item) for item in value) + ")"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value):
        return str(int(value))
    return f"{value:.4g}"


@dataclass(frozen=True)
class KinkCase:
    """A function, a point where it may have no derivative, and what is known about it there.

    Parameters
    ----------
    expression
        A Python expression in ``x`` that returns a one-element tensor. It may
        use ``torch``, ``F`` (:mod:`torch.nn.functional`) and ``inf``.
    point
        The point: a number when ``x`` is a single number, a tuple of numbers
        when it is a vector.
    left, right
        The limits of the gradient on either side of the point: at
        ``point - h * direction`` and ``point + h * direction`` as ``h``
        shrinks to 0. ``left`` is ``None`` where the function is not defined
        on that side (``torch.sqrt(x)`` left of 0); either may be infinite.
    shape
        ``"differentiable"`` if the function has a derivative at the point,
        ``"convex"`` or ``"concave"`` if it is convex or concave near the
        point, ``"neither"`` otherwise (a jump, or pieces that bend the other
        way from the kink).
    direction
        Which way "left" and "right" go. For a vector, the direction that
        breaks the tie or crosses the kink; for a number, 1.0.

    Raises
    ------
    TypeError
        If ``expression`` is not a string, or a value is not a number or a
        tuple of numbers.
    ValueError
        If ``expression`` is not a valid expression, ``shape`` is unknown, the
        values do not all have the point's length, a convex or concave case
        has an undefined or infinite limit, or a differentiable case has two
        different limits.

    Examples
    --------
    >>> case = KinkCase("torch.relu(x)", 0.0, left=0.0, right=1.0, shape="convex")
    >>> case.rule
    2
    >>> case.allowed
    (0.0,)
    """

    expression: str
    point: Value
    left: Value | None
    right: Value
    shape: Shape
    direction: Value = 1.0

    def __post_init__(self) -> None:
        """Check the case and turn its numbers into floats."""
        if not isinstance(self.expression, str):
            raise TypeError(
                f"expression must be a string, got {type(self.expression).__name__}; "
                f"pass Python source such as 'torch.relu(x)'"
            )
        try:
            compile(self.expression, "<kink case>", "eval")
        except SyntaxError as error:
            raise ValueError(
                f"expression {self.expression!r} is not a Python expression ({error.msg}); "
                f"pass one expression in x, such as 'torch.relu(x)'"
            ) from None
        if self.shape not in RULES:
            raise ValueError(
                f"shape must be one of {', '.join(map(repr, get_args(Shape)))}, got {self.shape!r}"
            )
        point = cast(Value, _as_value(self.point, "point"))
        values = {
            "left": _as_value(self.left, "left", allow_none=True),
            "right": _as_value(self.right, "right"),
            "direction": _as_value(self.direction, "direction"),
        }
        for name, value in values.items():
            if value is not None and _length(value) != _length(point):
                raise ValueError(
                    f"{name} has {_length(value) or 'no'} entries but point has "
                    f"{_length(point) or 'none'}; give every value the point's shape"
                )
        object.__setattr__(self, "point", point)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        limits = [value for value in (self.left, self.right) if value is not None]
        if self.shape in ("convex", "concave") and (
            self.left is None or any(math.isinf(v) for value in limits for v in _components(value))
        ):
            raise ValueError(
                f"a {self.shape} case needs two finite limits, got left={self.left!r} and "
                f"right={self.right!r}; use shape='neither' for a one-sided or infinite gradient"
            )
        if self.shape == "differentiable" and (
            self.left is None or not _same_value(self.left, self.right, 1e-12)
        ):
            raise ValueError(
                f"a differentiable case has equal limits, got left={self.left!r} and "
                f"right={self.right!r}; use shape='convex', 'concave' or 'neither' for a kink"
            )

    @property
    def rule(self) -> int:
        """The rule of PyTorch's policy that applies, from 1 to 4."""
        return RULES[self.shape]

    @property
    def allowed(self) -> tuple[Value, ...]:
        """The gradients the policy allows at the point.

        The derivative (rule 1); the point nearest to zero between the two
        limits (rules 2 and 3); either limit (rule 4).
        """
        if self.rule == 1:
            return (self.right,)
        if self.rule in (2, 3):
            return (_minimum_norm(cast(Value, self.left), self.right),)
        limits = [value for value in (self.left, self.right) if value is not None]
        unique: list[Value] = []
        for value in limits:
            if not any(_same_value(value, seen, 1e-12) for seen in unique):
                unique.append(value)
        return tuple(unique)

    def function(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """Return the expression as a function of the tensor ``x``."""
        code = compile(self.expression, "<kink case>", "eval")

        def f(x: torch.Tensor) -> torch.Tensor:
            result = eval(code, _NAMESPACE, {"x": x})
            if not isinstance(result, torch.Tensor) or result.numel() != 1:
                shown = (
                    tuple(result.shape)
                    if isinstance(result, torch.Tensor)
                    else type(result).__name__
                )
                raise TypeError(
                    f"{self.expression!r} must return a one-element tensor, got {shown}; "
                    f"index or reduce the result, for example with [0] or .sum()"
                )
            return result.reshape(())

        return f


@dataclass(frozen=True)
class KinkRow:
    """One row of the table: a case, what autograd returns there, and whether the policy allows it.

    Attributes
    ----------
    case
        The case the row is about.
    returned
        The gradient autograd returns at the point.
    matches
        Whether ``returned`` is one of ``case.allowed``.
    """

    case: KinkCase
    returned: Value
    matches: bool

    def cells(self) -> tuple[str, ...]:
        """Return the row's cells as the table shows them."""
        case = self.case
        allowed = [_text(value) for value in case.allowed]
        return (
            case.expression,
            _text(case.point),
            _text(case.left),
            _text(case.right),
            str(case.rule),
            allowed[0] if len(allowed) == 1 else "{" + ", ".join(allowed) + "}",
            _text(self.returned),
            "✓" if self.matches else "✗",
        )


HEADERS = ("f(x)", "x₀", "g₋", "g₊", "№", "g*", "x.grad", "✓")
"""The table's column headings: symbols and code, the same in every language."""


@dataclass(frozen=True)
class KinkTable:
    """Rows of :class:`KinkRow`, shown as a table in a notebook and as text elsewhere.

    Attributes
    ----------
    rows
        The rows, in the order of the cases.
    """

    rows: tuple[KinkRow, ...]

    @property
    def departures(self) -> tuple[KinkRow, ...]:
        """The rows where autograd returns a gradient the policy does not allow."""
        return tuple(row for row in self.rows if not row.matches)

    def find(self, expression: str, point: object = None) -> KinkRow:
        """Return the row of ``expression``, at ``point`` if the expression has several rows.

        Raises
        ------
        KeyError
            If no row has this expression and point.
        ValueError
            If several rows have this expression and no point tells them apart.
        """
        wanted = None if point is None else _as_value(point, "point")
        found = [
            row
            for row in self.rows
            if row.case.expression == expression
            and (wanted is None or _same_value(row.case.point, wanted, 0.0))
        ]
        if not found:
            raise KeyError(
                f"no row for {expression!r} at {point!r}; check the expression's spelling"
            )
        if len(found) > 1:
            points = ", ".join(_text(row.case.point) for row in found)
            raise ValueError(f"{expression!r} has rows at {points}; pass point= to pick one")
        return found[0]

    def __repr__(self) -> str:
        """Return the table as aligned plain text."""
        lines = [HEADERS, *(row.cells() for row in self.rows)]
        widths = [max(len(line[column]) for line in lines) for column in range(len(HEADERS))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in lines
        )

    def _repr_html_(self) -> str:
        """Return the table as HTML, for notebooks and the built pages."""
        head = "".join(f'<th scope="col">{html.escape(header)}</th>' for header in HEADERS)
        body = []
        for row in self.rows:
            cells = row.cells()
            code = "".join(f"<td><code>{html.escape(cell)}</code></td>" for cell in cells[:2])
            numbers_ = "".join(f"<td>{html.escape(cell)}</td>" for cell in cells[2:])
            kind = "kink-match" if row.matches else "kink-departure"
            body.append(f'<tr class="{kind}">{code}{numbers_}</tr>')
        return (
            '<table class="table kink-table">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )


def _gradient(f: Callable[[torch.Tensor], torch.Tensor], point: Value, dtype: torch.dtype) -> Value:
    x = torch.tensor(point, dtype=dtype, requires_grad=True)
    (gradient,) = torch.autograd.grad(f(x), x)
    if isinstance(point, tuple):
        return tuple(float(value) for value in gradient.tolist())
    return float(gradient.item())


def _shifted(point: Value, direction: Value, step: float) -> Value:
    shifted = tuple(
        p + step * d for p, d in zip(_components(point), _components(direction), strict=True)
    )
    return shifted if isinstance(point, tuple) else shifted[0]


def _check_limit(case: KinkCase, f: Callable[[torch.Tensor], torch.Tensor], side: str) -> None:
    """Raise if autograd, just beside the point, contradicts the limit the case declares."""
    sign = -1.0 if side == "left" else 1.0
    declared = case.left if side == "left" else case.right
    near = _shifted(case.point, case.direction, sign * _STEP)
    if declared is None:
        value = f(torch.tensor(near, dtype=torch.float64))
        if not torch.isnan(value):
            raise ValueError(
                f"{case.expression!r} at {_text(case.point)}: left=None says the function is "
                f"undefined left of the point, but it is {value.item()!r} there; declare the limit"
            )
        return
    sampled = _gradient(f, near, torch.float64)
    closer = _gradient(f, _shifted(case.point, case.direction, sign * _STEP / 100), torch.float64)
    for limit, at_step, at_closer in zip(
        _components(declared), _components(sampled), _components(closer), strict=True
    ):
        if math.isinf(limit):
            # An infinite limit: the gradient keeps growing, with the limit's sign.
            same_sign = math.copysign(1, at_closer) == math.copysign(1, limit)
            agrees = same_sign and abs(at_closer) >= 5 * abs(at_step) > 0
        else:
            agrees = math.isclose(at_step, limit, rel_tol=1e-4, abs_tol=1e-4)
        if not agrees:
            raise ValueError(
                f"{case.expression!r} at {_text(case.point)}: {side}={_text(declared)}, "
                f"but autograd gives {_text(sampled)} at {_text(near)}; "
                f"correct the case's {side} limit"
            )


def kink_row(case: KinkCase, dtype: torch.dtype = torch.float64) -> KinkRow:
    """Compute what autograd returns for ``case`` and whether the policy allows it.

    Before that, the limits the case declares are checked against autograd
    just beside the point (at a distance of 1e-6 along ``case.direction``,
    in double precision): a finite limit must match to four decimals, an
    infinite one must keep growing as the distance shrinks, and a missing
    left limit needs a NaN value there.

    Parameters
    ----------
    case
        The function, the point and what is known about them.
    dtype
        The floating-point type of the point at which autograd is asked.

    Returns
    -------
    KinkRow
        The case, the gradient autograd returns at the point, and whether it
        is one of the gradients the policy allows.

    Raises
    ------
    TypeError
        If ``case`` is not a :class:`KinkCase`, ``dtype`` is not a
        floating-point type, or the expression does not return a one-element
        tensor.
    ValueError
        If a declared limit disagrees with autograd beside the point.

    Examples
    --------
    >>> row = kink_row(KinkCase("x.clamp(min=0)", 0.0, left=0.0, right=1.0, shape="convex"))
    >>> row.returned, row.case.allowed, row.matches
    (1.0, (0.0,), False)
    """
    if not isinstance(case, KinkCase):
        raise TypeError(
            f"case must be a KinkCase, got {type(case).__name__}; "
            f"build one with KinkCase('torch.relu(x)', 0.0, left=0.0, right=1.0, shape='convex')"
        )
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(
            f"dtype must be a floating-point torch.dtype, got {dtype!r}; "
            f"pass torch.float64 or torch.float32"
        )
    f = case.function()
    _check_limit(case, f, "left")
    _check_limit(case, f, "right")
    returned = _gradient(f, case.point, dtype)
    tolerance = 16 * torch.finfo(dtype).eps
    matches = any(_same_value(returned, allowed, tolerance) for allowed in case.allowed)
    return KinkRow(case, returned, matches)


def kink_table(
    cases: Sequence[KinkCase] | None = None, dtype: torch.dtype = torch.float64
) -> KinkTable:
    """Compute a row for each case: by default, every case of :data:`KINK_CASES`.

    Parameters
    ----------
    cases
        The cases, in the order the table lists them. ``None`` means
        :data:`KINK_CASES`.
    dtype
        The floating-point type of the points at which autograd is asked.

    Returns
    -------
    KinkTable
        One row per case. In a notebook it shows as a table with the columns
        ``f(x)`` (the expression), ``x₀`` (the point), ``g₋`` and ``g₊`` (the
        limits of the gradient on either side), ``№`` (the rule of the
        policy), ``g*`` (what the policy allows), ``x.grad`` (what autograd
        returns) and ``✓`` (whether the two agree).

    Raises
    ------
    TypeError
        If ``cases`` is not a sequence of :class:`KinkCase`, or ``dtype`` is
        not a floating-point type.
    ValueError
        If a case's declared limits disagree with autograd beside the point.

    Examples
    --------
    >>> kink_table([KinkCase("torch.abs(x)", 0.0, left=-1.0, right=1.0, shape="convex")])
    f(x)          x₀  g₋  g₊  №  g*  x.grad  ✓
    torch.abs(x)  0   -1  1   2  0   0       ✓
    """
    if cases is None:
        cases = KINK_CASES
    if isinstance(cases, str | KinkCase) or not isinstance(cases, Sequence):
        raise TypeError(
            f"cases must be a sequence of KinkCase, got {type(cases).__name__}; "
            f"pass a list such as [KinkCase(...)], or nothing for KINK_CASES"
        )
    return KinkTable(tuple(kink_row(case, dtype) for case in cases))


def _case(
    expression: str,
    point: Value,
    left: Value | None,
    right: Value,
    shape: Shape,
    direction: Value = 1.0,
) -> KinkCase:
    return KinkCase(expression, point, left, right, shape, direction)


_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717
_STD_SLOPE = 1 / math.sqrt(12)
_TIE = (0.0, -1.0, 1.0)  # breaks a tie of the last two entries one way or the other

KINK_CASES: tuple[KinkCase, ...] = (
    # Activations and clamps: one number, a corner between two pieces.
    _case("torch.relu(x)", 0.0, 0.0, 1.0, "convex"),
    _case("torch.abs(x)", 0.0, -1.0, 1.0, "convex"),
    _case("x.clamp(min=0)", 0.0, 0.0, 1.0, "convex"),
    _case("x.clamp(max=1)", 1.0, 1.0, 0.0, "concave"),
    _case("x.clamp(0, 1)", 0.0, 0.0, 1.0, "convex"),
    _case("x.clamp(0, 1)", 1.0, 1.0, 0.0, "concave"),
    _case("torch.clamp_min(x, 0)", 0.0, 0.0, 1.0, "convex"),
    _case("F.hardtanh(x)", -1.0, 0.0, 1.0, "convex"),
    _case("F.hardtanh(x)", 1.0, 1.0, 0.0, "concave"),
    _case("F.relu6(x)", 0.0, 0.0, 1.0, "convex"),
    _case("F.relu6(x)", 6.0, 1.0, 0.0, "concave"),
    _case("F.leaky_relu(x)", 0.0, 0.01, 1.0, "convex"),
    _case("F.leaky_relu(x, 2.0)", 0.0, 2.0, 1.0, "concave"),
    _case("F.elu(x, 0.5)", 0.0, 0.5, 1.0, "convex"),
    _case("F.selu(x)", 0.0, _SELU_SCALE * _SELU_ALPHA, _SELU_SCALE, "neither"),
    _case("F.celu(x, 0.5)", 0.0, 1.0, 1.0, "differentiable"),
    _case("F.hardswish(x)", -3.0, 0.0, -0.5, "neither"),
    _case("F.hardswish(x)", 3.0, 1.5, 1.0, "neither"),
    # Steps: a jump, with a zero derivative on both sides.
    _case("torch.floor(x)", 1.0, 0.0, 0.0, "neither"),
    _case("torch.round(x)", 0.5, 0.0, 0.0, "neither"),
    _case("torch.sign(x)", 0.0, 0.0, 0.0, "neither"),
    # Powers at 0.
    _case("torch.sqrt(x)", 0.0, None, math.inf, "neither"),
    _case("x ** 0.5", 0.0, None, math.inf, "neither"),
    _case("x ** 2", 0.0, 0.0, 0.0, "differentiable"),
    _case("x ** 0", 0.0, 0.0, 0.0, "differentiable"),
    # Corners built from where.
    _case("torch.where(x > 0, x, 0.0)", 0.0, 0.0, 1.0, "convex"),
    _case("torch.where(x > 0, x, -x)", 0.0, -1.0, 1.0, "convex"),
    # Norms at a corner.
    _case(
        "x.norm()", (0.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (1.0, 0.0, 0.0), "convex", (1.0, 0.0, 0.0)
    ),
    _case(
        "torch.linalg.vector_norm(x)",
        (0.0, 0.0, 0.0),
        (-1.0, 0.0, 0.0),
        (1.0, 0.0, 0.0),
        "convex",
        (1.0, 0.0, 0.0),
    ),
    _case(
        "torch.linalg.vector_norm(x, inf)",
        (1.0, -3.0, 3.0),
        (0.0, -1.0, 0.0),
        (0.0, 0.0, 1.0),
        "convex",
        (0.0, 1.0, 1.0),
    ),
    _case(
        "x.std()",
        (1.0, 1.0, 1.0),
        (-2 * _STD_SLOPE, _STD_SLOPE, _STD_SLOPE),
        (2 * _STD_SLOPE, -_STD_SLOPE, -_STD_SLOPE),
        "convex",
        (1.0, 0.0, 0.0),
    ),
    # Ties of the largest and smallest entry.
    _case("x.max()", (1.0, 3.0, 3.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "convex", _TIE),
    _case("x.amax()", (1.0, 3.0, 3.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "convex", _TIE),
    _case("x.max(dim=0).values", (1.0, 3.0, 3.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "convex", _TIE),
    _case(
        "torch.maximum(x[1], x[2])",
        (1.0, 3.0, 3.0),
        (0.0, 1.0, 0.0),
        (0.0, 0.0, 1.0),
        "convex",
        _TIE,
    ),
    _case(
        "torch.fmax(x[1], x[2])", (1.0, 3.0, 3.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "convex", _TIE
    ),
    _case("x.sort().values[-1]", (1.0, 3.0, 3.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "convex", _TIE),
    _case("x.topk(1).values[0]", (1.0, 3.0, 3.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "convex", _TIE),
    _case(
        "x.cummax(dim=0).values[-1]",
        (1.0, 3.0, 3.0),
        (0.0, 1.0, 0.0),
        (0.0, 0.0, 1.0),
        "convex",
        _TIE,
    ),
    _case(
        "F.max_pool1d(x[None], 3)[0, 0]",
        (1.0, 3.0, 3.0),
        (0.0, 1.0, 0.0),
        (0.0, 0.0, 1.0),
        "convex",
        _TIE,
    ),
    _case("x.min()", (3.0, 1.0, 1.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "concave", _TIE),
    _case("x.amin()", (3.0, 1.0, 1.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "concave", _TIE),
    _case(
        "x.min(dim=0).values", (3.0, 1.0, 1.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "concave", _TIE
    ),
    _case(
        "x.kthvalue(1).values", (3.0, 1.0, 1.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "concave", _TIE
    ),
    _case("x.median()", (1.0, 2.0, 2.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "concave", _TIE),
    _case(
        "x.median(dim=0).values", (1.0, 2.0, 2.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "concave", _TIE
    ),
)
"""The cases of the book's table: activations and clamps, steps, powers, norms and ties."""
