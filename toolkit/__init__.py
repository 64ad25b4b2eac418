"""Sales-process toolkit: load CRM exports, check the sales process on every deal, and spend
review time on a sample.

The public API is imported lazily, so ``import toolkit`` stays fast and pulls in neither Great
Expectations, papermill nor Altair.

>>> import toolkit
>>> data = toolkit.load("data/samples/salesforce_export")   # doctest: +SKIP
>>> data.deals, data.stage_events, data.reps, data.rejects   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "toolkit.loaders",
    "detect_source": "toolkit.loaders",
    "SOURCES": "toolkit.loaders",
    "Dataset": "toolkit.model",
    "load_process": "toolkit.process",
    "parse_process": "toolkit.process",
    "Process": "toolkit.process",
    "load_mapping": "toolkit.loaders.generic",
    "write_samples": "toolkit.samples",
    "ToolkitError": "toolkit.errors",
    "InputFileError": "toolkit.errors",
    "SchemaError": "toolkit.errors",
    "FormatDetectionError": "toolkit.errors",
    "ConfigError": "toolkit.errors",
    "LedgerError": "toolkit.errors",
}

# a literal, so that linters and type checkers see the public names
__all__ = ["ConfigError", "Dataset", "FormatDetectionError", "InputFileError", "LedgerError", "Process", "SOURCES",
           "SchemaError", "ToolkitError", "__version__", "detect_source", "load", "load_mapping", "load_process",
           "parse_process", "write_samples"]

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.errors import ConfigError, FormatDetectionError, InputFileError, LedgerError, SchemaError, ToolkitError
    from toolkit.loaders import SOURCES, detect_source, load
    from toolkit.loaders.generic import load_mapping
    from toolkit.model import Dataset
    from toolkit.process import Process, load_process, parse_process
    from toolkit.samples import write_samples


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}; public names: {__all__}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
