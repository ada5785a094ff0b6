"""Tests of autograd_guide.plotting: a function drawn beside its derivative."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from autograd_guide.plotting import plot_function_and_derivative


def test_plot_draws_function_and_derivative():
    x = torch.linspace(0, 6, 50)
    ax = plot_function_and_derivative(torch.sin, x)
    assert isinstance(ax, Axes)
    function_line, derivative_line = ax.get_lines()
    for line in (function_line, derivative_line):
        torch.testing.assert_close(torch.as_tensor(line.get_xdata()), x.double())
    torch.testing.assert_close(torch.as_tensor(function_line.get_ydata()), torch.sin(x).double())
    torch.testing.assert_close(
        torch.as_tensor(derivative_line.get_ydata()), torch.cos(x).double(), rtol=1e-6, atol=1e-6
    )
    assert [line.get_label() for line in ax.get_lines()] == ["$f(x)$", "$f'(x)$"]


def test_plot_uses_custom_labels():
    ax = plot_function_and_derivative(torch.tanh, torch.linspace(-2, 2, 9), labels=("a", "b"))
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_draws_on_given_axes_without_new_figure():
    figure, ax = plt.subplots()
    figures_before = plt.get_fignums()
    result = plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), ax)
    assert result is ax
    assert result.figure is figure
    assert plt.get_fignums() == figures_before
    assert len(ax.get_lines()) == 2


def test_plot_never_shows(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: shown.append("plt.show"))
    monkeypatch.setattr(Figure, "show", lambda *args, **kwargs: shown.append("Figure.show"))
    ax = plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5))
    assert shown == []
    assert plt.get_fignums() == [ax.figure.number]


def test_plot_refuses_2d_x_without_making_a_figure():
    with pytest.raises(ValueError, match=r"pass points such as torch\.linspace"):
        plot_function_and_derivative(torch.sin, torch.ones(2, 3))
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "labels",
    [("a",), ("a", "b", "c"), ("a", 1), (None, "b")],
    ids=["one", "three", "not a string", "None"],
)
def test_plot_refuses_bad_labels(labels):
    with pytest.raises(TypeError, match="labels must be two strings"):
        plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), labels=labels)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("labels", ["ab", None, 5])
def test_plot_refuses_labels_that_are_not_a_pair_of_strings(labels):
    with pytest.raises(TypeError, match=r"labels must be two strings.*pass a pair"):
        plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), labels=labels)


def test_plot_draws_low_precision_input():
    ax = plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5, dtype=torch.bfloat16))
    assert len(ax.get_lines()) == 2
