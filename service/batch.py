"""`dlocr read FILES_OR_DIRS --out results.jsonl`: read folders of scans into one JSON line per file.

The output is appended to and flushed line by line, so a run that is stopped loses nothing it finished, and the
next run with the same output skips every file already in it.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from tqdm import tqdm

from pipelines import LicenceReading, ReadOptions
from pipelines.errors import DlocrError
from service.errors import InternalError, error_body

logger = logging.getLogger("dlocr.batch")

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
OK = "ok"
UNREADABLE = "unreadable"
# Below this a field deserves a look by a person; the playground marks the same fields in red.
LOW_CONFIDENCE = 0.8
# How every output line begins (read_one puts "file" first), and so how a line cut short is told from a stranger's.
_LINE_START = '{"file": '


class Reader(Protocol):
    def read(self, data: bytes, options: ReadOptions) -> LicenceReading: ...


def find_images(paths: Iterable[Path]) -> list[Path]:
    """Files as given (whatever their name) and the images anywhere below directories: absolute, sorted, once each."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        elif path.exists():
            found.add(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")
    return sorted(p.absolute() for p in found)


def files_done(out: Path) -> set[str]:
    """The files a previous run recorded in `out`. A last line cut short (the run was killed) is removed.

    A file with lines that are not ours is refused, never truncated: --out may have named the wrong file.
    """
    if not out.exists():
        return set()
    not_ours = ValueError(f"{out} holds lines that dlocr read did not write: give another --out")
    try:
        complete, _, partial = out.read_text(encoding="utf-8").rpartition("\n")
        done = {json.loads(line)["file"] for line in complete.splitlines() if line.strip()}
    except (ValueError, KeyError, TypeError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise not_ours from None
    if partial and not partial.startswith(_LINE_START):
        raise not_ours
    if partial:
        with out.open("r+", encoding="utf-8") as handle:
            handle.truncate(len((complete + "\n").encode()) if complete else 0)
    return done


def read_one(reader: Reader, path: Path, options: ReadOptions) -> dict[str, Any]:
    """One output line: the API's answer (or error) for the file, with page, confidence, warnings and seconds."""
    started = time.perf_counter()
    line: dict[str, Any] = {"file": str(path)}
    try:
        reading = reader.read(path.read_bytes(), options)
    except OSError as exc:
        line.update(outcome=UNREADABLE, error_msg=f"cannot read the file: {exc.strerror}")
    except DlocrError as exc:
        line.update(outcome=exc.code, **error_body(exc))
    except Exception:
        # No file name in the log: scans are often named after their holder. The output line names the file.
        logger.exception("unexpected error while reading a file; its output line says AIS.0500")
        line.update(outcome=InternalError.code, **error_body(InternalError()))
    else:
        line.update(
            outcome=OK,
            page=reading.page,
            result=reading.fields,
            confidence=reading.confidence,
            warnings=list(reading.warnings),
        )
    line["seconds"] = round(time.perf_counter() - started, 3)
    return line


@dataclass
class FieldStats:
    read: int = 0  # answers that have this field (front and back pages have different fields)
    filled: int = 0
    confidence: list[float] = field(default_factory=list)

    def row(self, name: str) -> str:
        values = self.confidence or [0.0]
        low = sum(value < LOW_CONFIDENCE for value in values)
        filled = f"{self.filled}/{self.read}"
        return f"  {name:<18} {filled:>9} {statistics.fmean(values):>9.3f} {min(values):>9.3f} {low:>6}"


@dataclass
class Summary:
    outcomes: Counter[str] = field(default_factory=Counter)
    fields: dict[str, FieldStats] = field(default_factory=dict)
    skipped: int = 0
    seconds: float = 0.0

    def add(self, line: dict[str, Any]) -> None:
        self.outcomes[line["outcome"]] += 1
        if line["outcome"] != OK:
            return
        for name, value in line["result"].items():
            stats = self.fields.setdefault(name, FieldStats())
            stats.read += 1
            stats.filled += bool(value)
            if name in line["confidence"]:
                stats.confidence.append(line["confidence"][name])

    @property
    def all_ok(self) -> bool:
        return set(self.outcomes) <= {OK}

    def report(self) -> str:
        """The closing lines: outcomes, then per field how often it was filled and how sure the reading was."""
        done = sum(self.outcomes.values())
        rate = done / self.seconds if self.seconds else 0.0
        lines = [
            f"{done} files read in {self.seconds:.1f} s ({rate:.2f} cards/s), "
            f"{self.skipped} skipped (already in the output)"
        ]
        lines += [f"  {outcome:<12} {count}" for outcome, count in sorted(self.outcomes.items())]
        if self.fields:
            low = f"< {LOW_CONFIDENCE}"
            lines.append(f"  {'field':<18} {'filled':>9} {'conf mean':>9} {'conf min':>9} {low:>6}")
            lines += [stats.row(name) for name, stats in self.fields.items()]
        return "\n".join(lines)


def read_all(reader: Reader, files: list[Path], options: ReadOptions, workers: int) -> Iterator[dict[str, Any]]:
    """Output lines as files finish, `workers` at a time over the one shared reader (it is thread-safe)."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dlocr-read") as pool:
        futures = [pool.submit(read_one, reader, path, options) for path in files]
        for future in as_completed(futures):
            yield future.result()


def open_output(out: Path) -> IO[str]:
    # The lines hold names, addresses and ID numbers: readable by their owner only.
    return os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8")


def run(
    reader: Reader, files: list[Path], out: Path, options: ReadOptions, workers: int, progress: bool
) -> Summary:
    summary = Summary()
    started = time.perf_counter()
    with open_output(out) as sink, tqdm(total=len(files), unit="card", disable=not progress) as bar:
        for line in read_all(reader, files, options, workers):
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            sink.flush()
            summary.add(line)
            bar.update()
    summary.seconds = time.perf_counter() - started
    return summary
