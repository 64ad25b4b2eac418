"""How an export is to be read: the options every command and the report run share.

One definition, so that an export ``toolkit load`` reads (``--date-style mdy``, a mapping, a
roster) is read the same way by ``metrics``, ``validate``, ``prepare`` and ``report``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.model import Dataset
    from toolkit.process import Process


@dataclass(frozen=True)
class LoadOptions:
    """The loader's choices beyond the path: ``source`` (detected when None), a ``mapping`` YAML
    for generic exports, a ``roster`` file, a ``process`` YAML (the built-in one when None) and a
    ``date_style`` (iso, dmy, mdy) for files whose dates read either way."""

    source: str | None = None
    mapping: Path | None = None
    roster: Path | None = None
    process: Path | None = None
    date_style: str | None = None

    def load_process(self) -> Process:
        """The sales process these options name."""
        from toolkit.process import load_process

        return load_process(self.process)

    def load(self, path: str | Path, process: Process | None = None) -> Dataset:
        """The export at ``path`` read with these options (``process`` saves reading it twice)."""
        from toolkit.loaders import load

        return load(path, source=self.source, mapping=self.mapping, roster=self.roster,
                    process=process if process is not None else self.process, date_style=self.date_style)

    def parameters(self) -> dict[str, str | None]:
        """The options as they are recorded in a run's manifest."""
        return {"source": self.source, "mapping": _text(self.mapping), "roster": _text(self.roster),
                "process": _text(self.process) or "default", "date_style": self.date_style}

    def fingerprint(self) -> dict[str, str | None]:
        """What decides the result of a load besides the export: option values and the sha256 of
        every file they name (a changed mapping or roster changes the reports)."""
        return {"source": self.source, "date_style": self.date_style, "mapping": _sha256(self.mapping),
                "roster": _sha256(self.roster), "process": _sha256(self.process) or "default"}


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _sha256(path: Path | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
