"""BP2: dependency declarations (requirement files, pyproject.toml, Pipfile, lock files).

These rules read several files together (a file and its `-r`/`-c` includes, a
manifest and the project's locks), so they are project rules over the shared
picture built once per scan by ``bplint.project.dependencies``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bplint.discover.files import FileKind, split_lines
from bplint.project.dependencies import (
    Declared,
    Manifest,
    ProjectDependencies,
    project_dependencies,
)
from bplint.project.requirements import MAX_INCLUDE_DEPTH, Include, RequirementLine, mask_credentials, vcs_ref
from bplint.project.roles import NOT_TESTS_OR_EXAMPLES
from bplint.report.findings import Applicability, Edit, Fix, Severity, Span
from bplint.rule import Flag, Option, Precision, ProjectRule, Quiet
from bplint.rules._dependency_uses import runtime_packages

CATEGORY = "dependencies"


def _span(line: int, column: int = 1) -> Span:
    return Span(line, column, line, column + 1)


PROJECT_TYPE_OPTION = Option(default="auto", help="auto (detect from application signals, see BP202), "
                                                  "application (always check) or library (never check)")


class _DependencyRule(ProjectRule):
    @property
    def deps(self) -> ProjectDependencies:
        return project_dependencies(self.project)

    def reportable_manifests(self) -> list[Manifest]:
        return [m for m in self.deps.manifests if self.project.index.role_of(m.file.relpath) in self.roles]

    # For the rules with the `project-type` option (pins matter in applications only).
    def project_type(self) -> str:
        return str(self.option("project-type")).lower()

    def library_folder(self, folder: str) -> bool:
        """Not configured as an application, and the folder looks like a library."""
        return self.project_type() != "application" and self.deps.kind_of_folder(folder).library

    def published_metadata(self, folder: str, path: Path) -> bool:
        """Not configured as an application, and the requirement file is read into the metadata of a
        package that nothing deploys from its folder (BP202's distributed packages)."""
        return (self.project_type() != "application" and self.deps.kind_of_folder(folder).distributed
                and self.deps.feeds_metadata(path))


# --- BP200 ---------------------------------------------------------------------------


class InvalidRequirementRule(_DependencyRule):
    code = "BP200"
    name = "invalid-requirement"
    category = CATEGORY
    severity = Severity.ERROR
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "A dependency declaration that cannot be parsed"
    what = ("Reports a line of a requirement file that the installer would reject: a requirement that is not "
            "valid PEP 508 (`flask=1.0`), an unknown option, a `--hash` with a weak algorithm, an `-r`/`-c` "
            "include whose file does not exist, an include cycle, a chain of includes more than "
            f"{MAX_INCLUDE_DEPTH} files deep (bplint reads no further), or bytes that are not UTF-8. Also a "
            "`pyproject.toml` or `Pipfile` that is not valid TOML, and an invalid requirement string in a "
            "`pyproject.toml` dependency list. Every other line is still checked.")
    why = ("An install from this file fails, usually during a deploy; and the dependency rules cannot check "
           "what they cannot read.")
    how_to_fix = ("Fix the line as the message says: `==` (not `=`) for a pin, a known option, an include "
                  "path relative to the including file, valid TOML.")
    bad = "flask=3.0.3\n-r base.txt  # no such file\n"
    good = "flask==3.0.3\n-r requirements/base.txt\n"
    examples = (
        Flag("flask==3.0.3\nrequests=2.32.3\n", path="requirements.txt", line=2,
             note="`=` is not a version operator"),
        Flag("flask==3.0.3\n-r base.txt\n", path="requirements.txt", line=2, note="missing include"),
        Flag("-r requirements.txt\n", path="dev.txt", files={"requirements.txt": "-r dev.txt\nflask==3.0.3\n"},
             line=1, count=1, note="include cycle, reported once, at the include that closes it"),
        Flag("flask==3.0.3 --frobnicate\n", path="requirements.txt", line=1, note="unknown option"),
        Flag("flask==3.0.3 --hash=md5:0123\n", path="requirements.txt", line=1, note="weak hash"),
        Flag('[project]\nname = "shop"\ndependencies = [\n  "flask>=3",\n', path="pyproject.toml",
             note="not valid TOML"),
        Flag('[project]\nname = "shop"\ndependencies = [\n  "flask>=3",\n  "requests=2",\n]\n',
             path="pyproject.toml", line=5, note="invalid PEP 508 string in pyproject"),
        Quiet("""\
            # production pins
            flask==3.0.3 \\
                --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
                # via -r requirements.in
            Django[argon2]>=4.2,<5.0 ; python_version >= "3.10"
            -e .
            ./vendor/mypkg
            git+https://github.com/org/lib@0123456789abcdef0123456789abcdef01234567#egg=lib
            lib2 @ https://example.com/lib2-1.0.tar.gz#sha256=abc
            --index-url https://pypi.org/simple
            --pre
            --only-binary :all:
            """, path="requirements.txt", note="the format's features"),
        Quiet("flask==3.0.3\r\nrequests==2.32.3\r\n", path="requirements.txt", note="Windows line endings"),
        Quiet("# read by the launcher to warn about unexpected versions\nPYTHON_MIN = 3.11\nDJANGO_MIN = 5.1\n",
              path="game/VERSION_REQS.txt", note="a file of another format that only its name makes look like one"),
        Flag("flask = 3.0\nrequests = 2.32\n", path="requirements.txt", line=1, count=2,
             note="a requirement file whose every line is broken"),
    )

    def check(self) -> None:
        deps = self.deps
        for context in deps.checked_requirement_files():
            parsed = context.file
            for problem in parsed.problems:
                self.report(context.report_path, _span(problem.line, problem.column),
                            f"Fix this line so it can be installed: {problem.message}.")
            if parsed.suppressed_problems:
                last = parsed.problems[-1].line if parsed.problems else 1
                self.report(context.report_path, _span(last),
                            f"Fix the requirement file: {parsed.suppressed_problems} more lines cannot be read "
                            f"(not reported one by one).")
        for problem in sorted(deps.graph.include_problems.values(), key=lambda p: (str(p.file), p.line)):
            context = deps.contexts.get(problem.file)
            if context is None or context.report_path is None or problem.file in deps.tests:
                continue
            self.report(context.report_path, _span(problem.line), f"Fix the include: {problem.message}.")
        for manifest in self.reportable_manifests():
            for problem in manifest.problems:
                self.report(manifest.file.relpath, _span(problem.line, problem.column),
                            f"Fix this so the dependencies can be read: {problem.message}.")


# --- BP201 ---------------------------------------------------------------------------


# a requirement's name and extras, as written before its specifier
_NAME_AND_EXTRAS = re.compile(r"\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\]\s*)?")


class UnpinnedRequirementRule(_DependencyRule):
    code = "BP201"
    name = "unpinned-requirement"
    category = CATEGORY
    severity = Severity.WARNING
    precision = Precision(3, 38, "2026-12-02", debatable=9, unseen=(3, 63))
    preview = True
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "A requirement without an exact version pin"
    what = ("Reports a requirement in a requirement file that does not pin one exact version: no version at "
            "all, or only `>=`, `>`, `~=`, `<`, `!=`, or `==` with a wildcard (`==3.*`). A VCS requirement "
            "must name a full commit hash (`@<40 hex digits>`), an archive URL must carry its hash "
            "(`#sha256=...` or `--hash`). A requirement is quiet when a constraints file that the install "
            "reads (`-c constraints.txt` in the file or in a file that includes it) pins it, and local paths "
            "(`-e .`, `./pkg`) are quiet.\n\n"
            "Development requirement files (`requirements-dev.txt`, `requirements/test*.txt`, files below "
            "`docs/`, `tests/` or `ci/`: see BP203 for how a file's name and folder decide it) are not "
            "checked unless the `development-files` option is on: what production installs does not "
            "depend on them.\n\n"
            "Compile inputs are meant to hold ranges and are not checked: `*.in` files, the files a compiled "
            "file's header names (`#    pip-compile --output-file=requirements.txt base.txt`) or its "
            "`# via -r FILE` notes name, and files that only such inputs include. A range is also quiet when "
            "a requirement file next to it (in the same folder, its `requirements/` folder or the folder "
            "above it) that pins each of its named requirements with `==` pins the same package: that file is the compiled or frozen form of this "
            "one, whatever tool or script wrote it. Files reached only through `-c`, or named like "
            "`constraints*.txt`, are constraints, not requirements.\n\n"
            "Libraries are quiet: their requirement files list the ranges that users and the library's own "
            "CI resolve (often read into the package metadata by `setup.py`). bplint tells an application "
            "from a library as BP202 describes: a package (`setup.py`, `setup.cfg` or a `[build-system]` "
            "backend) is an application when it shows an application signal, such as a deployment file, "
            "an application object (`Flask(...)`, `FastAPI(...)`), a Django `manage.py` or `ROOT_URLCONF`, "
            "or a `gunicorn`/`uvicorn` requirement. An application published as a package (no "
            "deployment file, see BP202) keeps ranges in the requirement files its build configuration "
            "reads into the package's metadata (`install_requires` from `requirements.txt` in `setup.py`, "
            "`file:` in `setup.cfg`, `[tool.setuptools.dynamic]`, the `requirements.txt` that pbr reads "
            "when `setup.py` says `pbr=True`): those are quiet too. Set the "
            "`project-type` option to `application` or `library` to decide it yourself.")
    why = ("A range installs whatever is newest on the day of the deploy: two deploys of the same commit can "
           "run different code, a broken or compromised release reaches production without review, and a "
           "rollback does not roll back dependencies. A branch or tag in a VCS URL can move the same way.")
    how_to_fix = ("The message suggests a version when the project itself pins or locks exactly one for "
                  "that package in another file; bplint never looks at the installed environment, so findings are "
                  "the same on every machine. "
                  "Pin every requirement with `==`, ideally by compiling a `requirements.in` of ranges into a "
                  "fully pinned `requirements.txt` with hashes; or keep the ranges and add the pins to a "
                  "constraints file included with `-c`. Pin VCS URLs to a commit hash.")
    fix_applicability = "safe"
    fix_note = ("A named requirement becomes `name==<version>` when the locks that cover its file agree on one "
                "version that satisfies its range: `poetry.lock`, `uv.lock`, `pdm.lock` or `Pipfile.lock` in its "
                "folder or a folder above it, or compiler output (a `pip-compile` header, `# via` notes) there. "
                "That is the version the project already installs, so the fix is safe. No fix without such a "
                "lock, when two locks (or two environments of one lock) disagree, or when the locked version is "
                "outside the range (the lock is out of date).")
    options = {
        "project-type": PROJECT_TYPE_OPTION,
        "development-files": Option(default=False, help="also check development requirement files "
                                                        "(requirements-dev.txt, requirements/test.txt, "
                                                        "docs/requirements.txt)"),
    }
    bad = "flask>=3.0\nrequests\ngit+https://github.com/org/lib@main#egg=lib\n"
    good = "flask==3.0.3\nrequests==2.32.3\ngit+https://github.com/org/lib@0123456789abcdef0123456789abcdef01234567#egg=lib\n"
    examples = (
        Flag("flask==3.0.3\nrequests\n", path="requirements.txt", line=2, note="no specifier"),
        Flag("flask>=3.0\n", path="requirements.txt", line=1),
        Flag("flask>3.0\nsqlalchemy~=2.0\ncelery<6\nredis!=5.0.0\ngunicorn==22.*\n", path="requirements.txt",
             count=5, note="every loose operator"),
        Flag("flask==3.0.3\ngit+https://github.com/org/lib@main#egg=lib\n", path="requirements.txt", line=2,
             note="VCS branch"),
        Flag("git+https://github.com/org/lib#egg=lib\n", path="requirements.txt", line=1, note="VCS without ref"),
        Flag("-e git+https://github.com/org/lib@v1.2#egg=lib\n", path="requirements.txt", line=1,
             note="editable VCS on a tag"),
        Flag("lib @ https://example.com/lib-1.0.tar.gz\n", path="requirements.txt", line=1,
             note="archive URL without hash"),
        Flag("-r requirements.txt\npytest\n", path="requirements-dev.txt", files={"requirements.txt": "flask==3.0.3\n"},
             options={"development-files": True}, line=2, note="development files, when configured"),
        Flag("flask\n", path="requirements/base.txt", files={"requirements.txt": "-r requirements/base.txt\n"},
             line=1, note="a file reached by -r"),
        Flag("flask>=3\n", path="requirements.txt",
             files={"setup.py": "from setuptools import setup\nsetup(name='shop')\n", "Procfile": "web: gunicorn shop:app\n"},
             line=1, note="a package with a Procfile is an application"),
        Flag("flask>=3\n", path="requirements.txt", options={"project-type": "application"},
             files={"setup.py": "from setuptools import setup\nsetup(name='shop')\n"},
             line=1, note="configured as an application"),
        Flag("-c constraints.txt\nflask>=3\nrequests>=2\n", path="requirements.txt",
             files={"constraints.txt": "flask==3.0.3\n"}, line=3, count=1,
             note="only the constrained requirement is quiet"),
        Flag("flask>=3\n", path="requirements.txt",
             files={"setup.py": "from setuptools import setup\nsetup(name='shop')\n",
                    "shop/__init__.py": "from flask import Flask\n\n\ndef create_app():\n"
                                        "    app = Flask(__name__)\n    return app\n"},
             line=1, note="a package that builds a Flask application is an application"),
        Flag("Django>=5.0\n", path="requirements/base.txt",
             files={"pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'
                                      'build-backend = "setuptools.build_meta"\n',
                    "manage.py": "import os\nimport sys\n\nif __name__ == '__main__':\n"
                                 "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
                                 "    from django.core.management import execute_from_command_line\n"
                                 "    execute_from_command_line(sys.argv)\n"},
             line=1, note="a packaged Django site (manage.py)"),
        Flag("flask>=3\nuvicorn[standard]>=0.30\n", path="requirements.txt",
             files={"setup.cfg": "[metadata]\nname = shop\n"}, count=2,
             note="a requirement on an application server is an application signal"),
        Flag("flask>=3\n", path="requirements.txt",
             files={"setup.py": "from setuptools import setup\n\nwith open('requirements.txt') as f:\n"
                                "    setup(name='shop', install_requires=f.read().splitlines())\n",
                    "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
                    "Dockerfile": "FROM python:3.12\nCOPY . /app\nRUN pip install /app\n"},
             line=1, note="the metadata of a package deployed from here (a Dockerfile)"),
        Flag("flask\nrequests\n", path="base_requirements.txt",
             files={"requirements.txt": "flask==3.0.3\nwerkzeug==3.0.3\n"}, line=2, count=1,
             note="next to a pinned file that does not pin it"),
        Flag("flask>=3.0\ncelery[redis] ; python_version >= '3.10'\nrequests ~= 2.31  # http\n", path="requirements.txt",
             files={"poetry.lock": '[[package]]\nname = "Flask"\nversion = "3.0.3"\n\n[[package]]\nname = "celery"\n'
                                   'version = "5.4.0"\n\n[[package]]\nname = "requests"\nversion = "2.32.3"\n'},
             count=3, fixed="flask==3.0.3\ncelery[redis]==5.4.0 ; python_version >= '3.10'\nrequests==2.32.3  # http\n",
             note="pinned to the versions the lock file installs (extras, markers and comments kept)"),
        Flag("flask>=3\nredis<5\n", path="services/web/requirements.txt",
             files={"requirements.txt": "#\n#    pip-compile --output-file=requirements.txt pyproject.toml\n#\n"
                                        "flask==3.0.3\n    # via shop (pyproject.toml)\nredis==5.0.7\n"
                                        "    # via shop (pyproject.toml)\n"},
             count=2, fixed="flask==3.0.3\nredis<5\n",
             note="compiler output above the file; no fix where the lock is out of date (5.0.7 is not <5)"),
        Quiet("flask==3.0.3\nlegacy===1.0-custom\nDjango[argon2]==4.2.11 ; python_version >= '3.10'\n",
              path="requirements.txt", note="== and === pins"),
        Quiet("-e .\n./packages/shared\n../lib\nfile:///srv/wheels/app-1.0-py3-none-any.whl\n",
              path="requirements.txt", note="local paths"),
        Quiet("-e ./services/core\n-e src/pkg\n", path="requirements.txt", note="editable folders"),
        Quiet("-c constraints.txt\nflask>=3\ncelery[redis]\n", path="requirements.txt",
              files={"constraints.txt": "flask==3.0.3\ncelery==5.4.0\n"}, note="pinned by a constraints file"),
        Quiet("-c ../constraints.txt\n-r base.txt\n", path="requirements/prod.txt",
              files={"constraints.txt": "flask==3.0.3\n", "requirements/base.txt": "flask>=3\n"},
              note="the constraint is in effect where base.txt is included"),
        Quiet("-r requirements.txt\npytest\nruff>=0.4\n", path="requirements-dev.txt",
              files={"requirements.txt": "flask==3.0.3\n"}, note="a development file"),
        Quiet("sphinx>=7\n", path="docs/requirements.txt", note="a documentation build"),
        Quiet("pytest>=8\npytest-django\n", path="unittest_requirements.txt",
              note="the tools of a kind of test, named as one word"),
        Quiet("flask>=3\nsqlalchemy\n", path="requirements.in", note="compile input"),
        Quiet("flask\nrequests>=2\n", path="base_requirements.txt",
              files={"requirements.txt": "certifi==2024.7.4\nflask==3.0.3\nrequests==2.32.3\nwerkzeug==3.0.3\n",
                     "scripts/update_requirements.sh": "pip install -r base_requirements.txt\n"
                                                       "pip freeze > requirements.txt\n"},
              note="an input frozen into the pinned file next to it"),
        Quiet("flask>=3\ncelery[redis]>=5.4\n", path="requirements-web.txt",
              files={"deploy/requirements.txt": "#\n# This file is autogenerated with Python 3.12\n#\n"
                                                "#    pip-compile --output-file=requirements.txt ../requirements-web.txt\n"
                                                "#\ncelery==5.4.0\nflask==3.0.3\n"},
              note="an input named by the compiled file's header"),
        Quiet("flask>=3\n", path="requirements-web.txt",
              files={"deploy/requirements.txt": "flask==3.0.3\n    # via -r requirements-web.txt\n"},
              note="an input named by a `# via` note"),
        Quiet("flask>=3\n", path="requirements/common.txt",
              files={"requirements/prod.in": "-r common.txt\ngunicorn\n"},
              note="a file only a compile input includes"),
        Quiet("flask>=3\n", path="requirements/base.in", note="compile input in a folder"),
        Quiet("Sphinx>=7\nsphinx-rtd-theme\n", path="requirements/readthedocs.txt", note="the documentation build's"),
        Quiet("setuptools>=68\n", path="requirements/constraints.txt", note="named as a constraints file"),
        Quiet("billiard>=4.2\nkombu>=5.3,<6\n", path="requirements/default.txt",
              files={"setup.py": "from setuptools import setup\nsetup(name='worker')\n"},
              note="a library's dependency list (setup.py, no application signal)"),
        Quiet("flask>=3\n", path="requirements.txt",
              files={"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'},
              note="a library packaged with a build backend"),
        Quiet("flask>=3\n", path="requirements.txt",
              files={"setup.py": "from setuptools import setup\n\nwith open('requirements.txt') as f:\n"
                                 "    setup(name='shop', install_requires=f.read().splitlines())\n",
                     "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
              note="the metadata of an application published as a package"),
        Quiet("django>=5.0\n", path="requirements/base.txt",
              files={"pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'
                                       'build-backend = "setuptools.build_meta"\n[project]\nname = "site"\n'
                                       'dynamic = ["dependencies"]\n[tool.setuptools.dynamic]\n'
                                       'dependencies = {file = ["requirements/base.txt"]}\n',
                     "site/settings.py": "ROOT_URLCONF = 'site.urls'\n"},
              note="read into the metadata by [tool.setuptools.dynamic]"),
        Quiet("Flask>=3.0\nSQLAlchemy>=2.0\noslo.config>=9.0\n", path="requirements.txt",
              files={"setup.py": "import setuptools\n\nsetuptools.setup(setup_requires=['pbr>=2.0.0'], pbr=True)\n",
                     "setup.cfg": "[metadata]\nname = identity\n",
                     "identity/server.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
              note="pbr reads requirements.txt into the package's metadata"),
        Quiet("flask>=2.3,<3.2\nsqlalchemy<2.1,>=2.0\n", path="library_app/requirements.txt",
              files={"pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "library-app"\ndependencies = [\n    "Flask>=2.3,<3.2",\n    "SQLAlchemy>=2.0, <2.1",\n]\n',
                     "library_app/__init__.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
              note="a copy of the published dependencies kept beside the code (read to check what is installed)"),
        Flag("flask>=2.3,<3.2\nsqlalchemy<2.1,>=2.0\nrequests>=2.31\n", path="library_app/requirements.txt",
             files={"pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "library-app"\ndependencies = [\n    "Flask>=2.3,<3.2",\n    "SQLAlchemy>=2.0, <2.1",\n]\n',
                    "library_app/__init__.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
             line=1, count=3, note="one requirement more than the metadata: a list something installs from"),
        Quiet("flask>=3\n", path="requirements.txt", options={"project-type": "library"},
              note="configured as a library"),
        Quiet("requests>=2\n", path="requirements/constraints.txt",
              files={"requirements.txt": "-c requirements/constraints.txt\nflask==3.0.3\n"},
              note="a file read only through -c holds constraints, not requirements"),
        Quiet("celery==5.4.0 \\\n    --hash=sha256:1111111111111111111111111111111111111111111111111111111111111111\n"
                   "lib @ https://example.com/lib-1.0.tar.gz#sha256=2222\n"
                   "git+https://github.com/org/lib@0123456789abcdef0123456789abcdef01234567#egg=lib\n",
                   path="requirements.txt", note="hash-pinned, archive with hash, VCS commit"),
    )

    def check(self) -> None:
        deps = self.deps
        if self.project_type() == "library":
            return
        development = bool(self.option("development-files"))
        for context in deps.checked_requirement_files():
            if context.compile_input or context.as_constraint_only:
                continue
            if context.production is False and not development:
                continue  # tests, linters and docs builds: what production runs does not depend on them
            folder = str(Path(context.rootpath or ".").parent.as_posix())
            if self.library_folder(folder) or self.published_metadata(folder, context.file.path):
                continue
            pinned_next_to = deps.pins_next_to(context.file.path)
            for requirement in context.file.requirements:
                if requirement.immutable:
                    continue
                if requirement.kind == "named" and (requirement.key in context.constraint_pins
                                                    or requirement.key in pinned_next_to):
                    continue
                self.report(context.report_path, _span(requirement.line),
                            self._message(requirement, deps, context.file.path),
                            fix=self._pin_fix(requirement, deps, context.file.path))

    def _pin_fix(self, requirement: RequirementLine, deps: ProjectDependencies, path: Path) -> Fix | None:
        """`name==<version>` in place of the requirement's specifier, the version being the one the
        locks covering the file install (a lock file, compiler output); None when no lock knows one
        version, the version does not satisfy the range (the lock is out of date), or the line is
        not where the requirement's text is (continued over several lines)."""
        if requirement.kind != "named" or not requirement.key or requirement.line != requirement.end_line:
            return None
        version = deps.locked_version(requirement.key, path)
        if version is None:
            return None
        try:
            if not SpecifierSet(requirement.specifier).contains(Version(version), prereleases=True):
                return None
        except (InvalidSpecifier, InvalidVersion):
            return None
        lines = self._physical_lines(path)
        if lines is None or not 0 < requirement.line <= len(lines):
            return None
        line = lines[requirement.line - 1]
        start = line.find(requirement.text)
        prefix = _NAME_AND_EXTRAS.match(requirement.text)
        if start < 0 or prefix is None:
            return None
        written = requirement.text[prefix.end():].split(";", 1)[0]
        spec = written.strip()
        if spec.startswith("(") and spec.endswith(")"):
            spec = spec[1:-1]
        try:
            if SpecifierSet(spec) != SpecifierSet(requirement.specifier):
                return None
        except InvalidSpecifier:
            return None
        begin = start + len(prefix.group(0).rstrip())
        end = begin if not spec else start + prefix.end() + len(written.rstrip())
        edit = Edit(requirement.line, begin + 1, requirement.line, end + 1, f"=={version}")
        return Fix(Applicability.SAFE, f"Pin {requirement.name} to {version}, the version the project's lock "
                                       f"installs.", (edit,))

    def _physical_lines(self, path: Path) -> list[str] | None:
        """The lines of a requirement file as `--fix` reads them, or None when it is not a file of the scan."""
        if not hasattr(self, "_files"):
            self._files = {Path(os.path.normpath(f.path.absolute())): f for f in self.project.files}
        file = self._files.get(Path(os.path.normpath(path)))
        if file is None:
            return None
        try:
            text = file.text(keep=False)
        except Exception:
            return None
        return split_lines(text.lstrip("\ufeff"))

    def _message(self, requirement: RequirementLine, deps: ProjectDependencies, path: Path) -> str:
        name = requirement.name or "this requirement"
        if requirement.kind == "vcs":
            ref = vcs_ref(requirement.url or "")
            if ref:
                return (f"Pin the VCS URL of {name} to a full commit hash instead of `{ref}`, which can move "
                        f"to other code.")
            return f"Pin the VCS URL of {name} to a full commit hash (`...@<commit>`); without a ref it installs whatever the default branch holds."
        if requirement.kind == "url":
            return (f"Add the archive's hash to the URL of {name} (`#sha256=...`) or a `--hash` option, so a "
                    f"changed file cannot be installed.")
        known = deps.known_version(requirement.key or "", elsewhere_than=path)
        example = f"{name}=={known}" if known else f"{name}==<version>"
        return f"Pin {name} to an exact version (`{example}`) or add it to a constraints file."



# --- BP202 ---------------------------------------------------------------------------

PROJECT_TYPES = ("auto", "application", "library")


class MissingLockfileRule(_DependencyRule):
    code = "BP202"
    name = "missing-lockfile"
    category = CATEGORY
    severity = Severity.WARNING
    precision = Precision(0, 0, "2026-12-02", debatable=1)
    preview = True
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "An application declares dependency ranges and commits no lock"
    what = ("Reports the dependency table of an application (`[project].dependencies`, "
            "`[tool.poetry.dependencies]`, Pipfile `[packages]`) that uses version ranges when the project "
            "has no lock covering it: no `poetry.lock`, `uv.lock`, `pdm.lock`, `Pipfile.lock` or "
            "`pylock.toml` in the manifest's folder or above, and no fully pinned `requirements*.txt` next "
            "to it (or in its `requirements/` folder).\n\n"
            "Packages are quiet unless the project deploys them from their own folder. A folder with a "
            "package build configuration (a `pyproject.toml` naming a `[build-system]` `build-backend`, or a "
            "`setup.py`/`setup.cfg`) publishes its dependency table as the package's metadata: whoever "
            "installs the package resolves it, and a lock in the repository would not reach them. That holds "
            "for libraries and for applications published as packages. A package is checked when it says it "
            "is not one to publish (`package-mode = false` (Poetry), `[tool.uv] package = false`, "
            "`[tool.pdm] distribution = false`, a `Private ::` classifier) or has a deployment file next to "
            "it: a `Dockerfile`, `Procfile`, `docker-compose.yml`, `compose.yaml`, `app.yaml`, `fly.toml`, "
            "`render.yaml`, `vercel.json`, `zappa_settings.json` or `serverless.yml`. A folder without a "
            "build configuration, and every `Pipfile`, count as applications.\n\n"
            "The rules that check applications only (BP201, BP106) count a package as a library when it "
            "shows none of those signals and no application code below its folder (outside tests, examples, "
            "documentation and project templates): a `wsgi.py`/`asgi.py` module that binds `application` or "
            "`app`, an application object (`Flask(...)`, `FastAPI(...)`, `Quart(...)`, `Starlette(...)`, "
            "in a factory too), a Django `manage.py` that sets `DJANGO_SETTINGS_MODULE`, a settings module "
            "that sets `ROOT_URLCONF`, or a production requirement on `gunicorn` or `uvicorn`. Set the "
            "rule's `project-type` option to `application` or `library` to decide it yourself.")
    why = ("Without a lock, each install resolves the ranges anew: a deploy, a CI run and a developer's "
           "machine get different versions of the same dependencies, and a bad upstream release breaks "
           "production without any change in the repository.")
    how_to_fix = ("Generate the lock file with the project's package manager and commit it, or compile the "
                  "ranges into a fully pinned `requirements.txt` and install from that.")
    bad = ('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3", "sqlalchemy>=2"]\n')
    good = ('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3", "sqlalchemy>=2"]\n'
            '# and a committed uv.lock (or poetry.lock, pdm.lock, a pinned requirements.txt)\n')
    options = {"project-type": PROJECT_TYPE_OPTION}
    examples = (
        Flag('[project]\nname = "shop"\nversion = "1.0"\ndependencies = [\n  "flask>=3",\n]\n',
             path="pyproject.toml", line=4, note="no build backend: an application"),
        Flag('[tool.poetry]\nname = "shop"\npackage-mode = false\n\n[tool.poetry.dependencies]\n'
             'python = "^3.11"\nflask = "^3.0"\n', path="pyproject.toml", line=5, note="Poetry, non-package"),
        Flag('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\n'
             'name = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml", line=8,
             files={"Dockerfile": "FROM python:3.12\n"}, note="a package, but deployed from a Dockerfile"),
        Flag('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\n'
             'name = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
             files={"docker-compose.yml": "services:\n  web:\n    build: .\n    ports: ['8000:8000']\n"},
             note="a package deployed with docker-compose"),
        Flag('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\n'
             'name = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
             options={"project-type": "application"}, note="configured as an application"),
        Flag('[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n[packages]\n'
             'flask = "*"\n', path="Pipfile", line=6, note="Pipfile without Pipfile.lock"),
        Flag('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
             files={"requirements.txt": "flask>=3\n"}, note="a requirements.txt that is not fully pinned"),
        Quiet('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
              files={"uv.lock": "version = 1\n"}, note="uv.lock"),
        Quiet('[tool.poetry]\nname = "shop"\npackage-mode = false\n\n[tool.poetry.dependencies]\n'
              'flask = "^3.0"\n', path="pyproject.toml", files={"poetry.lock": "# lock\n"}, note="poetry.lock"),
        Quiet('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
              files={"pdm.lock": "# lock\n"}, note="pdm.lock"),
        Quiet('[packages]\nflask = "*"\n', path="Pipfile", files={"Pipfile.lock": "{}\n"}, note="Pipfile.lock"),
        Quiet('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
              files={"requirements.txt": "flask==3.0.3\nwerkzeug==3.0.3\n"}, note="a fully pinned requirements.txt"),
        Quiet('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="services/shop/pyproject.toml",
              files={"uv.lock": "version = 1\n"}, note="a workspace lock above"),
        Quiet('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\n'
              'name = "flask-thing"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
              note="a library"),
        Quiet('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\n'
              'name = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
              files={"shop/wsgi.py": "from shop import app\n",
                     "shop/__init__.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
              note="an application published as a package: users install it and resolve its metadata"),
        Quiet('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask==3.0.3", "sqlalchemy==2.0.30"]\n',
              path="pyproject.toml", note="exact pins only"),
        Quiet('[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["flask>=3"]\n', path="pyproject.toml",
              options={"project-type": "library"}, note="configured as a library"),
        Quiet('[tool.black]\nline-length = 100\n', path="pyproject.toml", note="no dependencies at all"),
    )

    def check(self) -> None:
        deps = self.deps
        if self.project_type() == "library":
            return
        for manifest in self.reportable_manifests():
            if manifest.data is None:
                continue
            ranged = [(table, dep) for table in manifest.tables if table.production
                      for dep in table.dependencies if not dep.exact]
            if not ranged:
                continue
            if self.project_type() != "application" and deps.kind_of_folder(str(manifest.folder)).distributed:
                continue  # package metadata: whoever installs the package resolves it
            if deps.lock_for(manifest.folder) is not None:
                continue
            table, example = ranged[0]
            count = len(ranged)
            spec = _declared_text(example)
            self.report(manifest.file.relpath, _span(table.line),
                        f"Commit a lock file ({_lock_name(manifest)}) or a fully pinned requirements.txt for "
                        f"this application: {count} dependenc{'y is a range' if count == 1 else 'ies are ranges'}"
                        f" (e.g. `{spec}`) and resolve anew on every install.", project_level=True)


def _declared_text(dep: Declared) -> str:
    if not dep.spec or dep.spec == "*":
        return f"{dep.name} (any version)"
    if dep.spec[0] in "<>=!~":
        return f"{dep.name}{dep.spec}"
    return f"{dep.name} {dep.spec}"


def _lock_name(manifest: Manifest) -> str:
    data = manifest.data or {}
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    if manifest.kind is FileKind.PIPFILE:
        return "Pipfile.lock"
    if "poetry" in tool:
        return "poetry.lock"
    if "pdm" in tool:
        return "pdm.lock"
    if "uv" in tool:
        return "uv.lock"
    return "uv.lock, poetry.lock, pdm.lock or pylock.toml"


# --- BP203 ---------------------------------------------------------------------------

DEV_TOOLS = frozenset({
    # tests
    "pytest", "coverage", "tox", "nox", "hypothesis", "mock", "nose", "nose2", "freezegun", "time-machine",
    "responses", "requests-mock", "respx", "factory-boy", "faker", "model-bakery", "model-mommy", "mixer",
    "fakeredis", "moto", "mongomock", "testfixtures", "locust", "codecov", "coveralls", "django-webtest", "webtest",
    # lint, format, type-check
    "black", "ruff", "flake8", "pylint", "isort", "mypy", "pre-commit", "pyright", "pytype", "pyre-check",
    "autopep8", "yapf", "autoflake", "pycodestyle", "pydocstyle", "pyflakes", "bandit", "pylama", "prospector",
    "wemake-python-styleguide", "darglint", "vulture", "blue", "pyupgrade", "django-upgrade", "djlint",
    "types-requests", "django-stubs", "djangorestframework-stubs", "sqlalchemy-stubs", "sqlalchemy2-stubs",
    # debug
    "ipython", "ipdb", "debugpy", "pdbpp", "pudb", "django-debug-toolbar", "flask-debugtoolbar",
})
DEV_TOOL_PREFIXES = ("pytest-", "flake8-", "pylint-", "types-", "tox-", "nox-", "mypy-boto3-")
DEV_TOOL_SUFFIXES = ("-stubs",)


# The modules a tool installs when they are not its name with `_` for `-`.
IMPORT_NAMES = {
    "django-debug-toolbar": ("debug_toolbar",), "ipython": ("IPython",), "factory-boy": ("factory",),
    "pytest": ("pytest", "_pytest"), "pre-commit": ("pre_commit",),
    "pyre-check": (), "codecov": (), "coveralls": (),
}


def import_names(key: str) -> tuple[str, ...]:
    """The top-level modules a distribution installs; none for type stubs (never imported)."""
    if key in IMPORT_NAMES:
        return IMPORT_NAMES[key]
    if key.startswith("types-") or key.endswith("-stubs"):
        return ()
    return (key.replace("-", "_").replace(".", "_"),)


def is_dev_tool(key: str, extra: frozenset[str] = frozenset()) -> bool:
    return key in DEV_TOOLS or key in extra or key.startswith(DEV_TOOL_PREFIXES) or key.endswith(DEV_TOOL_SUFFIXES)


def _family(key: str) -> str:
    return re.split(r"[-_.]", key, 1)[0]


class DevDependencyInProductionRule(_DependencyRule):
    code = "BP203"
    name = "dev-dependency-in-production"
    category = CATEGORY
    severity = Severity.WARNING
    precision = Precision(17, 25, "2026-12-02", debatable=4, unseen=(11, 12))
    preview = True
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "A test, lint or debug tool in a production dependency list"
    what = ("Reports test, lint, format, type-check and debug tools (pytest and its plugins, coverage, tox, "
            "nox, black, ruff, flake8, pylint, isort, mypy, pre-commit, ipython, ipdb, debugpy, factory-boy, "
            "faker, type stubs, ...) listed in a production requirement file or table: `requirements.txt`, "
            "`requirements.in`, `requirements/base*.txt`, `requirements/prod*.txt` (and files they include "
            "with `-r` that are not themselves development files), `[project].dependencies`, "
            "`[tool.poetry.dependencies]`, Pipfile `[packages]`. Requirement files below `docs/`, "
            "`tests/`, `ci/`, `.github/` or `tools/` serve development; those below `examples/` are "
            "neither.\n\n"
            "Quiet: development files (`requirements-dev.txt`, `requirements/dev*.txt`, "
            "`requirements/test*.txt`), optional dependencies, dependency groups, requirements under an "
            "`extra == ...` marker, lines of a compiled file whose `# via` note shows they came in through "
            "another package, and projects that are themselves such a tool or its plugin (a `pytest-*` "
            "plugin may depend on pytest).\n\n"
            "A tool the application itself uses when it runs is a production dependency and is quiet: a "
            "module whose role is application code imports it (`import black` to format generated code), or "
            "a Django settings module that production loads names it in `INSTALLED_APPS` or `MIDDLEWARE`. "
            "Imports in tests, development settings, scripts and examples do not count, nor do imports "
            "under `if settings.DEBUG:` (or another development, test or debug switch), under "
            "`if TYPE_CHECKING:` or in a `try` that catches ImportError: the application runs without "
            "them. Type stubs are never imported.")
    why = ("Production then installs code it never runs: a larger image, more packages to patch, and debug "
           "tools (ipdb, debugpy) that can open a door when reached by accident.")
    how_to_fix = ("Move the tool to a development requirement file (`requirements-dev.txt` starting with "
                  "`-r requirements.txt`), a `[dependency-groups]` group or an optional extra.")
    bad = "flask==3.0.3\npytest==8.2.0\n"
    good = "# requirements.txt\nflask==3.0.3\n\n# requirements-dev.txt\n-r requirements.txt\npytest==8.2.0\n"
    options = {
        "extra-dev-packages": Option(default=[], help="more distribution names to treat as development tools"),
        "allowed": Option(default=[], help="distribution names allowed in production lists"),
    }
    examples = (
        Flag("flask==3.0.3\npytest==8.2.0\n", path="requirements.txt", line=2),
        Flag("flask==3.0.3\npytest-cov==5.0.0\nipdb==0.13.13\nblack==24.4.2\n", path="requirements.txt", count=3),
        Flag("Django==5.0.6\ndjango-debug-toolbar==4.4.2\n", path="requirements/base.txt", line=2),
        Flag("Django==5.0.6\nmypy==1.10.0\n", path="requirements/production.txt", line=2),
        Flag("flask\npytest\n", path="requirements.in", line=2, note="compile inputs are read for BP203"),
        Flag("Django==5.0.6\nfactory-boy==3.3.0\n", path="requirements/common.txt",
             files={"requirements/prod.txt": "-r common.txt\n"}, line=2, note="included by a production file"),
        Flag('[project]\nname = "shop"\nversion = "1"\ndependencies = [\n  "flask>=3",\n  "ruff>=0.4",\n]\n',
             path="pyproject.toml", line=6),
        Flag('[tool.poetry]\nname = "shop"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nflask = "^3"\n'
             'pytest = "^8"\n', path="pyproject.toml", line=7, note="Poetry main dependencies"),
        Flag('[packages]\nflask = "*"\nfaker = "*"\n', path="Pipfile", line=3),
        Flag("flask==3.0.3\nmyprobe==1.0\n", path="requirements.txt", options={"extra-dev-packages": ["myprobe"]},
             line=2),
        Flag("Django==5.0.6\ndjango-debug-toolbar==4.4.2\n", path="requirements.txt", line=2,
             files={"mysite/settings.py": "DEBUG = False\nINSTALLED_APPS = ['django.contrib.admin']\n"
                                          "if DEBUG:\n    INSTALLED_APPS += ['debug_toolbar']\n"
                                          "    MIDDLEWARE = ['debug_toolbar.middleware.DebugToolbarMiddleware']\n"},
             note="enabled only under DEBUG"),
        Flag("Django==5.0.6\ndjango-debug-toolbar==4.4.2\n", path="requirements/base.txt", line=2,
             files={"mysite/settings/local.py": "from .base import *\n\nINSTALLED_APPS += ['debug_toolbar']\n"},
             note="enabled by development settings"),
        Flag("flask==3.0.3\nipdb==0.13.13\n", path="requirements.txt", line=2,
             files={"shop/debugging.py": "try:\n    import ipdb as pdb\nexcept ImportError:\n    import pdb\n"},
             note="an optional import: the application runs without it"),
        Flag("flask==3.0.3\npytest==8.2.0\n", path="requirements.txt", line=2,
             files={"tests/test_shop.py": "import pytest\n\n\ndef test_home():\n    assert True\n"},
             note="imported by tests only"),
        Flag("boto3==1.34.0\nmypy-boto3-s3==1.34.0\ntypes-requests==2.32.0.20240602\n", path="requirements.txt",
             count=2, files={"shop/storage.py": "from typing import TYPE_CHECKING\n\nimport requests\n\n"
                                                "if TYPE_CHECKING:\n    from mypy_boto3_s3 import S3Client\n"},
             note="type-checking imports and stubs"),
        Quiet("-r requirements.txt\npytest==8.2.0\nruff==0.4.4\n", path="requirements-dev.txt",
              files={"requirements.txt": "flask==3.0.3\n"}),
        Quiet("pytest==8.2.0\ncoverage==7.5.1\n", path="requirements/test.txt"),
        Quiet("pytest==8.2.0\n", path="requirements/dev.txt", files={"requirements/base.txt": "flask==3.0.3\n"}),
        Quiet("pytest\n", path="dev-requirements.txt"),
        Quiet("sphinx==7.3.7\nipython==8.24.0\n", path="docs/requirements.txt", note="a documentation build"),
        Quiet("flask==3.0.3\npytest==8.2.0\n", path="examples/todo/requirements.txt", note="an example"),
        Quiet('[project]\nname = "shop"\nversion = "1"\ndependencies = ["flask>=3"]\n'
              '[project.optional-dependencies]\ntest = ["pytest>=8"]\n[dependency-groups]\nlint = ["ruff"]\n',
              path="pyproject.toml", note="optional dependencies and dependency groups"),
        Quiet('[project]\nname = "shop"\nversion = "1"\ndependencies = ["flask>=3", "pytest>=8; extra == \'test\'"]\n',
              path="pyproject.toml", note="extra marker"),
        Quiet('[tool.poetry]\nname = "shop"\n\n[tool.poetry.dependencies]\nflask = "^3"\n\n'
              '[tool.poetry.group.dev.dependencies]\npytest = "^8"\n', path="pyproject.toml"),
        Quiet('[packages]\nflask = "*"\n\n[dev-packages]\npytest = "*"\n', path="Pipfile"),
        Quiet("flask==3.0.3\nmypy-extensions==1.0.0\n    # via typing-inspect\n", path="requirements.txt",
              note="not a tool"),
        Quiet("flask==3.0.3\n    # via -r requirements.in\npytest==8.2.0\n    # via some-runtime-lib\n",
              path="requirements.txt", note="compiled: a transitive dependency"),
        Quiet('[project]\nname = "pytest-shop"\nversion = "1"\ndependencies = ["pytest>=8"]\n', path="pyproject.toml",
              note="a pytest plugin depends on pytest"),
        Quiet("flask==3.0.3\nipython==8.24.0\n", path="requirements.txt", options={"allowed": ["ipython"]}),
        Quiet("fastapi==0.111.0\nblack==24.4.2\n", path="requirements.txt",
              files={"shop/routers/code.py": "import black\nfrom fastapi import APIRouter\n\n"
                                             "router = APIRouter()\n\n\n@router.post('/format')\n"
                                             "def format_code(source: str) -> str:\n"
                                             "    return black.format_str(source, mode=black.Mode())\n"},
              note="the application formats code with it at run time"),
        Quiet("Flask==3.0.3\nFlask-DebugToolbar==0.15.1\n", path="requirements.txt",
              files={"shop/extensions.py": "from flask_debugtoolbar import DebugToolbarExtension\n\n"
                                           "toolbar = DebugToolbarExtension()\n"},
              note="the application initializes it"),
        Quiet('[project]\nname = "site"\nversion = "1"\ndependencies = ["django>=5", "django-debug-toolbar>=4"]\n',
              path="pyproject.toml",
              files={"mysite/settings.py": "INSTALLED_APPS = [\n    'django.contrib.admin',\n    'debug_toolbar',\n]\n"
                                           "MIDDLEWARE = ['debug_toolbar.middleware.DebugToolbarMiddleware']\n"},
              note="production settings enable it"),
    )

    def check(self) -> None:
        deps = self.deps
        extra = frozenset(canonicalize_name(n) for n in self.option("extra-dev-packages"))
        allowed = frozenset(canonicalize_name(n) for n in self.option("allowed"))
        own = deps.own_names()
        runtime = runtime_packages(self.project)

        def flagged(key: str | None) -> bool:
            if not key or key in allowed or not is_dev_tool(key, extra):
                return False
            if runtime.intersection(import_names(key)):
                return False  # the application itself imports it: production needs it
            # a tool's own plugins and helpers may depend on it
            return not any(is_dev_tool(name, extra) or _family(name) == _family(key) for name in own)

        for context in deps.checked_requirement_files():
            if context.production is not True or context.as_constraint_only:
                continue
            for requirement in context.file.requirements:
                if not flagged(requirement.key) or _extra_marker(requirement.marker):
                    continue
                if requirement.via is not None and not any(v.startswith(("-r", "-c")) for v in requirement.via):
                    continue  # a compiled file: another package brought it in
                self.report(context.report_path, _span(requirement.line),
                            f"Move {requirement.name} to a development requirement file (e.g. "
                            f"requirements-dev.txt with `-r requirements.txt`): production does not need it.")
        for manifest in self.reportable_manifests():
            for table in manifest.tables:
                if not table.production:
                    continue
                for dep in table.dependencies:
                    if flagged(dep.key) and not _extra_marker(dep.marker):
                        target = "[dev-packages]" if manifest.kind is FileKind.PIPFILE else (
                            "a dependency group" if "poetry" in table.title else "[dependency-groups] or an optional extra")
                        self.report(manifest.file.relpath, _span(dep.line),
                                    f"Move {dep.name} from {table.title} to {target}: production does not need it.")


def _extra_marker(marker: str | None) -> bool:
    return bool(marker) and re.search(r"\bextra\s*==", marker or "") is not None


# --- BP204 ---------------------------------------------------------------------------


class DuplicateRequirementRule(_DependencyRule):
    code = "BP204"
    name = "duplicate-requirement"
    category = CATEGORY
    severity = Severity.WARNING
    precision = Precision(3, 17, "2026-12-02", debatable=1, unseen=(2, 5))
    preview = True
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "The same distribution listed twice"
    what = ("Reports a distribution listed a second time in one requirement file or in the files it "
            "includes with `-r` (names compared as PEP 503 normalizes them: `Flask_SQLAlchemy` is "
            "`flask-sqlalchemy`), and the same in a `pyproject.toml` dependency list. Lines with different "
            "environment markers (`numpy==1.24; python_version < '3.9'` and another for newer Pythons) are "
            "alternatives, not duplicates. The finding points at the second occurrence; when the two are in "
            "different files, at the one in the including file, which is where the repetition was added.")
    why = ("Two pins for one package make the install fail or leave the reader guessing which one wins; two "
           "equal pins drift apart at the next upgrade.")
    how_to_fix = "Keep one line per distribution; to add extras, put them on that line (`celery[redis]==5.4.0`)."
    bad = "flask==3.0.3\nrequests==2.32.3\nFlask==2.3.0\n"
    good = "flask==3.0.3\nrequests==2.32.3\n"
    examples = (
        Flag("flask==3.0.3\nrequests==2.32.3\nFlask==2.3.0\n", path="requirements.txt", line=3),
        Flag("Flask_SQLAlchemy==3.1.1\nflask-sqlalchemy==3.1.1\n", path="requirements.txt", line=2,
             note="PEP 503 normalization"),
        Flag("-r requirements.txt\nflask==2.3.0\npytest==8.2.0\n", path="requirements-dev.txt",
             files={"requirements.txt": "flask==3.0.3\n"}, line=2, note="repeats a line of an include"),
        Flag("flask>=3\nflask\n", path="requirements.in", line=2, note="compile inputs are read for BP204"),
        Flag("packaging==24.0\n", path="requirements/tests.txt",
             files={"requirements/dev.txt": "-r docs.txt\n-r tests.txt\n",
                    "requirements/docs.txt": "packaging==23.2\n"}, line=1,
             note="side-by-side includes that conflict: at the second"),
        Flag('[project]\nname = "shop"\nversion = "1"\ndependencies = [\n  "flask>=3",\n  "Flask>=3.0",\n]\n',
             path="pyproject.toml", line=6),
        Quiet("numpy==1.24.4; python_version < '3.9'\nnumpy==1.26.4; python_version >= '3.9'\n",
              path="requirements.txt", note="different markers"),
        Quiet("-r requirements.txt\npytest==8.2.0\n", path="requirements-dev.txt",
              files={"requirements.txt": "flask==3.0.3\n"}),
        Quiet("-c constraints.txt\nflask>=3\n", path="requirements.txt", files={"constraints.txt": "flask==3.0.3\n"},
              note="a constraint is not a second requirement"),
        Quiet("flask-sqlalchemy==3.1.1\nflask==3.0.3\n", path="requirements.txt", note="different names"),
        Quiet("-r extras/redis.txt\nkombu>=5.6.2\n", path="requirements/test.txt",
              files={"requirements/extras/redis.txt": "kombu[redis]\n"}, note="a version floor next to an extra"),
        Quiet("-r docs.txt\n-r tests.txt\ntox\n", path="requirements/dev.in",
              files={"requirements/docs.txt": "packaging==24.0\nsphinx==7.3.7\n",
                     "requirements/tests.txt": "packaging==24.0\npytest==8.2.0\n"},
              note="two compiled files included side by side that agree"),
        Quiet("-r requirements/base.txt\n-r requirements/base.txt\n", path="requirements-dev.txt",
              files={"requirements/base.txt": "flask==3.0.3\n"}, note="one file included twice"),
        Quiet('[project]\nname = "shop"\nversion = "1"\ndependencies = ["flask>=3"]\n'
              '[project.optional-dependencies]\nasync = ["flask[async]>=3"]\n', path="pyproject.toml",
              note="different tables"),
    )

    def check(self) -> None:
        deps = self.deps
        reported: set[tuple[str, int]] = set()
        includes = _IncludeReach(deps)
        for root in deps.requirement_roots:
            if root in deps.tests:
                continue
            seen: dict[tuple[str, str], tuple[RequirementLine, Path]] = {}
            for requirement, path in _expand(deps, root):
                if requirement.key is None:
                    continue
                key = (requirement.key, _marker_key(requirement.marker))
                if key not in seen:
                    seen[key] = (requirement, path)
                    continue
                first, first_path = seen[key]
                conflict = first.exact_version is not None and requirement.exact_version is not None and (
                    first.exact_version != requirement.exact_version)
                if first.extras != requirement.extras and not conflict:
                    continue  # `kombu>=5.6` and `kombu[redis]`: the second adds an extra, it does not repeat
                at, at_path, other, other_path = requirement, path, first, first_path
                if first_path != path:
                    if first_path in includes.get(path):
                        pass  # this file includes the first one: the repetition is here
                    elif path in includes.get(first_path):
                        at, at_path, other, other_path = first, first_path, requirement, path
                    elif requirement.specifier == first.specifier:
                        continue  # two complete lists side by side that agree: no file repeats itself
                report_path = deps.report_path(at_path)
                if report_path is None or at_path in deps.tests or (report_path, at.line) in reported:
                    continue
                reported.add((report_path, at.line))
                where = (f"line {other.line}" if other_path == at_path
                         else f"{deps.report_path(other_path) or other_path.name}:{other.line}")
                self.report(report_path, _span(at.line),
                            _duplicate_message(at.name or "", at.specifier, other.specifier, where))
        for manifest in self.reportable_manifests():
            for table in manifest.tables:
                if not table.listed:
                    continue
                first_seen: dict[tuple[str, str], Declared] = {}
                for dep in table.dependencies:
                    key = (dep.key, _marker_key(dep.marker))
                    if key in first_seen:
                        self.report(manifest.file.relpath, _span(dep.line),
                                    _duplicate_message(dep.name, dep.spec, first_seen[key].spec,
                                                       f"line {first_seen[key].line}"))
                    else:
                        first_seen[key] = dep


def _duplicate_message(name: str, spec: str, other_spec: str, where: str) -> str:
    if spec and other_spec and spec != other_spec:
        return (f"Keep one line for {name}: it is also listed at {where} as `{other_spec}`, which conflicts "
                f"with `{spec}` here.")
    return f"Remove this repeated {name}: it is already listed at {where}."


def _marker_key(marker: str | None) -> str:
    return re.sub(r"\s+", "", (marker or "").replace("'", '"'))


def _expand(deps: ProjectDependencies, root: Path) -> list[tuple[RequirementLine, Path]]:
    """Requirements in reading order, `-r` includes expanded in place, each file once (constraints left out).

    An explicit stack of the files being read, as deep as the include walk goes (MAX_INCLUDE_DEPTH).
    """
    result: list[tuple[RequirementLine, Path]] = []
    done: set[Path] = {root}
    reading = [(root, iter(deps.graph.read(root).items))]
    while reading:
        path, items = reading[-1]
        item = next(items, None)
        if item is None:
            reading.pop()
        elif not isinstance(item, Include):
            result.append((item, path))
        elif (not item.constraint and item.path is not None and item.path not in done
              and len(reading) <= MAX_INCLUDE_DEPTH and deps.graph.fs.is_file(item.path)):
            done.add(item.path)
            reading.append((item.path, iter(deps.graph.read(item.path).items)))
    return result


class _IncludeReach:
    """For a requirement file, the files it reaches by `-r`, directly or not.

    Worked out when asked, once per file: only duplicates ask, and a project
    may hold long chains of includes, each file of which is a starting file.
    """

    def __init__(self, deps: ProjectDependencies) -> None:
        self._deps = deps
        self._direct: dict[Path, set[Path]] = {}
        self._reach: dict[Path, set[Path]] = {}

    def _targets(self, path: Path) -> set[Path]:
        if path not in self._direct:
            graph = self._deps.graph
            self._direct[path] = {Path(i.path) for i in graph.read(path).includes
                                  if not i.constraint and i.path is not None and graph.fs.is_file(i.path)}
        return self._direct[path]

    def get(self, start: Path) -> set[Path]:
        if start not in self._reach:
            reach: set[Path] = set()
            stack = list(self._targets(start))
            while stack:
                item = stack.pop()
                if item not in reach:
                    reach.add(item)
                    stack.extend(self._targets(item))
            self._reach[start] = reach
        return self._reach[start]


# --- BP205 ---------------------------------------------------------------------------

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _plain_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return url.lower().startswith("http://")
    return parts.scheme.lower() == "http" and host not in _LOOPBACK


class UntrustedIndexRule(_DependencyRule):
    code = "BP205"
    name = "untrusted-index"
    category = CATEGORY
    severity = Severity.ERROR
    roles = NOT_TESTS_OR_EXAMPLES
    cwe = (494, 427, 319, 295)
    summary = "Packages installed from an extra index, over plain HTTP, or without TLS verification"
    what = ("Reports, in requirement files: `--extra-index-url` (any URL), `--index-url`/`-i` and "
            "`--find-links`/`-f` over plain `http://`, and `--trusted-host`. In `Pipfile` and "
            "`pyproject.toml` package sources: a source URL over plain `http://` or `verify_ssl = false`. "
            "Loopback hosts (`localhost`, `127.0.0.1`) are quiet: nothing travels over a network. "
            "Credentials in the URL are never shown in the message.")
    why = ("With an extra index the installer takes the highest version from any index, so anyone who "
           "publishes your private package's name on the public index with a higher version gets their code "
           "installed (dependency confusion). Over plain HTTP, or with certificate checks off, anyone on the "
           "network path can replace the packages.")
    how_to_fix = ("Serve private and public packages through one index (`--index-url`) that proxies the "
                  "public one and reserves your names; use `https://` URLs with valid certificates; drop "
                  "`--trusted-host`.")
    bad = "--extra-index-url https://pypi.example.com/simple\n--trusted-host pypi.example.com\nflask==3.0.3\n"
    good = "--index-url https://pypi.example.com/simple\nflask==3.0.3\n"
    examples = (
        Flag("flask==3.0.3\n--extra-index-url https://pypi.example.com/simple\n", path="requirements.txt", line=2),
        Flag("-i http://pypi.example.com/simple\nflask==3.0.3\n", path="requirements.txt", line=1),
        Flag("--index-url=http://pypi.example.com/simple\n", path="requirements.txt", line=1),
        Flag("--find-links http://wheels.example.com/\nflask==3.0.3\n", path="requirements.txt", line=1),
        Flag("-f http://wheels.example.com/\n", path="requirements.txt", line=1, note="short option"),
        Flag("flask==3.0.3\n--trusted-host pypi.example.com\n", path="requirements.txt", line=2),
        Flag("--extra-index-url https://user:s3cr3tpassw0rd@pypi.example.com/simple\n", path="requirements.txt",
             line=1, note="credentials are masked in the message"),
        Flag('[[source]]\nurl = "http://pypi.example.com/simple"\nverify_ssl = true\nname = "corp"\n',
             path="Pipfile", line=2),
        Flag('[[source]]\nurl = "https://pypi.example.com/simple"\nverify_ssl = false\nname = "corp"\n',
             path="Pipfile", line=2, note="verify_ssl = false"),
        Flag('[[tool.uv.index]]\nname = "corp"\nurl = "http://pypi.example.com/simple"\n', path="pyproject.toml",
             line=3),
        Flag("--trusted-host pypi.example.com\n", path="base.txt",
                  files={"requirements.txt": "-r base.txt\nflask==3.0.3\n"}, line=1,
                  note="in a file reached by -r, whatever its name"),
        Quiet("--index-url https://pypi.example.com/simple\nflask==3.0.3\n", path="requirements.txt"),
        Quiet("--find-links ./wheels\n-f file:///srv/wheels\nflask==3.0.3\n", path="requirements.txt",
              note="local find-links"),
        Quiet("--index-url http://localhost:3141/root/pypi/+simple/\n", path="requirements.txt", note="loopback"),
        Quiet("git+https://github.com/org/lib@0123456789abcdef0123456789abcdef01234567#egg=lib\n",
              path="requirements.txt", note="an HTTPS VCS URL is not an index"),
        Quiet('[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n', path="Pipfile"),
    )

    def check(self) -> None:
        deps = self.deps
        for context in deps.checked_requirement_files():
            for option in context.file.options:
                message = self._message(option.option, option.value or "")
                if message:
                    self.report(context.report_path, _span(option.line), message)
        for manifest in self.reportable_manifests():
            for line, url, verify in manifest.sources:
                shown = mask_credentials(url)
                if _plain_http(url):
                    self.report(manifest.file.relpath, _span(line),
                                f"Use an https:// URL for the package source `{shown}`: packages fetched over "
                                f"plain HTTP can be replaced in transit.")
                elif not verify:
                    self.report(manifest.file.relpath, _span(line),
                                f"Set verify_ssl = true for the package source `{shown}` and fix its "
                                f"certificate: without TLS verification packages can be replaced in transit.")

    @staticmethod
    def _message(option: str, value: str) -> str | None:
        shown = mask_credentials(value)
        if option == "--extra-index-url":
            return (f"Install from one index (`--index-url`) that also serves the public packages instead of "
                    f"`--extra-index-url {shown}`: with two indexes, a higher version published under your "
                    f"package's name on the other one is installed instead (dependency confusion).")
        if option in ("--index-url", "--find-links") and _plain_http(value):
            return (f"Use https:// for `{option} {shown}`: packages fetched over plain HTTP can be replaced "
                    f"in transit.")
        if option == "--trusted-host" and value.split(":", 1)[0].lower() not in _LOOPBACK:
            return (f"Remove `--trusted-host {shown}` and give the host a valid certificate: the option turns "
                    f"off TLS verification, so packages can be replaced in transit.")
        return None
