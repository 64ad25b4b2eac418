"""Fixtures of the metric tests; the frame builders live in metric_frames (a unique module name,
so test folders do not shadow each other's helpers)."""

from metric_frames import backend, process  # noqa: F401  (pytest fixtures)
