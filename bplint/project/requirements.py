"""A reader for requirement files (the installer's ``-r`` file format).

It follows the format's own rules rather than guessing with patterns:

* physical lines are joined when they end in ``\\`` (not inside a comment);
  the joined line keeps the number of its first physical line;
* ``#`` starts a comment at the start of a line or after whitespace
  (``pkg#egg=x`` in a URL is not a comment);
* a line splits at the first word that starts with ``-``: the words before
  are the requirement, the rest are options, read with a real option parser
  (``--hash=sha256:...``, ``-i URL``, ``--index-url=URL``, abbreviations);
* requirements are PEP 508 strings read with ``packaging``; URLs (archives,
  VCS ``git+https://...@ref#egg=name``) and local paths are recognised the
  way the installer does.

``read_requirement_file`` reads one file. ``RequirementGraph`` reads each
file once and follows ``-r``/``-c`` includes relative to the including file,
with cycles detected. Nothing here reports findings; problems are data.
"""

from __future__ import annotations

import codecs
import optparse
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bplint.discover.filesystem import FileSystem

COMMENT_RE = re.compile(r"(^|\s+)#.*$")
URL_SCHEMES = ("http", "https", "file", "ftp")
# The VCS URL schemes the installer accepts (a bare `git://` is not one of them).
VCS_SCHEMES = (
    "git+http", "git+https", "git+ssh", "git+git", "git+file",
    "hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http",
    "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
    "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file",
)
_ANY_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar", ".zip", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
                    ".tar.lz", ".tlz")
STRONG_HASHES = ("sha256", "sha384", "sha512")
# A file this long is read, but no more problems than this are kept per file.
MAX_PROBLEMS = 100
# Includes are followed this many files deep (real projects nest a few); a
# longer chain is reported at the include that goes deeper.
MAX_INCLUDE_DEPTH = 100


@dataclass(frozen=True)
class ParseProblem:
    line: int
    message: str
    column: int = 1


@dataclass
class RequirementLine:
    """One requirement: a PEP 508 string, a URL, a local path or an editable."""

    line: int  # the first physical line
    end_line: int
    text: str  # as written, without the options
    kind: str  # "named" | "url" | "vcs" | "path"
    name: str | None = None  # as written
    specifier: str = ""
    extras: frozenset[str] = frozenset()
    marker: str | None = None
    url: str | None = None
    editable: bool = False
    hashes: tuple[str, ...] = ()
    # the `# via ...` lines a compiler writes under a requirement; None when absent
    via: tuple[str, ...] | None = None

    @property
    def key(self) -> str | None:
        """The PEP 503 normalized name."""
        return canonicalize_name(self.name) if self.name else None

    @property
    def exact_version(self) -> str | None:
        """The version of a `==`/`===` pin (not a wildcard), else None."""
        return exact_version(self.specifier)

    @property
    def immutable(self) -> bool:
        """True when the same bytes install every time this line is read."""
        if self.kind == "path":
            return True
        if self.kind == "named":
            return self.exact_version is not None
        if self.kind == "vcs":
            return vcs_ref_is_commit(self.url or "")
        return url_has_hash(self.url or "") or bool(self.hashes)


@dataclass(frozen=True)
class OptionLine:
    """A global option: `--index-url URL`, `--trusted-host host`, `--pre`."""

    line: int
    option: str  # the long spelling, e.g. "--index-url"
    value: str | None


@dataclass
class Include:
    line: int
    constraint: bool  # -c (True) or -r (False)
    target: str  # as written
    path: Path | None  # None for URLs (never fetched)


