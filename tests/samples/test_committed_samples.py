"""data/samples is exactly what the generator writes: regenerate and compare byte for byte."""

from __future__ import annotations

from pathlib import Path

from toolkit.samples import write_samples

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_committed_samples_are_the_generators_output(tmp_path: Path) -> None:
    write_samples(tmp_path)
    written = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(SAMPLES): p.read_bytes() for p in SAMPLES.rglob("*") if p.is_file()}
    assert sorted(written) == sorted(committed)
    assert [str(k) for k in sorted(written) if written[k] != committed[k]] == []
