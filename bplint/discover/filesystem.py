"""The file system beyond the scanned files, as rules see it.

Some rules look past the files a scan reads: is there a README at the
project root, what does a `-r` included requirement file say, does a
.gitignore cover this .env. They ask through ``FileSystem`` (the project
index's ``fs``), never through ``pathlib`` or ``open``: each question is
recorded like a read of the index's facts, so a cached result is reused only
while every answer it was built on is still the same.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Union

from bplint.discover.files import read_regular_file

Answer = Union[bool, int, bytes, tuple, OSError, None]


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _read(path: str) -> bytes | OSError:
    try:
        return read_regular_file(path)
    except OSError as exc:
        return exc


def _file_names(folder: str) -> tuple[str, ...]:
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted(e.name for e in entries if e.is_file()))
    except OSError:
        return ()


def _folder_names(folder: str) -> tuple[str, ...]:
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted(e.name for e in entries if e.is_dir(follow_symlinks=False)))
    except OSError:
        return ()


def _ignored_by_git(joined: str) -> tuple[tuple[str, bool], ...]:
    """For NUL-separated absolute paths: (path, ignored) for each one git answered for."""
    from bplint.discover.safegit import ignored_by_git

    answers = ignored_by_git([Path(p) for p in joined.split("\0") if p])
    return tuple(sorted((str(path), ignored) for path, ignored in answers.items()))


_QUESTIONS: dict[str, Callable[[str], Answer]] = {
    "is_file": os.path.isfile,
    "is_dir": os.path.isdir,
    "exists": os.path.exists,
    "size": _size,
    "read": _read,
    "file_names": _file_names,
    "folder_names": _folder_names,
    "ignored_by_git": _ignored_by_git,
}


def ask(key: str) -> Answer:
    """The answer today to a recorded question (``"is_file:/abs/path"``)."""
    question, _, path = key.partition(":")
    return _QUESTIONS[question](path)


def fingerprint(answer: Answer) -> str:
    """A short, comparable form of an answer (file contents by their hash)."""
    if isinstance(answer, bytes):
        return "bytes:" + hashlib.sha256(answer).hexdigest()
    if isinstance(answer, OSError):
        return f"error:{answer.errno}"
    return repr(answer)


class FileSystem:
    """Answers questions about paths, once per scan, noting each question asked."""

    def __init__(self, note: Callable[[tuple[str, str]], None] | None = None) -> None:
        self._note = note
        self._answers: dict[str, Answer] = {}

    def _ask(self, question: str, path: str | os.PathLike) -> Answer:
        return self._ask_key(f"{question}:{os.path.abspath(path)}")

    def _ask_key(self, key: str) -> Answer:
        if self._note is not None:
            self._note(("fs", key))
        if key not in self._answers:
            self._answers[key] = ask(key)
        return self._answers[key]

    def answer(self, key: str) -> Answer:
        """The answer this scan saw (or would see) to a recorded question."""
        if key not in self._answers:
            self._answers[key] = ask(key)
        return self._answers[key]

    def is_file(self, path: str | os.PathLike) -> bool:
        return bool(self._ask("is_file", path))

    def is_dir(self, path: str | os.PathLike) -> bool:
        return bool(self._ask("is_dir", path))

    def exists(self, path: str | os.PathLike) -> bool:
        return bool(self._ask("exists", path))

    def size(self, path: str | os.PathLike) -> int | None:
        """The size in bytes, or None when the path cannot be read."""
        return self._ask("size", path)  # type: ignore[return-value]

    def read_bytes(self, path: str | os.PathLike) -> bytes:
        """The file's bytes; raises OSError as ``open`` would."""
        answer = self._ask("read", path)
        if isinstance(answer, OSError):
            raise OSError(answer.errno, answer.strerror, answer.filename)  # a fresh one each time
        return answer  # type: ignore[return-value]

    def read_text(self, path: str | os.PathLike) -> str | None:
        """The file's text (UTF-8, undecodable bytes replaced), or None when it cannot be read."""
        answer = self._ask("read", path)
        if isinstance(answer, OSError):
            return None
        return answer.decode("utf-8", errors="replace")  # type: ignore[union-attr]

    def file_names(self, folder: str | os.PathLike) -> tuple[str, ...]:
        """The names of the files (not folders) in ``folder``, sorted; empty when unreadable."""
        return self._ask("file_names", folder)  # type: ignore[return-value]

    def folder_names(self, folder: str | os.PathLike) -> tuple[str, ...]:
        """The names of the folders in ``folder`` (links to folders left out), sorted; empty when unreadable."""
        return self._ask("folder_names", folder)  # type: ignore[return-value]

    def ignored_by_git(self, paths: list[str]) -> dict[str, bool]:
        """Whether git ignores each of these files (see ``safegit.ignored_by_git``): one question, one
        git run per work tree. A path git could not answer for is missing."""
        key = "ignored_by_git:" + "\0".join(sorted(os.path.abspath(p) for p in paths))
        return dict(self._ask_key(key))  # type: ignore[arg-type]