@dataclass
class RequirementFile:
    path: Path
    requirements: list[RequirementLine] = field(default_factory=list)
    options: list[OptionLine] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    # requirements and includes in file order (what `-r` expansion follows)
    items: list[RequirementLine | Include] = field(default_factory=list)
    suppressed_problems: int = 0
    # the input files a compiler's header names (`#    pip-compile --output-file=requirements.txt base.in`),
    # as written; empty when the file has no such header
    compiled_from: tuple[str, ...] = ()

    def add_problem(self, problem: ParseProblem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.suppressed_problems += 1


# --- versions and URLs ------------------------------------------------------------


def exact_version(specifier: str) -> str | None:
    for part in specifier.split(","):
        part = part.strip()
        if part.startswith("==="):
            return part[3:].strip()
        if part.startswith("==") and not part.endswith(".*"):
            return part[2:].strip()
    return None


def is_url(text: str) -> bool:
    if ":" not in text:
        return False
    return text.split(":", 1)[0].lower() in URL_SCHEMES + VCS_SCHEMES


def is_vcs_url(url: str) -> bool:
    return url.split(":", 1)[0].lower() in VCS_SCHEMES


_HEX = re.compile(r"^[0-9a-fA-F]+$")


def vcs_ref(url: str) -> str | None:
    """The `@ref` of a VCS URL (`git+https://host/repo@ref#egg=x`), or None."""
    parts = urlsplit(url.split("+", 1)[-1] if "+" in url.split(":", 1)[0] else url)
    path = parts.path
    if "@" not in path:
        return None
    ref = path.rsplit("@", 1)[1]
    return ref or None


def vcs_ref_is_commit(url: str) -> bool:
    ref = vcs_ref(url)
    if ref is None:
        return False
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("svn"):
        return ref.isdigit()  # a Subversion revision number never changes
    # a full object id (SHA-1 or SHA-256); shorter refs may be branch or tag names
    return len(ref) in (40, 64) and bool(_HEX.match(ref))


def url_has_hash(url: str) -> bool:
    fragment = urlsplit(url).fragment
    return any(item.split("=", 1)[0].lower() in STRONG_HASHES for item in fragment.split("&") if "=" in item)


def egg_name(url: str) -> str | None:
    for item in urlsplit(url).fragment.split("&"):
        if item.startswith("egg="):
            name = item[4:].strip()
            return name.split("[", 1)[0] or None
    return None


_WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl$")


def wheel_name(url: str) -> str | None:
    filename = urlsplit(url).path.rsplit("/", 1)[-1]
    match = _WHEEL_NAME.match(filename)
    return match.group("name") if match else None


def mask_credentials(url: str) -> str:
    """The URL with any `user:password@` replaced, safe to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@\s]*@", "//***@", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


_USERINFO = re.compile(r"//[^/@\s'\"]+@")


def mask_in_text(text: str) -> str:
    """Any `//user:password@` inside a text replaced, safe to print."""
    return _USERINFO.sub("//***@", text)


def credential_columns(line: str) -> Iterator[tuple[int, int]]:
    """Where the secret of each `//user:password@` in a line is (0-based, end exclusive): the
    password, or the whole user part when it has none (a token given as the user name)."""
    for match in _USERINFO.finditer(line):
        start, end = match.start() + 2, match.end() - 1
        colon = line.find(":", start, end)
        yield (colon + 1 if colon != -1 else start), end


def looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith(".")


def is_archive_name(text: str) -> bool:
    return text.lower().endswith(ARCHIVE_SUFFIXES)


# --- the option parser ------------------------------------------------------------


class _OptionError(Exception):
    pass


class _Parser(optparse.OptionParser):
    def error(self, msg: str) -> None:  # type: ignore[override]
        raise _OptionError(msg)

    def exit(self, status: int = 0, msg: str | None = None) -> None:  # type: ignore[override]
        raise _OptionError(msg or "invalid options")


def _check_hash(option: optparse.Option, opt_str: str, value: str, parser: optparse.OptionParser) -> None:
    algo, sep, digest = value.partition(":")
    if not sep or not digest:
        parser.error(f"Arguments to {opt_str} must be a hash name followed by a value, like --hash=sha256:abcde...")
    if algo not in STRONG_HASHES:
        parser.error(f"Allowed hash algorithms for {opt_str} are {', '.join(STRONG_HASHES)}.")
    parser.values.hashes.append(value)


# (short, long, takes a value); long spellings are what OptionLine.option holds
_GLOBAL_OPTIONS = (
    ("-i", "--index-url", True),
    (None, "--extra-index-url", True),
    (None, "--no-index", False),
    ("-c", "--constraint", True),
    ("-r", "--requirement", True),
    ("-e", "--editable", True),
    ("-f", "--find-links", True),
    (None, "--no-binary", True),
    (None, "--only-binary", True),
    (None, "--prefer-binary", False),
    (None, "--require-hashes", False),
    (None, "--pre", False),
    (None, "--trusted-host", True),
    (None, "--use-feature", True),
)


def _build_parser() -> _Parser:
    parser = _Parser(add_help_option=False)
    for short, long, takes_value in _GLOBAL_OPTIONS:
        names = [n for n in (short, long) if n]
        if long == "--index-url":
            names.append("--pypi-url")
        dest = long[2:].replace("-", "_")
        if takes_value:
            parser.add_option(*names, dest=dest, action="append", default=[])
        else:
            parser.add_option(*names, dest=dest, action="store_true", default=False)
    # options that belong to one requirement
    parser.add_option("--hash", dest="hashes", action="callback", callback=_check_hash, type="string", default=[])
    parser.add_option("--global-option", dest="global_option", action="append", default=[])
    parser.add_option("-C", "--config-settings", dest="config_settings", action="append", default=[])
    return parser


def _fresh_defaults(parser: optparse.OptionParser) -> optparse.Values:
    """Defaults with new lists: appending options must not leak from one line to the next."""
    values = {}
    for dest, default in parser.defaults.items():
        values[dest] = [] if isinstance(default, list) else default
    return optparse.Values(values)


_SHELL_SPECIAL = re.compile(r"""['"\\]""")


def _split_options(text: str) -> list[str]:
    """Shell-style words; plain text (no quotes or backslashes) splits on whitespace alone."""
    if text.isascii() and not _SHELL_SPECIAL.search(text):
        return text.split()
    return shlex.split(text)


def _break_args_options(line: str) -> tuple[str, str]:
    """The requirement part (words before the first `-word`) and the options part."""
    tokens = line.split(" ")
    for position, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:position]), " ".join(tokens[position:])
    return line, ""


