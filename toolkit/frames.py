"""pandas or polars in, the same library out: one implementation (polars) behind the boundary.

narwhals recognises the caller's frame; polars does the work; the result is handed back in the
caller's library (pandas through Arrow).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import narwhals as nw
import polars as pl

from toolkit.errors import ToolkitError

F = TypeVar("F", bound=Callable[..., Any])


def to_polars(frame: Any, name: str = "frame") -> tuple[pl.DataFrame, str]:
    """(the frame as polars, the library it came from: 'polars' or 'pandas')."""
    if isinstance(frame, pl.DataFrame):
        return frame, "polars"
    if isinstance(frame, pl.LazyFrame):
        return frame.collect(), "polars"
    try:
        native = nw.from_native(frame, eager_only=True)
    except TypeError:
        raise ToolkitError(f"{name} as a pandas or polars DataFrame", type(frame).__name__,
                           "pass data.deals / data.stage_events from toolkit.load") from None
    return _canonical_types(native.to_polars()), str(native.implementation)


def _canonical_types(frame: pl.DataFrame) -> pl.DataFrame:
    """pandas has no date type: canonical date columns come back from it as datetimes (and ids
    may come back as objects); restore the canonical types where the column is present."""
    from toolkit import schema as S

    wanted = {c.name: c.dtype for table in (S.DEALS, S.STAGE_EVENTS, S.REPS) for c in table}
    fixes = [pl.col(name).cast(wanted[name]) for name, dtype in frame.schema.items()
             if name in wanted and dtype != wanted[name] and not (dtype == pl.Null)]
    return frame.with_columns(fixes) if fixes else frame


def to_caller(frame: pl.DataFrame, library: str) -> Any:
    """The frame in the caller's library."""
    if library == "pandas":
        return frame.to_pandas(use_pyarrow_extension_array=False)
    return frame


def native_frames(func: F) -> F:
    """Run ``func`` on polars frames and return its frame result(s) in the library of the first
    frame argument. Frame arguments are found by type, positional or keyword."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        library: str | None = None

        def convert(value: Any, name: str) -> Any:
            nonlocal library
            if value is None or isinstance(value, (str, int, float, bool)) or not _is_frame(value):
                return value
            frame, lib = to_polars(value, name)
            library = library or lib
            return frame

        new_args = [convert(a, f"argument {i + 1}") for i, a in enumerate(args)]
        new_kwargs = {k: convert(v, k) for k, v in kwargs.items()}
        result = func(*new_args, **new_kwargs)
        lib = library or "polars"
        if isinstance(result, pl.DataFrame):
            return to_caller(result, lib)
        if isinstance(result, tuple):
            return tuple(to_caller(r, lib) if isinstance(r, pl.DataFrame) else r for r in result)
        if isinstance(result, dict):
            return {k: to_caller(v, lib) if isinstance(v, pl.DataFrame) else v for k, v in result.items()}
        return result

    return wrapper  # type: ignore[return-value]


def _is_frame(value: Any) -> bool:
    if isinstance(value, (pl.DataFrame, pl.LazyFrame)):
        return True
    module = type(value).__module__.split(".")[0]
    return module == "pandas" and type(value).__name__ == "DataFrame"
