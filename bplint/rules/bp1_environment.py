"""BP1 environment: documenting the variables the code reads, and keeping `.env` out of git."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

import pathspec

from bplint.discover.files import FileKind, classify, split_lines
from bplint.discover.filesystem import FileSystem
from bplint.project.dependencies import project_dependencies
from bplint.project.index import Location, ProjectIndex, project_view
from bplint.project.roles import NOT_TESTS_OR_EXAMPLES, Role
from bplint.report.findings import Severity, Span
from bplint.rule import Flag, Option, Precision, ProjectRule, Quiet, TextRule
from bplint.rules._env_facts import env_facts, settings_reads
from bplint.rules._secret_formats import find_tokens, is_template, is_weak
from bplint.rules._secret_names import is_secret_name

# Words in a dotenv file's name that make it documentation, not configuration.
EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "template", "tmpl", "tpl", "dist", "defaults",
                           "skeleton"})
_NAME_PARTS = re.compile(r"[._-]+")
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# BP106: the share of its variables an example file or documentation must name to be the project's
# list of them. Below it, it is a selection (a quick start) and the full reference is elsewhere:
# one real example file names about 30 of the 900 variables its application reads.
REFERENCE_SHARE = 0.5
# The libraries that load configuration from the environment or a `.env` file: a project that uses one
# has chosen the environment as its configuration, and an example file is how it documents it.
ENV_CONFIG_LIBRARIES = ("dotenv", "decouple", "environs", "environ", "pydantic_settings")
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
DOCS_FOLDERS = ("docs", "doc", "documentation")
DEPLOYMENT_FOLDERS = frozenset({"deploy", "deployment", "deployments", "docker", "contrib", "helm", "charts",
                                "k8s", "kubernetes", "kustomize", "manifests", "ops", "infra", "compose"})
DEPLOYMENT_FILES = frozenset({"app.json", "app.yaml", "fly.toml", "render.yaml", "heroku.yml", "procfile"})
MAX_FOLDER_DEPTH = 2
MAX_DOCS_DEPTH = 4
MAX_DOCUMENTS = 2000
MAX_DOCUMENT_BYTES = 2_000_000
MAX_DOCUMENTATION_BYTES = 64_000_000  # all of them together
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
    "SHLVL", "OLDPWD", "SSH_*", "SUDO_*", "UID", "GID", "HOSTTYPE", "OSTYPE",
    # Windows
    "APPDATA", "LOCALAPPDATA", "USERPROFILE", "PROGRAMDATA", "PROGRAMFILES", "SYSTEMROOT", "WINDIR", "COMPUTERNAME",
    "USERDOMAIN", "COMSPEC", "PATHEXT",
    # other CI services
    "BUILDKITE*", "CIRCLECI", "CIRCLE_*", "JENKINS_*", "BITBUCKET_*", "APPVEYOR*", "TF_BUILD", "CODEBUILD_*",
    "BUILD_NUMBER",
    # read by the cloud SDKs, the framework's command line and the servers themselves, documented by them
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION",
    "AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "FLASK_APP", "FLASK_ENV",
    "FLASK_DEBUG", "FLASK_RUN_*", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
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


GIT_IGNORED_VIEW = "git-ignored"
COMPOSE_ENV_FILES_VIEW = "compose-env-files"

# --- BP106 -------------------------------------------------------------------------------


class EnvVarUndocumented(ProjectRule):
    code = "BP106"
    name = "env-var-undocumented"
    category = "configuration"
    severity = Severity.INFO
    precision = Precision(14, 32, "2026-12-02", debatable=4, unseen=(11, 18))
    preview = True
    roles = frozenset({Role.APPLICATION})  # scripts, migrations and dev settings configure no deployment
    summary = "Environment variable read in code but not documented in .env.example"
    what = ("Collects the environment variables the application code reads (`os.environ[...]`, "
            "`os.getenv(...)`, `os.environ.get(...)`, `decouple.config(...)`, environs / django-environ "
            "`env(...)`, and the fields of pydantic settings classes: `env_prefix` + field name, or the "
            "field's `alias` / `validation_alias`), leaving out tests, scripts, migrations and development "
            "settings. `os.environ.setdefault(...)` gives a default and is no read, and a variable the "
            "application sets itself (`os.environ[\"X\"] = ...`, `os.putenv`) is its own plumbing. A variable "
            "is documented when an example env file (`.env.example`, `.env.sample`, `env.template`, "
            "`example.env`, ... anywhere in the project; one in a folder with its own code, such as a bundled "
            "sample app, documents only that folder) has it (`KEY=`, a bare `KEY` or a commented-out "
            "`# KEY=...`), or when the project's documentation or deployment files name it: README and other "
            "Markdown/reST files, `docs/`, compose files, Helm charts, Kubernetes manifests, Dockerfiles, "
            "settings templates. Where those name at least half of the variables, they are the project's list "
            "of them, and each variable they miss is reported once, at its first read, with the number of "
            "places that read it. Where they name fewer, they are a selection (a quick start) and the reference "
            "is elsewhere: nothing is reported. When nothing documents any variable, the project gets one "
            "finding if it takes its configuration from the environment (it loads a `.env` or has one, or "
            "reads its settings with python-dotenv, decouple, environs, django-environ or pydantic settings); an "
            "application configured through a settings file reads a variable or two besides and gets none. "
            "Variables set by the operating system, CI or the hosting platform (`HOME`, `PATH`, `PORT`, "
            "`DJANGO_SETTINGS_MODULE`, ...) are ignored; the `ignore-vars` option replaces that list "
            "(shell-style patterns). A library has no deployment to document, so it gets no \"no example "
            "file\" finding: bplint tells an application from a library as BP202 describes, and the "
            "`project-type` option (`auto`, `application`, `library`) decides it yourself.")
    why = ("An undocumented variable is found at deploy time, when the app crashes or, worse, runs "
           "with a default meant for a laptop. A checked-in example file is the list every deployer "
           "and new developer works from.")
    how_to_fix = ("Add the variable to the project's example env file (`.env.example`) with a placeholder or "
                  "empty value (`DATABASE_URL=`), or to the table of variables in its documentation; with no "
                  "example file yet, add one at the project root that lists every variable the code reads.")
    bad = ('# app/config.py\nimport os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'
           'REDIS_URL = os.environ["REDIS_URL"]\nSENTRY_DSN = os.getenv("SENTRY_DSN")\n\n'
           '# .env.example\nDATABASE_URL=\nREDIS_URL=redis://localhost:6379/0\n')
    good = ('# app/config.py\nimport os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'
            'REDIS_URL = os.environ["REDIS_URL"]\nSENTRY_DSN = os.getenv("SENTRY_DSN")\n\n'
            '# .env.example\nDATABASE_URL=\nREDIS_URL=redis://localhost:6379/0\n# SENTRY_DSN=\n')
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

            from dotenv import load_dotenv

            load_dotenv()

            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost/app")
            """, path="app/config.py", files={"app/main.py": "import os\nDEBUG = os.getenv('DEBUG')\n"},
            line=8, count=1, note="loads a .env and documents nothing: one finding, at the first read"),
        Flag("""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            SENTRY_DSN = os.getenv("SENTRY_DSN")
            REDIS_URL = os.environ.get("REDIS_URL")
            """, path="app/settings.py",
            files={".env.example": "# copy to .env\nexport SECRET_KEY=\nREDIS_URL=redis://localhost:6379/0\n",
                   "app/tasks.py": "import os\n\nDSN = os.environ.get('SENTRY_DSN', '')\n"},
            line=4, count=1, note="one finding per undocumented variable, however many places read it"),
        Flag("""
            import environ

            env = environ.Env()
            DEBUG = env.bool("DJANGO_DEBUG", default=False)
            EMAIL_URL = env("EMAIL_URL")
            """, path="config/settings/base.py", files={".env.sample": "DJANGO_DEBUG=False\n"}, line=5),
        Flag("""
            from pydantic import Field
            from pydantic_settings import BaseSettings, SettingsConfigDict

            class Settings(BaseSettings):
                model_config = SettingsConfigDict(env_prefix="SHOP_", env_file=".env")

                database_url: str
                redis_url: str = "redis://localhost:6379/0"
                sentry_dsn: str | None = Field(default=None, validation_alias="SENTRY_DSN")
            """, path="shop/settings.py", files={".env.example": "SHOP_DATABASE_URL=\n# SENTRY_DSN=\n"},
            line=8, count=1, note="a pydantic settings field is read as env_prefix + its name"),
        Flag("""
            from pydantic import Field

            from app.core.base import AppSettings

            class Settings(AppSettings):
                database_url: str
                openai_api_key: str = Field(alias="OPENAI_API_KEY")
                log_level: str = "info"
            """, path="app/core/config.py",
            files={"app/core/base.py": "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
                                       "class AppSettings(BaseSettings):\n"
                                       "    model_config = SettingsConfigDict(env_prefix='APP_')\n",
                   ".env.example": "APP_DATABASE_URL=\nAPP_LOG_LEVEL=info\n"},
            line=7, count=1, note="a field's alias is the variable; the prefix comes from the project's base class"),
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

            from celery import Celery

            os.environ.setdefault("CELERY_CONFIG_MODULE", "shop.celeryconfig")
            os.environ["TOKENIZERS_PARALLELISM"] = "false"

            app = Celery("shop", broker=os.environ["BROKER_URL"], backend=os.environ["RESULT_BACKEND"])
            SENTRY_DSN = os.environ.get("SENTRY_DSN")
            PARALLEL = os.environ.get("TOKENIZERS_PARALLELISM") == "true"
            """, path="shop/worker.py",
            files={".env.example": "BROKER_URL=redis://localhost:6379/0\nRESULT_BACKEND=\nSENTRY_DSN=\n"},
            note="setdefault gives a default, and a variable the application sets itself is not configuration"),
        Quiet("""
            from pydantic import AliasChoices, Field
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                database_url: str
                redis_url: str = Field("redis://localhost", validation_alias=AliasChoices("REDIS_URL", "CACHE_URL"))

                class Config:
                    env_prefix = "shop_"
            """, path="shop/settings.py", files={"deploy/docker/.env.sample": "SHOP_DATABASE_URL=\nREDIS_URL=\n"},
            note="pydantic v1 Config, case-insensitive names; an example file under deploy/ documents the project"),
        Quiet("""
            import os

            API_TOKEN = os.environ["API_TOKEN"]
            """, path="tests/conftest.py", note="test code only"),
        Quiet("""
            import os

            from dotenv import load_dotenv

            load_dotenv()
            TOKEN = os.environ["GITHUB_TOKEN"]
            REPOSITORY = os.environ.get("RELEASE_REPOSITORY", "shop/shop")
            VERSION = os.environ["RELEASE_VERSION"]
            """, path="scripts/release.py", files={"shop/__init__.py": ""},
            note="a script's variables are not the application's configuration"),
        Quiet("""
            from decouple import config

            DEBUG = config("DEBUG", cast=bool)
            """, path="app/settings.py", files={"example.env": "DEBUG=False\n"}),
        Quiet("""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            DATABASE_URL = os.environ["DATABASE_URL"]
            REDIS_URL = os.environ["REDIS_URL"]
            MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
            S3_BUCKET = os.environ.get("S3_BUCKET")
            """, path="app/config.py",
            files={"contrib/docker/env.example": "SECRET_KEY=change-me\nDATABASE_URL=\nREDIS_URL=\n",
                   "README.md": "## Configuration\n\n| Variable | Default |\n|---|---|\n"
                                "| `MAIL_SERVER` | localhost |\n",
                   "docker-compose.yml": "services:\n  web:\n    build: .\n    environment:\n"
                                         "      - SECRET_KEY\n      - S3_BUCKET=uploads\n"},
            note="an example file under another spelling, a README table and a compose file document"),
        Quiet("""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            OLLAMA_URL = os.environ.get("OLLAMA_URL", "http://localhost:11434")
            OPENAI_API_BASE = os.environ.get("OPENAI_API_BASE", "https://api.openai.com/v1")
            RAG_TOP_K = int(os.environ.get("RAG_TOP_K", "3"))
            CHUNK_SIZE = int(os.environ.get("CHUNK_SIZE", "1000"))
            """, path="backend/app/config.py", files={".env.example": "# quick start\nSECRET_KEY=\n"},
            note="an example file that names a few of many variables is a quick start, not the reference"),
        Quiet("""
            import os

            from flask import Flask

            app = Flask(__name__)
            app.config.from_pyfile(os.environ.get("MYAPP_SETTINGS", "/etc/myapp/settings.py"))
            """, path="myapp/app.py",
            note="configured through a settings file, no example env file: nothing to report"),
        Quiet("""
            import os

            FEATURE_FLAGS = os.environ.get("FEATURE_FLAGS", "")
            """, options={"ignore-vars": ["FEATURE_*"]}, files={".env.example": "DEBUG=\n"}, note="ignore-vars"),
        Quiet("""
            import os

            from dotenv import load_dotenv

            load_dotenv()
            CACHE_DIR = os.environ.get("MYLIB_CACHE_DIR", "~/.cache/mylib")
            """, path="src/mylib/settings.py",
            files={"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                                     '[project]\nname = "mylib"\nversion = "1.0"\n'},
            note="a library (a package build configuration, no application signal): no example file expected"),
        Flag("""
            import os

            from dotenv import load_dotenv

            load_dotenv()
            CACHE_DIR = os.environ.get("MYLIB_CACHE_DIR", "~/.cache/mylib")
            """, path="src/mylib/settings.py",
            files={"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                                     '[project]\nname = "mylib"\nversion = "1.0"\n'},
            options={"project-type": "application"}, line=6, note="project-type = application overrides the detection"),
        Flag("""
            import os

            import environ

            env = environ.Env()
            SECRET_KEY = os.environ["SECRET_KEY"]
            """, path="shop/settings.py",
            files={"examples/demo/.env.example": "SECRET_KEY=\n",
                   "examples/demo/app.py": "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n"},
            line=6, note="a bundled sample app's example file documents only the sample app"),
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
                   "Dockerfile": "FROM python:3.12\n", ".env": "DATABASE_URL=postgresql://localhost/shop\n"},
            line=3, note="a package with a Dockerfile is an application; it has a .env"),
    )

    def check(self) -> None:
        index = self.project.index
        ignored = list(self.option("ignore-vars"))
        docs = _Documentation(self.project, self._scope_of)
        configuration = [relpath for relpath in sorted(index.modules) if index.role_of(relpath) in self.roles]
        # what the project sets itself (outside its tests) is its own plumbing, not configuration
        written = {name for relpath, facts in index.modules.items() if not index.is_test_file(relpath)
                   for name in (getattr(env_facts(facts), "written", None) or ())}
        from_settings = settings_reads(index, configuration)
        # each variable once among the modules that the same example files document: its first read
        found: dict[tuple[str, tuple[str, ...]], _Variable] = {}
        for relpath in configuration:
            applicable = [example for example in docs.examples if example.applies_to(relpath)]
            scope = tuple(example.relpath for example in applicable)
            facts = index.modules[relpath]
            reads = [(read.name, read.location, True, ()) for read in (facts.env_reads if facts is not None else ())]
            reads += [(read.name, read.location, read.case_sensitive, read.alternatives)
                      for read in from_settings.get(relpath, ())]
            for name, location, exact, alternatives in sorted(reads, key=lambda r: (r[1].line, r[1].column)):
                if name in written or any(fnmatch.fnmatchcase(name, pattern) for pattern in ignored):
                    continue
                variable = found.get((name, scope))
                if variable is None:
                    found[(name, scope)] = _Variable(name, relpath, location, exact, applicable, alternatives)
                else:
                    variable.places += 1
        groups: dict[tuple[str, ...], list[_Variable]] = {}
        for (_, scope), variable in found.items():
            groups.setdefault(scope, []).append(variable)
        for scope, variables in sorted(groups.items()):
            undocumented = [v for v in variables if not docs.documents(v)]
            if not scope and len(undocumented) == len(variables):
                if self._configured_by_environment(configuration, from_settings):
                    self._report_undocumented_project(undocumented)
            elif len(variables) - len(undocumented) >= REFERENCE_SHARE * len(variables):
                for variable in undocumented:
                    self._report_variable(variable)
            # else a curated selection (a quick start), not the list of every variable: the reference is elsewhere

    def _report_variable(self, variable: "_Variable") -> None:
        example = variable.examples[0].relpath[len(self.project.index.root_prefix):] if variable.examples else None
        elsewhere = f" (in {variable.places} places)" if variable.places > 1 else ""
        where = (f"Add `{variable.name}=` to `{example}`" if example
                 else f"Document `{variable.name}` with the project's other variables")
        self.report(variable.relpath, _span(variable.location),
                    f"{where}: the code reads it{elsewhere} and no example env file or documentation of the "
                    f"project mentions it.")

    def _configured_by_environment(self, configuration: list[str], from_settings: dict) -> bool:
        """Whether the application takes its configuration from the environment: it loads a `.env`
        (or has one), or reads its settings with an environment library or pydantic settings. An
        application configured through a settings file reads a variable or two besides (the settings
        file's path, a switch) and documents its configuration with that file."""
        index = self.project.index
        if from_settings:
            return True
        if any(kind is FileKind.DOTENV and not is_dotenv_example(relpath) and not index.is_test_file(relpath)
               for relpath, kind in index.files.items()):
            return True
        return any(index.modules[relpath] is not None and index.modules[relpath].imports_any(*ENV_CONFIG_LIBRARIES)
                   for relpath in configuration)

    def _report_undocumented_project(self, undocumented: list["_Variable"]) -> None:
        """Nothing documents any variable: one finding for the project."""
        names = sorted({v.name for v in undocumented})
        first = min(undocumented, key=lambda v: (v.relpath, v.location.line, v.location.column))
        if self._is_library(first.relpath):
            return
        variables = "variable" if len(names) == 1 else "variables"
        self.report(first.relpath, _span(first.location),
                    f"Add a `.env.example` at the project root that lists the {len(names)} environment {variables} "
                    f"the code reads (first: `{first.name}`): it takes its configuration from the environment and "
                    f"documents none of them.", project_level=True)

    def _is_library(self, relpath: str) -> bool:
        """A library is configured by the application that uses it: no deployment to document."""
        project_type = str(self.option("project-type")).lower()
        if project_type != "auto":
            return project_type == "library"
        rootpath = relpath[len(self.project.index.root_prefix):]
        folder = str(PurePosixPath(rootpath).parent)
        return project_dependencies(self.project).kind_of_folder(folder).library

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

    @cached_property
    def upper_keys(self) -> set[str]:
        return {key.upper() for key in self.keys}

    def applies_to(self, relpath: str) -> bool:
        return self.scope is None or relpath.startswith(self.scope)


@dataclass
class _Variable:
    name: str
    relpath: str  # its first read
    location: Location
    exact: bool  # False: read case-insensitively (a pydantic settings field)
    examples: list[_Example]  # the example files that document the module of the first read
    alternatives: tuple[str, ...] = ()  # other names the same setting is read under
    places: int = 1


class _Documentation:
    """Where a project documents its environment variables.

    * example env files: `.env.example`, `deploy/.env.sample`, `env.template`, `example.env`, ...
      One in a folder with Python code of its own (a bundled sample app) documents only that folder.
    * documentation: README and other Markdown/reST/text files at the root, in the folders of the
      project's code and deployment files, and in `docs/` (a table of variables, a how-to);
    * deployment descriptions: compose files, Helm charts and values, Kubernetes manifests,
      Dockerfiles, settings templates (`settings.ini.example`), the configuration files under
      `deploy/`, `docker/`, ...: the variables a deployment sets.
    A variable is documented when one of them names it as a word.
    """

    def __init__(self, project, scope_of) -> None:
        self.project = project
        self.index = project.index
        self.fs = project.index.fs
        self.root = Path(project.index.root)
        self.examples: list[_Example] = []
        self.words: set[str] = set()
        self._read = self._bytes = 0
        texts = {f.relpath: f for f in project.files}
        for relpath, kind in sorted(self.index.files.items()):
            if kind is FileKind.DOTENV and is_dotenv_example(relpath) and relpath in texts:
                try:
                    text = texts[relpath].text()
                except Exception:  # unreadable: it still exists, it documents nothing
                    text = ""
                self.examples.append(_Example(relpath, text, scope_of(relpath)))
            elif kind is FileKind.CONFIG and _is_deployment_file(relpath[len(self.index.root_prefix):]):
                self._words_of(self.root / relpath[len(self.index.root_prefix):])
        for folder in self._folders():
            for name in self.fs.file_names(self.root / folder if folder else self.root):
                self._look_at(folder, name, scope_of)
        for top in DOCS_FOLDERS:
            self._walk_docs(top)
        self.examples.sort(key=lambda e: -len(e.scope or ""))
        self.upper_words = {word.upper() for word in self.words}

    def documents(self, variable: _Variable) -> bool:
        for name in (variable.name, *variable.alternatives):
            if variable.exact:
                if name in self.words or any(name in e.keys for e in variable.examples):
                    return True
            elif name.upper() in self.upper_words or any(name.upper() in e.upper_keys for e in variable.examples):
                return True
        return False

    def _folders(self) -> list[str]:
        """The root, and the folders (two levels down at most) that hold the project's files."""
        prefix = self.index.root_prefix
        folders = {""}
        for relpath in self.index.files.raw():
            parts = relpath[len(prefix):].split("/")[:-1] if relpath.startswith(prefix) else []
            for depth in range(1, min(len(parts), MAX_FOLDER_DEPTH) + 1):
                folders.add("/".join(parts[:depth]))
        # asked one by one: a listing of the root would change with every folder a tool adds there
        pending = [(name, 1) for name in sorted(DEPLOYMENT_FOLDERS) if self.fs.is_dir(self.root / name)]
        while pending:  # deploy/docker/, contrib/helm/values/: files no scan reads, so no folder is known
            folder, depth = pending.pop()
            folders.add(folder)
            if depth <= MAX_FOLDER_DEPTH:
                pending.extend((f"{folder}/{name}", depth + 1) for name in self.fs.folder_names(self.root / folder)
                               if not name.startswith("."))
        return sorted(folders)

    def _look_at(self, folder: str, name: str, scope_of) -> None:
        lower = name.lower()
        rootpath = f"{folder}/{name}" if folder else name
        if classify(rootpath) in (FileKind.DOTENV, FileKind.CONFIG):
            return  # read above, among the scanned files
        parts = set(_NAME_PARTS.split(lower))
        if parts & EXAMPLE_WORDS and "env" in parts:  # env.example, .env-sample
            text = self._text(self.root / rootpath)
            relpath = self.index.root_relpath(rootpath)
            if text is not None:
                self.examples.append(_Example(relpath, text, scope_of(relpath)))
        elif (lower.endswith(DOC_SUFFIXES) or lower.startswith(("readme", "dockerfile", "containerfile"))
              or parts & EXAMPLE_WORDS):
            self._words_of(self.root / rootpath)

    def _walk_docs(self, top: str) -> None:
        pending = [(top, 0)]
        while pending:
            folder, depth = pending.pop()
            path = self.root / folder
            if depth == 0 and not self.fs.is_dir(path):
                return
            for name in self.fs.file_names(path):
                if name.lower().endswith(DOC_SUFFIXES):
                    self._words_of(path / name)
            if depth < MAX_DOCS_DEPTH:
                pending.extend((f"{folder}/{name}", depth + 1) for name in self.fs.folder_names(path)
                               if not name.startswith(("_", ".")))

    def _text(self, path: Path) -> str | None:
        if self._read >= MAX_DOCUMENTS:
            return None
        size = self.fs.size(path)
        if size is None or size > MAX_DOCUMENT_BYTES or self._bytes + size > MAX_DOCUMENTATION_BYTES:
            return None
        self._read += 1
        self._bytes += size
        return self.fs.read_text(path)

    def _words_of(self, path: Path) -> None:
        text = self._text(path)
        if text:
            self.words.update(_WORDS.findall(text))


def _is_compose_file(name: str) -> bool:
    """`docker-compose.yml`, `compose.prod.yaml`, ... (a file name, lower case)."""
    return fnmatch.fnmatch(name, "*compose*.y*ml")


def _is_deployment_file(rootpath: str) -> bool:
    """A compose file, Helm values, a manifest or any configuration file under deploy/, docker/, ..."""
    parts = rootpath.lower().split("/")
    name = parts[-1]
    return (any(part in DEPLOYMENT_FOLDERS for part in parts[:-1])
            or _is_compose_file(name) or fnmatch.fnmatch(name, "values*.y*ml")
            or name in DEPLOYMENT_FILES)


def _span(loc: Location) -> Span:
    return Span(loc.line, loc.column, loc.end_line, loc.end_column)


# --- BP107 -------------------------------------------------------------------------------


class DotenvCommitted(TextRule):
    code = "BP107"
    detects_secrets = True
    name = "dotenv-committed"
    category = "configuration"
    severity = Severity.ERROR
    precision = Precision(0, 0, "2026-12-02", unseen=(0, 2))
    preview = True
    roles = NOT_TESTS_OR_EXAMPLES
    cwe = (538,)
    # a dotenv file among the tests is a fixture (loading .env is what is tested), not deploy config
    kinds = frozenset({FileKind.DOTENV})
    summary = "A .env file that git does not ignore"
    what = ("Reports a dotenv file (`.env`, `.env.production`, `.env.local`, `prod.env`, ...) in the "
            "scanned tree that git does not ignore, so it is committed or will be with the next "
            "`git add .`. In a git work tree bplint asks git (`git check-ignore`, once per scan, with a "
            "timeout, and with none of the programs a repository's configuration can name), so "
            "`.git/info/exclude` and the user's global excludes file count, and a `.env` that git tracks is "
            "reported even when a `.gitignore` lists it (when named on the command line: a folder's walk "
            "skips what `.gitignore` files list). Without git, or outside a work tree, it reads the "
            "`.gitignore` files. Example files (`.env.example`, `.env.sample`, `.env.template`, "
            "`example.env`, ...) are meant to be committed and are left alone, and so is a dotenv "
            "file with no assignments (empty or only comments): it holds nothing to leak. Dotenv files "
            "in test code (`tests/`) are fixtures and are left alone too. A dotenv file that a compose file "
            "of the project hands to its services (`env_file: docker.env`) holds the defaults its containers "
            "start with and is committed with it on purpose: it is reported only when it holds a credential, "
            "a value in a known token format or a secret-named variable set to a value nobody could guess "
            "(not a `${SUBSTITUTION}`, a placeholder or a weak default such as `POSTGRES_PASSWORD=app`).")
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
        Quiet("POSTGRES_DB=shop\nPOSTGRES_USER=shop\nPOSTGRES_PASSWORD=shop\nSHOP_DB_HOST=db\nSHOP_DEBUG=False\n",
              path="docker.env",
              files={"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n    env_file:\n      - docker.env\n"
                                           "  web:\n    build: .\n    env_file: [docker.env]\n"},
              note="the defaults a compose file gives its containers"),
        Flag("POSTGRES_USER=shop\nPOSTGRES_PASSWORD=Vq8#mT2!xLr9pZ4w\n", path="deploy/prod.env", line=1,
             files={"deploy/compose.yaml": "services:\n  db:\n    image: postgres:16\n    env_file:\n"
                                           "      - path: ./prod.env\n        required: true\n"},
             note="a compose env file with a real password"),
    )

    def check(self) -> None:
        ctx = self.ctx
        if is_dotenv_example(ctx.relpath):
            return
        text = ctx.text
        if not has_assignments(text):
            return
        by_git = ctx.index.view(GIT_IGNORED_VIEW, part=ctx.relpath)
        listed = None
        if by_git is None:  # git could not say: the .gitignore files, read as git reads them
            listed = _ignored_by_gitignore(ctx.file.path, ctx.config.root, ctx.index.fs)
            if listed:
                return
        elif by_git:
            return
        if ctx.index.view(COMPOSE_ENV_FILES_VIEW, part=ctx.relpath) and not _holds_credential(text):
            return  # the defaults a compose file hands its containers, committed with it on purpose
        first = split_lines(text)[0]
        target = ctx.file.rootpath or ctx.relpath
        if listed is None and _ignored_by_gitignore(ctx.file.path, ctx.config.root, ctx.index.fs):
            # a .gitignore lists it, and git still does not ignore it: it is tracked
            message = (f"`{target}` is committed although .gitignore lists it: remove it from the repository "
                       f"(`git rm --cached {target}`) and rotate the secrets it holds.")
        else:
            message = (f"`{target}` is not ignored by git: add it to .gitignore, remove it from the repository "
                       f"(`git rm --cached {target}`), and rotate the secrets it holds.")
        self.report(Span(1, 1, 1, len(first) + 1), message, secret=True)


