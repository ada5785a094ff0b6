"""Shared test setup."""

from __future__ import annotations

import matplotlib

# Tests draw figures without a display; the backend must be chosen before pyplot is imported.
matplotlib.use("Agg")
