"""Which input every team's published files came from: hashes, the run key, the manifest merged
team by team, and whether a team's files are current."""

from __future__ import annotations

from toolkit.reporting import manifest as mf

ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")


def test_manifest_round_trip_and_merge(tmp_path) -> None:
    assert mf.read(tmp_path) == {"manifest_version": 2, "teams": []}
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert mf.read(tmp_path)["teams"] == []  # unreadable: everything is redone
    m = mf.read(tmp_path)
    mf.set_team(tmp_path, m, {"team_id": "b", "status": "published"})
    mf.set_team(tmp_path, m, {"team_id": "a", "status": "failed"})
    mf.set_team(tmp_path, m, {"team_id": "b", "status": "publishing"})
    assert [(t["team_id"], t["status"]) for t in mf.read(tmp_path)["teams"]] == [("a", "failed"), ("b", "publishing")]


def test_input_hashes_and_key(tmp_path) -> None:
    (tmp_path / "deals.csv").write_bytes(b"abc")
    (tmp_path / ".hidden").write_bytes(b"x")
    (tmp_path / "mapping.yaml").write_bytes(b"")
    assert mf.input_hashes(tmp_path) == {
        "deals.csv": ABC,
        "mapping.yaml": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
    assert mf.input_hashes(tmp_path / "deals.csv") == {"deals.csv": mf.input_hashes(tmp_path)["deals.csv"]}
    assert mf.input_hashes(tmp_path / "mapping.yaml") == mf.input_hashes(tmp_path)
    key = mf.run_key(mf.input_hashes(tmp_path), {"as_of": "2025-06-30"})
    assert key == mf.run_key(mf.input_hashes(tmp_path), {"as_of": "2025-06-30"}) != mf.run_key({}, {"as_of": "x"})
    assert mf.sha256(tmp_path / "deals.csv") == mf.input_hashes(tmp_path)["deals.csv"]


def test_a_team_is_current_only_if_published_from_this_run_with_its_files_unchanged(tmp_path) -> None:
    (tmp_path / "team_report.html").write_bytes(b"abc")
    entry = {"team_id": "a", "status": "published", "run_key": "k1", "files": {"team_report.html": ABC}}
    assert mf.is_current(entry, "k1", tmp_path)
    assert not mf.is_current(entry, "k2", tmp_path)                         # another run's inputs or parameters
    assert not mf.is_current(entry | {"status": "publishing"}, "k1", tmp_path)  # a publication cut short
    assert not mf.is_current(entry | {"files": {}}, "k1", tmp_path) and not mf.is_current(None, "k1", tmp_path)
    (tmp_path / "team_report.html").write_bytes(b"abd")                     # edited after publishing
    assert not mf.is_current(entry, "k1", tmp_path)
    assert mf.team_entry({"teams": [entry]}, "a") is entry and mf.team_entry({"teams": [entry]}, "b") is None


def test_hash_all_gives_each_files_digest_in_order_whatever_their_sizes(tmp_path, monkeypatch) -> None:
    import hashlib

    from toolkit import filebytes
    monkeypatch.setattr(filebytes, "BLOCK", 1 << 16)  # the larger files are hashed in several blocks
    sizes = [3, 5_000_000, 0, 70_000, 1]
    files = []
    for i, size in enumerate(sizes):
        f = tmp_path / f"f{i}.csv"
        f.write_bytes(bytes(range(256)) * (size // 256) + b"a" * (size % 256))
        files.append(f)
    assert mf.hash_all(files) == [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    assert mf.hash_all(files[:1]) == [hashlib.sha256(files[0].read_bytes()).hexdigest()]
    assert mf.hash_all([]) == []