# --- reading ----------------------------------------------------------------------


def decode_requirement_bytes(raw: bytes) -> tuple[str | None, ParseProblem | None]:
    """Text from bytes: a byte-order mark picks the encoding, else UTF-8."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            break
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        return None, ParseProblem(line, f"the file is not valid {encoding.upper().replace('-SIG', '')} "
                                        f"(byte {raw[exc.start]:#04x}); save it as UTF-8")


def read_requirement_file(path: Path, max_size: int | None = None, fs: FileSystem | None = None) -> RequirementFile:
    fs = fs or FileSystem()
    try:
        size = fs.size(path)
        if max_size is not None and size is not None and size > max_size:
            result = RequirementFile(path)
            result.add_problem(ParseProblem(1, f"the file is larger than max-file-size ({max_size} bytes) "
                                               f"and was not read"))
            return result
        raw = fs.read_bytes(path)
    except OSError as exc:
        result = RequirementFile(path)
        result.add_problem(ParseProblem(1, f"cannot read the file ({exc.strerror or exc})"))
        return result
    text, problem = decode_requirement_bytes(raw)
    if text is None:
        result = RequirementFile(path)
        result.add_problem(problem)  # type: ignore[arg-type]
        return result
    return parse_requirements_text(text, path)


def _logical_lines(physical: list[str]) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, text) of each logical line, comments removed, blanks skipped."""
    start: int | None = None
    parts: list[str] = []
    for number, line in enumerate(physical, start=1):
        is_comment = COMMENT_RE.match(line) is not None
        if not line.endswith("\\") or is_comment:
            if is_comment:
                line = " " + line  # so that the comment is removed below
            if parts:
                parts.append(line)
                joined, first = "".join(parts), start
                parts, start = [], None
            else:
                joined, first = line, number
            text = COMMENT_RE.sub("", joined).strip()
            if text:
                yield first, number, text  # type: ignore[misc]
        else:
            if not parts:
                start = number
            parts.append(line.strip("\\"))
    if parts:
        text = COMMENT_RE.sub("", "".join(parts)).strip()
        if text:
            yield start, len(physical), text  # type: ignore[misc]