def _holds_credential(text: str) -> bool:
    """A value that is a credential: one in a known format, or a secret-named variable's value that
    nobody could guess (not empty, a `${SUBSTITUTION}`, a placeholder or a weak default such as the
    database's own name)."""
    if next(find_tokens(text), None) is not None:
        return True
    for line in split_lines(text):
        match = _ASSIGNMENT.match(line)
        if not match or "=" not in line:
            continue
        value = line.split("=", 1)[1].strip().strip("\"'")
        if is_secret_name(match.group(1)) and value and not is_template(value) and not is_weak(value):
            return True
    return False


# `env_file: .env`, `env_file: [a.env, b.env]`, and the items of an `env_file:` list (`- docker.env`,
# `- path: ./prod.env`), in a compose file
_ENV_FILE_KEY = re.compile(r"^(?P<indent>\s*)env_file\s*:\s*(?P<rest>.*?)\s*$")
_LIST_ITEM = re.compile(r"^(?P<indent>\s*)-\s*(?:path\s*:\s*)?(?P<value>[^#{}\[\]]+?)\s*(?:#.*)?$")


def compose_env_files(text: str) -> list[str]:
    """The env files a compose file names (as written: relative to the compose file's folder)."""
    found: list[str] = []
    lines = split_lines(text)
    for number, line in enumerate(lines):
        match = _ENV_FILE_KEY.match(line)
        if not match:
            continue
        rest = match.group("rest").split(" #", 1)[0].strip()
        if rest.startswith("["):
            found += [part.strip(" \"'") for part in rest.strip("[]").split(",")]
        elif rest:
            found.append(rest.strip("\"'"))
        else:
            indent = len(match.group("indent"))
            for item in lines[number + 1:]:
                if not item.strip() or item.lstrip().startswith("#"):
                    continue
                listed = _LIST_ITEM.match(item)
                if listed is None or len(listed.group("indent")) < indent:
                    if len(item) - len(item.lstrip()) <= indent:
                        break
                    continue  # `required: false` under a `- path:` item
                found.append(listed.group("value").strip("\"'"))
    return [name for name in found if name and "$" not in name]


