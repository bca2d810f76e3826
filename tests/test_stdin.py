"""`bplint check --stdin-filename PATH -`: one text checked as the file at PATH against the project on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MODELS = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
"""
# the same models, Book.author no longer a relationship: reading it in a loop costs no query
MODELS_WITHOUT_RELATION = MODELS.replace("author = models.ForeignKey(Author, on_delete=models.CASCADE)",
                                         "author = models.CharField(max_length=100)")
VIEWS = """\
from library.models import Book


def report():
    for book in Book.objects.all():
        print(book.author.name)
"""
TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
SETTINGS = f'import os\n\nDEBUG = False\nAPI_TOKEN = "{TOKEN}"\n'
SETTINGS_FIXED = 'import os\n\nDEBUG = False\nAPI_TOKEN = os.environ["API_TOKEN"]\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.bplint]\nselect = ["BP101", "BP401"]\n')
    package = tmp_path / "library"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    (package / "views.py").write_text(VIEWS)
    (package / "settings.py").write_text(SETTINGS_FIXED)
    return tmp_path


def _stdin_check(project: Path, path: str, text: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bplint", "check", "--no-cache", "--format", "json", *args,
                           "--stdin-filename", path, "-"], input=text.encode(), cwd=project,
                          capture_output=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr.decode()
    return json.loads(done.stdout)


def test_stdin_reports_the_text_as_the_file_at_its_path(project: Path) -> None:
    report = _stdin_check(project, "library/settings.py", SETTINGS)
    assert [(f["code"], f["path"], f["line"], f["column"]) for f in report["findings"]] == \
        [("BP101", "library/settings.py", 4, 13)]
    assert (project / "library/settings.py").read_text() == SETTINGS_FIXED  # nothing written


def test_stdin_uses_the_project_index_from_disk_with_the_texts_facts(project: Path) -> None:
    # the view read from stdin is checked against the models on disk
    assert [f["code"] for f in _stdin_check(project, "library/views.py", VIEWS)["findings"]] == ["BP401"]
    # the models read from stdin replace those on disk: the view on disk is not what is reported
    assert _stdin_check(project, "library/models.py", MODELS_WITHOUT_RELATION)["findings"] == []
    # a file that is not on disk yet
    assert [f["code"] for f in _stdin_check(project, "library/new.py", SETTINGS)["findings"]] == ["BP101"]


def test_stdin_text_is_shown_in_the_report_not_the_file_on_disk(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bplint", "check", "--no-cache", "--stdin-filename",
                           "library/settings.py", "-"], input=SETTINGS.encode(), cwd=project,
                          capture_output=True, timeout=120)
    out = done.stdout.decode()
    assert done.returncode == 1 and 'API_TOKEN = "ghp_' in out and TOKEN not in out


def test_stdin_needs_a_filename_and_the_dash_alone(project: Path) -> None:
    for args in (["-"], ["--stdin-filename", "a.py", "-", "library"], ["--stdin-filename", "a.py", "--fix", "-"]):
        done = subprocess.run([sys.executable, "-m", "bplint", "check", *args], input=b"", cwd=project,
                              capture_output=True, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