# The command line a compiler writes into the header of the file it makes.
_COMPILE_COMMAND = re.compile(r"^#\s*(?:pip-compile|uv\s+pip\s+compile)(?:\s+(?P<args>.*))?$")
# compiler options whose value is the output, not an input
_OUTPUT_OPTIONS = ("-o", "--output-file")
_INPUT_SUFFIXES = (".in", ".txt", ".toml", ".cfg", ".py", ".pip")
HEADER_LINES = 30


def compiled_from(physical: list[str]) -> tuple[str, ...]:
    """The input files named by the compile command in a file's leading comments.

    Words that are options are skipped, and so is the value of `-o`/`--output-file`; a word is an
    input when it names a file of a kind compilers read (`base.in`, `requirements/base.txt`,
    `pyproject.toml`), constraint files given with `-c` included.
    """
    for line in physical[:HEADER_LINES]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        match = _COMPILE_COMMAND.match(stripped)
        if match is None:
            continue
        try:
            words = _split_options(match.group("args") or "")
        except ValueError:
            return ()
        inputs: list[str] = []
        skip = False
        for word in words:
            if skip:
                skip = False
                continue
            if word in _OUTPUT_OPTIONS:
                skip = True
                continue
            if word.startswith("-"):
                continue
            if word.lower().endswith(_INPUT_SUFFIXES):
                inputs.append(word)
        return tuple(inputs)
    return ()


def parse_requirements_text(text: str, path: Path) -> RequirementFile:
    result = RequirementFile(path)
    physical = text.splitlines()
    result.compiled_from = compiled_from(physical)
    parser = _build_parser()
    for first, last, line in _logical_lines(physical):
        args, options_text = _break_args_options(line)
        if not options_text:
            _add_requirement(result, args, first, last, (), editable=False, physical=physical)
            continue
        try:
            words = _split_options(options_text)
        except ValueError as exc:
            result.add_problem(ParseProblem(first, f"cannot split the options ({exc})"))
            continue
        try:
            opts, _ = parser.parse_args(words, _fresh_defaults(parser))
        except _OptionError as exc:
            result.add_problem(ParseProblem(first, str(exc)))
            continue
        if args:
            _add_requirement(result, args, first, last, tuple(opts.hashes), editable=False, physical=physical)
            continue
        if opts.editable:
            _add_requirement(result, opts.editable[0], first, last, tuple(opts.hashes), editable=True,
                             physical=physical)
            continue
        _add_options(result, opts, first)
    return result


def _add_options(result: RequirementFile, opts: optparse.Values, line: int) -> None:
    for short, long, takes_value in _GLOBAL_OPTIONS:
        dest = long[2:].replace("-", "_")
        value = getattr(opts, dest)
        if long in ("--requirement", "--constraint"):
            for target in value:
                result.items.append(_include(result, line, long == "--constraint", target))
            continue
        if takes_value:
            for item in value:
                result.options.append(OptionLine(line, long, item))
        elif value:
            result.options.append(OptionLine(line, long, None))


def _include(result: RequirementFile, line: int, constraint: bool, target: str) -> Include:
    if re.match(r"^(https?|file):", target, re.IGNORECASE):
        include_path = None
    else:
        include_path = Path(os.path.normpath(result.path.parent / target))
    include = Include(line, constraint, target, include_path)
    result.includes.append(include)
    return include


def _add_requirement(result: RequirementFile, text: str, first: int, last: int, hashes: tuple[str, ...], *,
                     editable: bool, physical: list[str]) -> None:
    requirement, problem = interpret_requirement(text, first, last, editable)
    if problem is not None:
        column = _column_of(physical[first - 1] if first <= len(physical) else "", text, problem.column)
        result.add_problem(ParseProblem(first, problem.message, column))
        return
    assert requirement is not None
    requirement.hashes = hashes
    requirement.via = _via_annotation(physical, last)
    result.requirements.append(requirement)
    result.items.append(requirement)


def _column_of(physical_line: str, text: str, offset: int) -> int:
    """The 1-based column in the physical line of `offset` (1-based) within `text`."""
    start = physical_line.find(text)
    return start + offset if start >= 0 else 1


