"""BP1 environment: documenting the variables the code reads, and keeping `.env` out of git."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

import pathspec

from bplint.files import FileKind, split_lines
from bplint.filesystem import FileSystem
from bplint.findings import Severity, Span
from bplint.dependencies import project_dependencies
from bplint.index import EnvRead
from bplint.roles import NOT_TESTS_OR_EXAMPLES
from bplint.rule import Flag, Option, Precision, ProjectRule, Quiet, TextRule

# Words in a dotenv file's name that make it documentation, not configuration.
EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "template", "tmpl", "tpl", "dist", "defaults",
                           "skeleton"})
# Example files under names that discovery does not treat as dotenv files: looked for at the root.
EXTRA_EXAMPLE_NAMES = ("env.example", "env.sample", "env.template", ".env-example", ".env-sample",
                       ".env_example", ".env_sample", ".env-template", ".env-dist")
_NAME_PARTS = re.compile(r"[._-]+")
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=|$)")
_COMMENTED_ASSIGNMENT = re.compile(r"^\s*#+\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=")

# Set by the operating system, the shell, CI or the hosting platform: no project documents them.
DEFAULT_IGNORED_VARS = [
    "HOME", "PATH", "USER", "USERNAME", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "LC_*", "TZ", "PWD",
    "TMPDIR", "TEMP", "TMP", "HOSTNAME", "EDITOR", "VISUAL", "DISPLAY", "COLUMNS", "LINES", "NO_COLOR",
    "FORCE_COLOR", "PYTHON*", "VIRTUAL_ENV", "CONDA_*", "XDG_*", "CI", "GITHUB_*", "GITLAB_*", "TRAVIS*",
    "READTHEDOCS*", "PYTEST_*", "TOX_*", "DJANGO_SETTINGS_MODULE", "WERKZEUG_*", "SERVER_SOFTWARE", "PORT",
    "DYNO", "K_SERVICE", "GAE_*", "KUBERNETES_*", "AWS_LAMBDA_*", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
]


def is_dotenv_example(relpath: str) -> bool:
    """`.env.example`, `.env.sample`, `example.env`, `.env.dev.template`: documentation files."""
    name = relpath.rsplit("/", 1)[-1].lower()
    return any(part in EXAMPLE_WORDS for part in _NAME_PARTS.split(name))


def dotenv_keys(text: str) -> set[str]:
    """Variable names a dotenv file mentions: `KEY=value`, `export KEY=`, `KEY`, and `# KEY=...`.

    A commented-out assignment documents an optional variable, so it counts.
    """
    keys: set[str] = set()
    for line in split_lines(text):
        match = _ASSIGNMENT.match(line) or _COMMENTED_ASSIGNMENT.match(line)
        if match:
            keys.add(match.group(1))
    return keys


def has_assignments(text: str) -> bool:
    return any(_ASSIGNMENT.match(line) and "=" in line for line in split_lines(text))


# --- BP106 -------------------------------------------------------------------------------


class EnvVarUndocumented(ProjectRule):
    code = "BP106"
    name = "env-var-undocumented"
    category = "configuration"
    severity = Severity.INFO
    precision = Precision(0, 19, "2026-12-01", debatable=1)
    preview = True
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "Environment variable read in code but not documented in .env.example"
    what = ("Collects the environment variables the code reads (`os.environ[...]`, `os.getenv(...)`, "
            "`os.environ.get(...)`, `decouple.config(...)`, environs / django-environ `env(...)`), "
            "leaving out test code. When the project has no `.env.example` (or `.env.sample`, "
            "`.env.template`, `example.env`, ...), reports it once, at the first read, with the "
            "number of variables it should document. When it has one, reports each variable that no "
            "example file mentions, at its first read. A `KEY=` with an empty value, a bare `KEY`, and "
            "a commented-out `# KEY=...` all count as documented. Variables set by the operating "
            "system, CI or the hosting platform (`HOME`, `PATH`, `PORT`, `DJANGO_SETTINGS_MODULE`, "
            "...) are ignored; the `ignore-vars` option replaces that list (shell-style patterns). "
            "A library has no deployment to document, so it gets no \"no example file\" finding: bplint "
            "tells an application from a library as BP202 describes, and the `project-type` option "
            "(`auto`, `application`, `library`) decides it yourself. A library that ships an example file "
            "still gets the per-variable findings.")
    why = ("An undocumented variable is found at deploy time, when the app crashes or, worse, runs "
           "with a default meant for a laptop. A checked-in example file is the list every deployer "
           "and new developer works from.")
    how_to_fix = ("Add a `.env.example` at the project root with every variable the code reads, with "
                  "placeholder or empty values (`DATABASE_URL=`), and keep it in git.")
    bad = ('# app/config.py\nimport os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'
           'SENTRY_DSN = os.getenv("SENTRY_DSN")\n\n# .env.example\nDATABASE_URL=\n')
    good = ('# app/config.py\nimport os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'
            'SENTRY_DSN = os.getenv("SENTRY_DSN")\n\n# .env.example\nDATABASE_URL=\n# SENTRY_DSN=\n')
    options = {
        "ignore-vars": Option(default=DEFAULT_IGNORED_VARS,
                              help="variables no project documents (shell-style patterns such as `XDG_*`); "
                                   "replaces the default list"),
        "project-type": Option(default="auto", help="auto (detect from application signals, see BP202), "
                                                    "application or library (no \"no example file\" finding)"),
    }
    examples = (
        Flag("""
            import os

            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost/app")
            """, path="app/config.py", files={"app/main.py": "import os\nDEBUG = os.getenv('DEBUG')\n"},
            line=4, count=1, note="no example file: one finding, at the first read"),
        Flag("""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            SENTRY_DSN = os.getenv("SENTRY_DSN")
            REDIS_URL = os.environ.get("REDIS_URL")
            """, path="app/settings.py",
            files={".env.example": "# copy to .env\nexport SECRET_KEY=\nREDIS_URL=redis://localhost:6379/0\n"},
            line=4, count=1, note="one finding per undocumented variable"),
        Flag("""
            import environ

            env = environ.Env()
            DEBUG = env.bool("DJANGO_DEBUG", default=False)
            EMAIL_URL = env("EMAIL_URL")
            """, path="config/settings/base.py", files={".env.sample": "DJANGO_DEBUG=False\n"}, line=5),
        Quiet("""
            import os

            DATABASE_URL = os.environ["DATABASE_URL"]
            SENTRY_DSN = os.getenv("SENTRY_DSN")
            SECRET_KEY = os.environ.get("SECRET_KEY")
            HOME = os.environ["HOME"]
            PORT = int(os.environ.get("PORT", "8000"))
            """, path="app/config.py",
            files={".env.example": "DATABASE_URL=\n# SENTRY_DSN=https://...\nSECRET_KEY\n"},
            note="empty value, commented-out and bare keys document; HOME and PORT are ignored"),
        Quiet("""
            import os

            API_TOKEN = os.environ["API_TOKEN"]
            """, path="tests/conftest.py", note="test code only"),
        Quiet("""
            from decouple import config

            DEBUG = config("DEBUG", cast=bool)
            """, path="app/settings.py", files={"example.env": "DEBUG=False\n"}),
        Quiet("""
            import os

            FEATURE_FLAGS = os.environ.get("FEATURE_FLAGS", "")
            """, options={"ignore-vars": ["FEATURE_*"]}, note="ignore-vars"),
        Quiet("""
            import os

            CACHE_DIR = os.environ.get("MYLIB_CACHE_DIR", "~/.cache/mylib")
            """, path="src/mylib/settings.py",
            files={"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                                     '[project]\nname = "mylib"\nversion = "1.0"\n'},
            note="a library (a package build configuration, no application signal): no example file expected"),
        Flag("""
            import os

            CACHE_DIR = os.environ.get("MYLIB_CACHE_DIR", "~/.cache/mylib")
            """, path="src/mylib/settings.py",
            files={"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                                     '[project]\nname = "mylib"\nversion = "1.0"\n'},
            options={"project-type": "application"}, line=3, note="project-type = application overrides the detection"),
        Flag("""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            """, path="shop/settings.py",
            files={"examples/demo/.env.example": "SECRET_KEY=\n",
                   "examples/demo/app.py": "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n"},
            line=3, note="a bundled sample app's example file documents only the sample app"),
        Quiet("""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            """, path="shop/settings.py", files={"deploy/.env.example": "SECRET_KEY=\n"},
            note="an example file in a folder without code of its own documents the whole project"),
        Flag("""
            import os

            DATABASE_URL = os.environ["DATABASE_URL"]
            """, path="shop/settings.py",
            files={"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                                     '[project]\nname = "shop"\nversion = "1.0"\n',
                   "Dockerfile": "FROM python:3.12\n"},
            line=3, note="a package with a Dockerfile is an application"),
    )

    def check(self) -> None:
        index = self.project.index
        ignored = list(self.option("ignore-vars"))
        examples = self._example_files()
        # the first read of each variable among the modules that the same example files document
        first: dict[tuple[str, tuple[str, ...]], tuple[str, EnvRead, list[_Example]]] = {}
        for relpath in sorted(index.modules):
            if index.role_of(relpath) not in self.roles:
                continue
            applicable = [example for example in examples if example.applies_to(relpath)]
            scope = tuple(example.relpath for example in applicable)
            for read in index.modules[relpath].env_reads:
                key = (read.name, scope)
                if key in first or any(fnmatch.fnmatchcase(read.name, pattern) for pattern in ignored):
                    continue
                first[key] = (relpath, read, applicable)
        ordered = sorted(((name, place) for (name, _), place in first.items()),
                         key=lambda item: (item[1][0], item[1][1].location.line, item[1][1].location.column))
        uncovered = [(name, relpath, read) for name, (relpath, read, applicable) in ordered if not applicable]
        if uncovered:
            name, relpath, read = uncovered[0]
            if not self._is_library(relpath):
                count = len({name for name, _, _ in uncovered})
                variables = "variable" if count == 1 else "variables"
                self.report(relpath, _span(read),
                            f"Add a `.env.example` at the project root that documents the {count} environment "
                            f"{variables} the code reads (first: `{name}`), so deployers know what to set.",
                            project_level=True)
        for name, (relpath, read, applicable) in ordered:
            if applicable and not any(name in example.keys for example in applicable):
                self.report(relpath, _span(read),
                            f"Document `{name}` in `{applicable[0].name}`: the code reads it and the example file "
                            f"does not mention it.")

    def _is_library(self, relpath: str) -> bool:
        """A library is configured by the application that uses it: no deployment to document."""
        project_type = str(self.option("project-type")).lower()
        if project_type != "auto":
            return project_type == "library"
        rootpath = relpath[len(self.project.index.root_prefix):]
        folder = str(PurePosixPath(rootpath).parent)
        return project_dependencies(self.project).kind_of_folder(folder).library

    def _example_files(self) -> list["_Example"]:
        """The example files, nearest first: those of a sub-application (a folder with its own
        Python code, such as a bundled sample app) document only the modules below them."""
        index = self.project.index
        found: list[_Example] = []
        texts = {f.relpath: f for f in self.project.files}
        for relpath, kind in sorted(index.files.items()):
            if kind is FileKind.DOTENV and is_dotenv_example(relpath) and relpath in texts:
                try:
                    text = texts[relpath].text()
                except Exception:  # unreadable: it still exists, it documents nothing
                    text = ""
                found.append(_Example(relpath, text, self._scope_of(relpath)))
        for name in EXTRA_EXAMPLE_NAMES:
            path = Path(index.root) / name
            if index.fs.is_file(path):
                found.append(_Example(index.root_relpath(name), index.fs.read_text(path) or "", None))
        return sorted(found, key=lambda e: -len(e.scope or ""))

    def _scope_of(self, relpath: str) -> str | None:
        """The folder an example file documents alone ("dir/"), or None when it documents the
        whole project (at the root, or in a folder without code of its own: deploy/, docker/)."""
        folder = relpath.rsplit("/", 1)[0] + "/" if "/" in relpath else ""
        if not folder or folder == self.project.index.root_prefix:
            return None
        tests = self.project.index.test_files
        owns_code = any(path.startswith(folder) and path not in tests for path in self.project.index.modules)
        return folder if owns_code else None


@dataclass
class _Example:
    relpath: str
    text: str
    scope: str | None  # the folder whose modules it documents; None: every module

    @property
    def name(self) -> str:
        return self.relpath.rsplit("/", 1)[-1]

    @cached_property
    def keys(self) -> set[str]:
        return dotenv_keys(self.text)

    def applies_to(self, relpath: str) -> bool:
        return self.scope is None or relpath.startswith(self.scope)


def _span(read: EnvRead) -> Span:
    loc = read.location
    return Span(loc.line, loc.column, loc.end_line, loc.end_column)


# --- BP107 -------------------------------------------------------------------------------


class DotenvCommitted(TextRule):
    code = "BP107"
    detects_secrets = True
    name = "dotenv-committed"
    category = "configuration"
    severity = Severity.ERROR
    roles = NOT_TESTS_OR_EXAMPLES
    cwe = (538,)
    # a dotenv file among the tests is a fixture (loading .env is what is tested), not deploy config
    kinds = frozenset({FileKind.DOTENV})
    summary = "A .env file that git does not ignore"
    what = ("Reports a dotenv file (`.env`, `.env.production`, `.env.local`, `prod.env`, ...) in the "
            "scanned tree that no `.gitignore` ignores, so it is committed or will be with the next "
            "`git add .`. Example files (`.env.example`, `.env.sample`, `.env.template`, "
            "`example.env`, ...) are meant to be committed and are left alone, and so is a dotenv "
            "file with no assignments (empty or only comments): it holds nothing to leak. Dotenv files "
            "in test code (`tests/`) are fixtures and are left alone too.")
    why = ("A `.env` holds the real credentials of an environment. Once committed, everyone with "
           "access to the repository, its forks, clones and CI logs has them, and deleting the file "
           "later does not remove it from history.")
    how_to_fix = ("Add the file to `.gitignore` (`.env`, `.env.*`, `!.env.example`), remove it from "
                  "the repository with `git rm --cached .env`, rotate every secret it held, and commit a "
                  "`.env.example` with placeholders instead.")
    bad = "# .env  (no .gitignore entry)\nDATABASE_URL=postgresql://app:s3cret@db.internal/app\n"
    good = "# .gitignore\n.env\n.env.*\n!.env.example\n"
    examples = (
        Flag("DATABASE_URL=postgresql://localhost/app\nSECRET_KEY=abc\n", path=".env", line=1,
             files={"app.py": "import os\n"}),
        Flag("SECRET_KEY=abc\n", path=".env.production", files={".gitignore": ".env\n"}, line=1,
             note=".gitignore covers only .env"),
        Flag("# local overrides\nDEBUG=1\n", path="deploy/prod.env", line=1),
        Quiet("SECRET_KEY=abc\n", path=".env", files={".gitignore": "__pycache__/\n.env\n"}),
        Quiet("SECRET_KEY=abc\n", path=".env.local", files={".gitignore": ".env*\n!.env.example\n"}),
        Quiet("SECRET_KEY=\nDATABASE_URL=postgresql://localhost/app\n", path=".env.example"),
        Quiet("SECRET_KEY=\n", path="example.env", note="an example under another spelling"),
        Quiet("# copy .env.example here\n", path=".env", note="nothing assigned"),
        Quiet("SECRET_KEY=abc\n", path="backend/.env", files={"backend/.gitignore": ".env\n"},
              note="a .gitignore in a subfolder"),
        Quiet("FOO=env\nSPAM=1\n", path="tests/test_apps/.env", note="a test fixture"),
    )

    def check(self) -> None:
        ctx = self.ctx
        if is_dotenv_example(ctx.relpath):
            return
        text = ctx.text
        if not has_assignments(text) or _ignored_by_git(ctx.file.path, ctx.config.root, ctx.index.fs):
            return
        first = split_lines(text)[0]
        target = ctx.file.rootpath or ctx.relpath
        self.report(Span(1, 1, 1, len(first) + 1),
                    f"`{target}` is not ignored by git: add it to .gitignore, remove it from the repository "
                    f"(`git rm --cached {target}`), and rotate the secrets it holds.", secret=True)


def _ignored_by_git(path: Path, root: Path, fs: FileSystem) -> bool:
    """Discovery already skips ignored files in folders it walks; a file named on the command line is not."""
    path = path.resolve()
    root = root.resolve()
    for folder in path.parents:
        ignore_file = folder / ".gitignore"
        text = fs.read_text(ignore_file) if fs.is_file(ignore_file) else None
        if text is not None:
            try:
                spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
                result = spec.check_file(path.relative_to(folder).as_posix())
            except Exception:
                result = None
            if result is not None and result.include is not None:
                return bool(result.include)
        if folder == root or fs.exists(folder / ".git"):
            break
    return False