@dataclass(frozen=True)
class _ComposeEnvFiles:
    relpaths: frozenset[str]

    def part(self, relpath: str) -> bool:
        return relpath in self.relpaths


@project_view(COMPOSE_ENV_FILES_VIEW)
def _compose_env_files(index: ProjectIndex) -> _ComposeEnvFiles:
    """The dotenv files that the project's compose files hand to their services (`env_file:`)."""
    prefix = index.root_prefix
    named: set[str] = set()
    for relpath, kind in sorted(index.files.items()):
        rootpath = relpath[len(prefix):]
        if kind is not FileKind.CONFIG or not _is_compose_file(rootpath.rsplit("/", 1)[-1].lower()):
            continue
        text = index.fs.read_text(Path(index.root) / rootpath)
        if not text:
            continue
        folder = PurePosixPath(rootpath).parent
        for name in compose_env_files(text):
            resolved = PurePosixPath(os.path.normpath((folder / name).as_posix()))
            if not str(resolved).startswith(".."):
                named.add(prefix + resolved.as_posix())
    return _ComposeEnvFiles(frozenset(named))


@dataclass(frozen=True)
class _GitIgnored:
    answers: dict[str, bool]

    def part(self, relpath: str) -> bool | None:
        return self.answers.get(relpath)


@project_view(GIT_IGNORED_VIEW)
def _git_ignored(index: ProjectIndex) -> _GitIgnored:
    """What git says about the dotenv files (asked in the index phase: ``ProjectIndex.dotenv_ignored_by_git``)."""
    return _GitIgnored(index.dotenv_ignored_by_git())


def _ignored_by_gitignore(path: Path, root: Path, fs: FileSystem) -> bool:
    """When git cannot say. Discovery already skips files that a `.gitignore` ignores in the folders
    it walks; a file named on the command line is not."""
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