def _via_annotation(physical: list[str], last: int) -> tuple[str, ...] | None:
    """What a compiled file says brought a requirement in (`# via -r base.in`, `# via flask`)."""
    via: list[str] = []
    seen = False
    for line in physical[last: last + 200]:
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        body = stripped.lstrip("#").strip()
        if not seen:
            if not body.startswith("via"):
                break
            seen = True
            body = body[3:].strip()
        if body:
            via.append(body)
    return tuple(via) if seen else None


def interpret_requirement(text: str, first: int, last: int = 0,
                          editable: bool = False) -> tuple[RequirementLine | None, ParseProblem | None]:
    """One requirement string as the installer reads it: URL, local path, or PEP 508."""
    last = last or first
    base = RequirementLine(first, last, text, "named", editable=editable)
    marker_sep = "; " if is_url(text) else ";"
    body, marker = text, None
    if marker_sep in text:
        body, marker = text.split(marker_sep, 1)
        marker = marker.strip() or None
        body = body.strip()
    if marker:
        try:
            Requirement(f"placeholder; {marker}")
        except InvalidRequirement as exc:
            return None, ParseProblem(first, f"invalid environment marker {mask_in_text(marker)!r}: "
                                             f"{_first_line(exc)}")
    base.marker = marker
    if editable and body.split(":", 1)[0].lower() in ("git", "hg", "svn", "bzr") and ":" in body:
        body = f"{body.split(':', 1)[0].lower()}+{body}"  # `-e git://...` means `git+git://...`
    if is_url(body):
        base.url = body
        if body.lower().startswith("file:"):
            base.kind = "path"
        else:
            base.kind = "vcs" if is_vcs_url(body) else "url"
        base.name = egg_name(body) or wheel_name(body)
        return base, None
    if editable:
        if "://" in body:
            return None, ParseProblem(first, f"{mask_in_text(body)!r} is not a valid editable requirement: use a "
                                             f"local folder or a VCS URL such as `git+https://...`")
        base.kind = "path"  # an editable that is not a URL is a project folder
        return base, None
    if _ANY_SCHEME.match(body):
        scheme = body.split(":", 1)[0]
        return None, ParseProblem(first, f"invalid requirement {mask_in_text(body)!r}: `{scheme}://` is not a "
                                         f"URL scheme the installer accepts (VCS URLs look like `git+https://...`)")
    body_no_extras = re.sub(r"\[[^\]]*\]$", "", body)
    if " @ " not in body and "@" not in body.split("/", 1)[0] and (
            looks_like_path(body_no_extras) or is_archive_name(body_no_extras)):
        base.kind = "path"
        return base, None
    try:
        parsed = Requirement(body)
    except InvalidRequirement as exc:
        hint = ""
        if "=" in body and not any(op in body for op in ("==", ">=", "<=", "!=", "~=", "===")):
            hint = " (`=` is not a version operator; did you mean `==`?)"
        return None, ParseProblem(first, f"invalid requirement {mask_in_text(body)!r}: "
                                         f"{mask_in_text(_first_line(exc))}{hint}", _caret_column(exc))
    base.name = parsed.name
    base.extras = frozenset(parsed.extras)
    base.specifier = str(parsed.specifier)
    if parsed.marker is not None:
        base.marker = str(parsed.marker)
    if parsed.url:
        base.url = parsed.url
        if parsed.url.lower().startswith("file:"):
            base.kind = "path"
        else:
            base.kind = "vcs" if is_vcs_url(parsed.url) else "url"
    return base, None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0].strip() if str(exc) else type(exc).__name__


def _caret_column(exc: Exception) -> int:
    lines = str(exc).splitlines()
    if len(lines) >= 3 and "^" in lines[2]:
        # the message indents the echoed requirement and the caret line alike
        indent = len(lines[1]) - len(lines[1].lstrip())
        return max(lines[2].index("^") - indent, 0) + 1
    return 1


# --- following includes ---------------------------------------------------------


@dataclass(frozen=True)
class Reached:
    """A file met while following includes from a starting file."""

    file: RequirementFile
    constraint: bool  # read as a constraints file (through a -c somewhere on the way)
    depth: int


