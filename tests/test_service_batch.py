"""`dlocr read FILES_OR_DIRS --out results.jsonl`: folders of generated cards in, one JSON line per file out."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import pytest

from pipelines import ReadOptions
from service import batch, cli
from synthetic import make_sample

if TYPE_CHECKING:
    from conftest import RecordingReader

# Seeds 7600+ are this file's own.
FRONT_SEEDS = (7600, 7601)


pytestmark = pytest.mark.usefixtures("keep_logging_config")  # main() configures logging


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch, recording_reader: RecordingReader) -> list[RecordingReader]:
    """The session's real engine instead of loading another; records each time the CLI asks for one."""
    loaded: list[RecordingReader] = []

    def load(settings: object) -> RecordingReader:
        loaded.append(recording_reader)
        return recording_reader

    monkeypatch.setattr(cli, "load_reader", load)
    return loaded


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    """A folder as an operator has it: cards at two depths, a damaged file, a note that is no image."""
    folder = tmp_path_factory.mktemp("scans")
    (folder / "2024").mkdir()
    truth: dict[str, dict[str, str]] = {}
    for place, seed in zip((folder, folder / "2024"), FRONT_SEEDS):
        sample = make_sample(seed, "flat", "front", "new")
        path = place / f"card-{seed}.JPG"
        cv2.imwrite(str(path), sample.image)
        truth[str(path)] = sample.truth
    (folder / "2024" / "damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    (folder / "notes.txt").write_text("not a scan")
    return folder, truth


def lines(out: Path) -> dict[str, dict[str, Any]]:
    return {line["file"]: line for line in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def test_a_folder_becomes_json_lines_and_a_summary(
    scans: tuple[Path, dict[str, dict[str, str]]], tmp_path: Path, loads: list[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, truth = scans
    out = tmp_path / "results.jsonl"
    argv = ["read", str(folder), "--out", str(out), "--issuing-authority", "--workers", "2"]
    assert cli.main(argv) == 1  # one file could not be read

    written = lines(out)
    damaged = str(folder / "2024" / "damaged.png")
    assert set(written) == {*truth, damaged}  # notes.txt is no image
    for path, fields in truth.items():
        assert written[path]["outcome"] == "ok"
        assert (written[path]["page"], written[path]["result"]) == ("front", fields)
        assert set(written[path]["confidence"]) == set(fields)
        assert all(0 <= c <= 1 for c in written[path]["confidence"].values())
    assert written[damaged]["outcome"] == written[damaged]["error_code"] == "AIS.0102"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds names and ID numbers

    report = capsys.readouterr().out
    assert "3 files read in" in report and "cards/s" in report and "0 skipped" in report
    assert "  AIS.0102     1" in report and "  ok           2" in report
    assert any(row.split()[:2] == ["number", "2/2"] for row in report.splitlines())
    assert len(loads) == 1


def test_a_second_run_skips_what_is_done_and_repairs_a_cut_line(
    scans: tuple[Path, dict[str, dict[str, str]]], tmp_path: Path, loads: list[Any],
    recording_reader: RecordingReader, capsys: pytest.CaptureFixture[str],
) -> None:
    folder, truth = scans
    done, damaged = sorted(truth)[0], str(folder / "2024" / "damaged.png")
    out = tmp_path / "results.jsonl"
    finished = json.dumps({"file": done, "outcome": "ok", "page": "front", "result": truth[done], "confidence": {}})
    out.write_text(finished + "\n" + json.dumps({"file": damaged, "outcome": "AIS.0102"})[:25], encoding="utf-8")

    assert cli.main(["read", str(folder), "--out", str(out), "--issuing-authority"]) == 1
    assert set(lines(out)) == {*truth, damaged}
    again = [Path(path).read_bytes() for path in (*truth, damaged) if path != done]
    assert sorted(data for data, _ in recording_reader.calls) == sorted(again)
    assert "2 files read" in capsys.readouterr().out and len(loads) == 1

    # Everything is done now: nothing is read and no engine is loaded.
    assert cli.main(["read", str(folder), "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert "0 files read" in report and "3 skipped" in report
    assert len(loads) == 1


def test_single_file_without_out_keeps_printing_the_api_answer(
    scans: tuple[Path, dict[str, dict[str, str]]], loads: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, truth = scans
    assert cli.main(["read", str(folder)]) == 2
    assert "need --out" in capsys.readouterr().err
    assert cli.main(["read", *truth]) == 2
    assert loads == []


def test_missing_input_is_a_usage_error(tmp_path: Path, loads: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["read", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out.jsonl")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert loads == [] and not (tmp_path / "out.jsonl").exists()


def test_an_output_that_is_not_ours_is_left_alone(
    scans: tuple[Path, dict[str, dict[str, str]]], tmp_path: Path, loads: list[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    for notes in ("my notes\nmore notes\n", "my notes, no line end"):
        out = tmp_path / "notes.txt"
        out.write_text(notes, encoding="utf-8")
        assert cli.main(["read", str(scans[0]), "--out", str(out)]) == 2
        assert "give another --out" in capsys.readouterr().err
        assert out.read_text(encoding="utf-8") == notes and loads == []


def test_progress_bar_counts_cards(tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: Any) -> None:
    junk = tmp_path / "a.jpg"
    junk.write_bytes(b"no image")
    summary = batch.run(reader, [junk], tmp_path / "out.jsonl", ReadOptions(), workers=1, progress=True)
    assert "1/1" in capsys.readouterr().err
    assert summary.outcomes == {"AIS.0102": 1} and not summary.all_ok
