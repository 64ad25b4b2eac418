"""Metrics: pure functions from canonical tables to the figures a sales manager needs.

No file or clock access: ``as_of`` is always a parameter. Every public function takes pandas or
polars frames and returns the caller's type.
"""