@dataclass(frozen=True)
class IncludeProblem:
    file: Path
    line: int
    message: str


class RequirementGraph:
    """Reads each requirement file once and walks `-r`/`-c` includes from a starting file."""

    def __init__(self, max_size: int | None = None, fs: FileSystem | None = None) -> None:
        self._files: dict[Path, RequirementFile] = {}
        self.max_size = max_size
        self.fs = fs or FileSystem()
        self.include_problems: dict[tuple[Path, int, str], IncludeProblem] = {}
        self._reported_cycles: set[frozenset[Path]] = set()

    def read(self, path: Path) -> RequirementFile:
        if path in self._files:
            return self._files[path]
        key = Path(os.path.normpath(path))
        if key not in self._files:
            self._files[key] = read_requirement_file(key, self.max_size, self.fs)
        return self._files[key]

    def add_text(self, path: Path, text: str) -> RequirementFile:
        """Register a file whose text is already at hand (a discovered file)."""
        key = Path(os.path.normpath(path))
        if key not in self._files:
            self._files[key] = parse_requirements_text(text, key)
        return self._files[key]

    def add(self, parsed: RequirementFile) -> None:
        self._files.setdefault(Path(os.path.normpath(parsed.path)), parsed)

    @property
    def files(self) -> dict[Path, RequirementFile]:
        return self._files

    def walk(self, start: Path) -> list[Reached]:
        """`start` and every file it includes, in reading order; each file once.

        Depth-first with an explicit stack (a chain of includes may be
        arbitrarily long); an include that would go deeper than
        MAX_INCLUDE_DEPTH is reported and not followed.
        """
        reached: list[Reached] = []
        visited: set[tuple[Path, bool]] = set()
        # the chain of files being read: (file, constraint, depth, its includes not yet followed)
        chain: list[tuple[Path, bool, int, Iterator[Include]]] = []
        on_chain: list[Path] = []  # the files of `chain`, and as a set
        on_chain_set: set[Path] = set()

        def enter(key: Path, constraint: bool, depth: int) -> None:  # key: normalized
            if (key, constraint) in visited:
                return
            visited.add((key, constraint))
            parsed = self.read(key)
            reached.append(Reached(parsed, constraint, depth))
            chain.append((key, constraint, depth, iter(parsed.includes)))
            on_chain.append(key)
            on_chain_set.add(key)

        enter(Path(os.path.normpath(start)), False, 0)
        while chain:
            key, constraint, depth, includes = chain[-1]
            include = next(includes, None)
            if include is None:
                chain.pop()
                on_chain_set.discard(on_chain.pop())
                continue
            if include.path is None:
                continue
            target = include.path  # normalized when read
            option = "-c" if include.constraint else "-r"
            if target in on_chain_set:
                self._cycle(key, include, on_chain[on_chain.index(target):])
                continue
            if not self.fs.is_file(target):
                if self.fs.is_dir(target):
                    what = "is a folder, not a file"
                else:  # a FIFO or a device is never read: it could block the scan
                    what = "is not a regular file" if self.fs.exists(target) else "does not exist"
                self._problem(key, include.line, f"`{option} {include.target}`: the included file {what}")
                continue
            if depth + 1 > MAX_INCLUDE_DEPTH:
                self._problem(key, include.line, f"`{option} {include.target}` nests includes more than "
                                                 f"{MAX_INCLUDE_DEPTH} files deep, so bplint reads no further; "
                                                 f"flatten the chain of includes")
                continue
            enter(target, constraint or include.constraint, depth + 1)
        return reached

    def _cycle(self, including: Path, include: Include, loop: list[Path]) -> None:
        members = frozenset(loop)
        if members in self._reported_cycles:
            return
        self._reported_cycles.add(members)
        names = " -> ".join(p.name for p in [*loop, loop[0]])
        self._problem(including, include.line,
                      f"`{'-c' if include.constraint else '-r'} {include.target}` closes an include cycle ({names})")

    def _problem(self, path: Path, line: int, message: str) -> None:
        key = (path, line, message)
        self.include_problems.setdefault(key, IncludeProblem(path, line, message))
