"""The scan: discovery -> project index -> per-file rule pass -> project rules -> filters.

``check_file`` is a pure function of (file, configuration, project index):
it reads nothing else and keeps no state between calls, so its results can be
cached and computed in parallel.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections import Counter
import threading
import time
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import libcst as cst

from bplint.config import Config
from bplint.discover.discovery import report_path
from bplint.discover.files import DecodeError, FileKind, SourceFile, classify, split_lines
from bplint.discover.pyversion import PythonTarget
from bplint.discover.workset import Workset, gather
from bplint.project.bindings import Bindings
from bplint.project.index import (MAX_NODES, ModuleFacts, ProjectIndex, SyntaxKind, SyntaxProblem, module_name,
                                  parse_module_facts, unimportable_folders)
from bplint.project.regions import role_at
from bplint.project.roles import Role, assign_roles
from bplint.report.findings import (VISIBLE_SECRET_CHARS, Finding, ScanError, ScanResult, Span, mask_secret,
                                    secret_spans, secret_value)
from bplint.report.suppressions import apply_suppressions
from bplint.rule import ProjectRule, PythonRule, Rule, TextRule
from bplint.scan.cache import ScanCache, role_inputs
from bplint.scan.collector import fewer_collections
from bplint.scan.context import WORK, FileContext, ProjectContext, make_finding
from bplint.scan.traversal import Dispatcher, FileTimeout
from bplint.scan.workers import Progress, index_files, run_file_pass

T = TypeVar("T")

# Tests switch this off to check that ast triggers never lose a finding.
USE_AST_TRIGGERS = True


@dataclasses.dataclass
class FileResult:
    findings: list[Finding] = dataclasses.field(default_factory=list)
    errors: list[ScanError] = dataclasses.field(default_factory=list)
    # False when the rules could not look at the file at all (it does not parse,
    # cannot be read, is too large to analyse): not counted as scanned
    checked: bool = True


def scan(paths: Sequence[Path], config: Config, cwd: Path | None = None, *, jobs: int = 1,
         cache: ScanCache | None = None, progress: Progress | None = None,
         workset: Workset | None = None) -> ScanResult:
    """Scan ``paths``: ``jobs`` worker processes for the per-file pass (1: in this process),
    an optional cache, an optional ``progress(done, total, phase)`` callback, and the
    files already gathered for these paths, if the caller has them."""
    cwd = (cwd or Path.cwd()).resolve()
    with fewer_collections():
        if workset is None:
            workset = gather(paths, config.root, config.exclude, config.max_file_size, cwd, cache is not None)
        return _scan(workset, config, cwd, jobs, cache, progress)


def _scan(workset: Workset, config: Config, cwd: Path, jobs: int, cache: ScanCache | None,
          progress: Progress | None) -> ScanResult:
    result = ScanResult()
    found, project_files, subset, hashes = workset.found, workset.project_files, workset.subset, workset.hashes
    result.errors.extend(found.errors)
    work: Counter = Counter()
    index = build_index(workset, config, cwd, cache, jobs, progress, work)
    checked = [f for f in found.files if f.relpath in index.files.raw()]
    report_paths = {f.relpath for f in found.files}
    result.errors.extend(e for path, e in workset.skipped.items() if path in report_paths)
    outcomes = run_file_pass(checked, config, index, jobs, cache, progress, hashes, work)
    result.work = dict(sorted(work.items()))
    for file in checked:
        outcome = outcomes[file.relpath]
        result.findings.extend(outcome.findings)
        result.errors.extend(outcome.errors)
    result.files_scanned = sum(1 for file in checked if outcomes[file.relpath].checked)
    project_findings, reads = run_project_rules(index, config, project_files, result.errors)
    if cache is not None:
        cache.note_project_reads(index, reads)
    result.findings.extend(f for f in project_findings if not subset or f.path in report_paths)
    _conclude(result, checked, project_files, config, index)
    if cache is not None:
        cache.save()
    return result


def run_project_rules(index: ProjectIndex, config: Config, project_files: Sequence[SourceFile],
                      errors: list[ScanError]) -> tuple[list[Finding], set[tuple[str, str]]]:
    """The findings of the project rules, in the regions their rules check, and the facts they read."""
    project = ProjectContext(index=index, config=config,
                             files=[f for f in project_files if f.relpath in index.files.raw()])
    with index.reading() as reads:
        for rule in config.rules:
            if issubclass(rule, ProjectRule) and rule.code in config.all_runs:
                try:
                    rule(project).check()
                except Exception as exc:
                    errors.append(_crash(rule.code, index.root_relpath(""), exc))
    by_code = {rule.code: rule for rule in config.rules}
    return in_checked_regions(project.findings, index, by_code, project_rules=True), set(reads)


def _conclude(result: ScanResult, checked: Sequence[SourceFile], project_files: Sequence[SourceFile],
              config: Config, index: ProjectIndex) -> None:
    """Masking, suppressions, the configured filters and the order of a scan's findings and errors."""
    texts = {f.relpath: f for f in checked}
    # where the detected secrets are, taken before suppressions and filters: a secret whose
    # own finding is suppressed or not reported is still masked wherever another shows its line
    result.secrets = secret_spans(result.findings)
    result.findings = redact_messages(result.findings, result.secrets, texts)
    result.findings = apply_suppressions(result.findings, texts, config)
    rootpaths = {f.relpath: f.rootpath for f in project_files}
    result.findings = finalize(result.findings, config, rootpaths, index)
    result.errors.sort(key=lambda e: (e.path, e.rule or "", e.message))


# --- one text, as if it were a file of the project -----------------------------------


@dataclasses.dataclass
class TextCheck:
    """What ``check_text`` found, and what it changed in the index."""

    result: ScanResult
    # the index facts the file's rules read (bplint.project.index.ProjectIndex.reading)
    reads: set[tuple[str, str]]
    # the files whose index facts, role or regions the text changed (this one, when its facts did;
    # others, when it changed their role): the findings of files that read them may have changed too
    changed: frozenset[str]
    # the project-wide views built by ``ProjectIndex.derived`` that the file's rules used
    derived: frozenset[str] = frozenset()


def check_text(file: SourceFile, text: str, config: Config, index: ProjectIndex,
               project_files: list[SourceFile], memo: dict | None = None) -> TextCheck:
    """Check ``text`` as the content of ``file`` (which need not exist on disk), against ``index``.

    The file's facts in the index are replaced by the text's, the roles of the project's files
    are decided again, and the result is what a scan of the project would report for this file
    alone: its rules', the project rules' findings in it, suppressions and the configuration
    applied. ``index`` and ``project_files`` keep the text's version of the file: an editor's
    unsaved buffer, or a file piped on standard input.

    ``memo``, kept by the caller between calls on the same index, spares the work that only the
    index's facts decide while a text leaves them as they were (typing in a comment, in a line's
    last word): the roles, and the project rules' findings. The caller runs this on a deep stack
    (``run_with_deep_stack``).
    """
    file = dataclasses.replace(file, _text=text, _raw=text.encode("utf-8", "surrogateescape"))
    relpath = file.relpath
    at = next((i for i, f in enumerate(project_files) if f.relpath == relpath), None)
    if at is None:
        project_files.append(file)
        project_files.sort(key=lambda f: f.relpath)
    else:
        project_files[at] = file
    changed: set[str] = set() if index.files.raw().get(relpath) is file.kind else {relpath}
    index.files[relpath] = file.kind
    if file.kind is FileKind.PYTHON:
        _, facts = parse_module_facts(file, text, ast_triggers(config), config.target, config.file_timeout)
        old = index.modules.raw().get(relpath)
        try:
            same = old is not None and old == facts
        except Exception:  # facts a rule pack made uncomparable: treat as changed
            same = False
        if not same:
            index.replace_module(relpath, facts)
            changed.add(relpath)
    if file.kind is not FileKind.PYTHON or file.rootpath.rsplit("/", 1)[-1] == "setup.py":
        changed.add(relpath)  # the project rules read its text itself
    memo = {} if memo is None else memo
    if changed or "project" not in memo:
        roles, regions = dict(index.roles.raw()), dict(index.regions.raw())
        index.forget_views()  # views read the project files' texts too, not only the module facts
        assign_roles(index, [f for f in project_files if f.relpath in index.files.raw()], config)
        for before, after in ((roles, index.roles.raw()), (regions, index.regions.raw())):
            changed.update(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
        project_errors: list[ScanError] = []
        memo["project"] = (run_project_rules(index, config, project_files, project_errors)[0], project_errors)
    project_findings, project_errors = memo["project"]
    result = ScanResult()
    with index.reading() as reads, index.using_derived() as derived:
        outcome = check_file(file, config, index)
    result.findings.extend(outcome.findings)
    result.errors.extend(outcome.errors)
    result.files_scanned = 1 if outcome.checked else 0
    result.errors.extend(project_errors)
    result.findings.extend(f for f in project_findings if f.path == relpath)
    result.errors = [e for e in result.errors if e.path == relpath or e.internal]
    _conclude(result, [file], project_files, config, index)
    return TextCheck(result, set(reads), frozenset(changed), frozenset(derived))


@dataclasses.dataclass
class LiveProject:
    """A project's index kept in memory, whose files' texts can be replaced one at a time
    (``check``): an editor's unsaved buffers, a file piped on standard input."""

    config: Config
    index: ProjectIndex
    files: list[SourceFile]  # the project files the index holds
    cwd: Path
    # what check_text may reuse while the index's facts stay as they are
    memo: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, settings, rules, cwd: Path, cache_for: Callable[[Config], ScanCache | None] | None = None,
             jobs: int = 1) -> "LiveProject":
        """The project at ``settings.root``, its index built from disk (with the facts of the cache
        ``cache_for`` gives for the configuration, if any). Each folder with its own configuration
        gives its files their settings, as in a scan."""
        cwd = cwd.resolve()
        general = settings.general()
        with fewer_collections():
            workset = gather([settings.root], settings.root, general.exclude, general.max_file_size, cwd,
                             cache_for is not None)
            settings.find_nested(workset.project_files)
            config = settings.config(rules)
            cache = cache_for(config) if cache_for is not None else None
            index = build_index(workset, config, cwd, cache, jobs)
        if cache is not None:
            cache.save()
        files = [f for f in workset.project_files if f.relpath in index.files.raw()]
        return cls(config, index, files, cwd)

    def source_file(self, path: Path) -> SourceFile:
        """The project's file at ``path`` (which need not exist), as discovery names it."""
        absolute = path if path.is_absolute() else self.cwd / path
        absolute = Path(os.path.normpath(absolute))
        relpath = report_path(absolute, self.cwd)
        known = next((f for f in self.files if f.relpath == relpath), None)
        if known is not None:
            return known
        try:
            rootpath = absolute.relative_to(self.config.root).as_posix()
        except ValueError:
            rootpath = absolute.name
        return SourceFile(path=absolute, relpath=relpath, kind=classify(rootpath), rootpath=rootpath)

    def check(self, path: Path, text: str) -> TextCheck:
        """``check_text`` for the file at ``path``: ``text`` is its content from now on."""
        return check_text(self.source_file(path), text, self.config, self.index, self.files, self.memo)


def redact_messages(findings: list[Finding], secrets: dict[str, list[Span]],
                    files: dict[str, SourceFile]) -> list[Finding]:
    """Findings whose message or fix would quote a detected secret, with it masked.

    Rules already show at most a secret's first four characters; this keeps that true
    of every rule, a rule pack's too.
    """
    values: set[str] = set()
    for path, spans in secrets.items():
        file = files.get(path)
        if file is None:
            continue
        try:
            lines = split_lines(file.text(keep=False))
        except (DecodeError, OSError):
            continue
        for span in spans:
            if span.line == span.end_line and 0 < span.line <= len(lines):
                value = secret_value(lines[span.line - 1][span.column - 1:span.end_column - 1])
                if len(value) > VISIBLE_SECRET_CHARS * 2:
                    values.add(value)
    if not values:
        return findings
    longest_first = sorted(values, key=len, reverse=True)

    def masked(text: str) -> str:
        for value in longest_first:
            if value in text:
                text = text.replace(value, mask_secret(value))
        return text

    redacted = []
    for finding in findings:
        message = masked(finding.message)
        fix = finding.fix
        if fix is not None:
            # an edit can only be applied as it is: one that would quote a secret is no fix at all
            quoting = any(masked(edit.content) != edit.content for edit in fix.edits)
            fix = None if quoting else dataclasses.replace(fix, message=masked(fix.message))
        if message != finding.message or fix != finding.fix:
            finding = dataclasses.replace(finding, message=message, fix=fix)
        redacted.append(finding)
    return redacted


def finalize(findings: list[Finding], config: Config, rootpaths: dict[str, str], index: ProjectIndex) -> list[Finding]:
    """Drop disabled and per-file-ignored codes, apply severity overrides (each finding by its file's
    configuration), sort."""
    kept: dict[tuple, Finding] = {}
    prefix = index.root_prefix
    project = config
    for finding in findings:
        rootpath = rootpaths.get(finding.path)
        if rootpath is None:
            rootpath = finding.path[len(prefix):] if prefix and finding.path.startswith(prefix) else finding.path
        config = project.for_path(rootpath)
        if finding.code not in config.enabled:
            continue
        if finding.code in config.ignored_codes(rootpath):
            continue
        severity = config.severity_of(finding.code, finding.severity)
        if severity is not finding.severity:
            finding = dataclasses.replace(finding, severity=severity)
        kept.setdefault((finding.sort_key(), finding.end_line, finding.end_column), finding)
    return [kept[key] for key in sorted(kept)]


# --- phase 1: the project index ------------------------------------------------


def build_index(workset: Workset, config: Config, cwd: Path, cache: ScanCache | None = None,
                jobs: int = 1, progress: Progress | None = None, work: Counter | None = None) -> ProjectIndex:
    root_rel = report_path(config.root, cwd)
    index = ProjectIndex(root=config.root, root_prefix="" if root_rel == "." else root_rel.rstrip("/") + "/")
    triggers = ast_triggers(config)
    to_parse: list[SourceFile] = []
    hashes = workset.hashes
    for file in workset.project_files:
        if file.relpath in workset.skipped:
            continue
        index.files[file.relpath] = file.kind
        if file.kind is FileKind.PYTHON:
            content = hashes.get(file.relpath)
            facts = cache.facts(file.relpath, file.rootpath, content, _rebuild(file, triggers, config)) \
                if cache is not None and content else None
            if facts is None:
                to_parse.append(file)
            index.modules[file.relpath] = facts
    parsed = index_files(to_parse, triggers, jobs, config.target, config.file_timeout, progress)
    if work is not None:
        work["indexed"] += len(to_parse)
        work["facts_from_cache"] += sum(1 for f in workset.project_files if f.kind is FileKind.PYTHON
                                        and f.relpath in index.files.raw()) - len(to_parse)
    for file in to_parse:
        facts = parsed[file.relpath]
        index.modules[file.relpath] = facts
        content = hashes.get(file.relpath)
        if cache is not None and content:
            cache.store_facts(file.relpath, file.rootpath, content, facts)
    role_files = [f for f in workset.project_files if f.relpath in index.files.raw()]
    inputs = role_inputs(role_files, hashes, cache.versions) if cache is not None and hashes else None
    remembered = cache.remembered_roles(inputs) if cache is not None and inputs else None
    if work is not None:
        work["roles_from_cache"] += remembered is not None
    if remembered is not None:
        for table, decided in zip((index.roles, index.regions), remembered):
            for relpath, value in decided.items():
                table[relpath] = value
    else:
        assign_roles(index, role_files, config)
        if cache is not None and inputs:
            cache.remember_roles(inputs, dict(index.roles.raw()), dict(index.regions.raw()))
    index.dotenv_ignored_by_git()  # git runs here, once, before any worker starts
    return index


def _rebuild(file: SourceFile, triggers: dict, config: Config) -> Callable[[], ModuleFacts | None]:
    """What makes a module's facts again from its file, for a cached family that does not read back."""
    return lambda: index_files([file], triggers, 1, config.target, config.file_timeout).get(file.relpath)


def ast_triggers(config: Config) -> dict[type, list[tuple[str, Callable]]]:
    """The ast triggers of the rules the scan runs (in any file), by node type."""
    triggers: dict[type, list[tuple[str, Callable]]] = {}
    runs = config.all_runs
    for rule in config.rules:
        if issubclass(rule, PythonRule) and rule.code in runs:
            for node_type in rule.ast_trigger_types:
                triggers.setdefault(node_type, []).append((rule.code, rule.ast_trigger))
    return triggers


def index_python(file: SourceFile, triggers: dict | None = None, target: PythonTarget | None = None,
                 timeout: float = 30.0) -> ModuleFacts:
    try:
        text = file.text()
    except DecodeError as exc:
        facts = ModuleFacts(relpath=file.relpath, module=module_name(file.rootpath or file.relpath))
        facts.syntax_error = SyntaxProblem(exc.message, exc.line, exc.column)
        return facts
    except OSError as exc:
        facts = ModuleFacts(relpath=file.relpath, module="")
        facts.syntax_error = SyntaxProblem(f"cannot read: {exc.strerror}", 1, 1)
        return facts
    _, facts = parse_module_facts(file, text, triggers, target, timeout)
    return facts


# --- phase 2: one file ----------------------------------------------------------


def in_checked_regions(findings: list[Finding], index: ProjectIndex, rules: dict[str, type[Rule]],
                       project_rules: bool = False) -> list[Finding]:
    """The findings whose line has a role their rule checks: the role of the innermost region
    around the line (bplint.project.regions), the file's role outside regions. Project rules decide
    about files themselves: only regions are applied to their findings."""
    kept = []
    for finding in findings:
        regions = index.regions_of(finding.path) if not finding.project_level else ()
        rule = rules.get(finding.code)
        if rule is not None and (regions or not project_rules):
            role = role_at(regions, finding.line, index.role_of(finding.path))
            if role not in rule.roles:
                continue
        kept.append(finding)
    return kept


def check_file(file: SourceFile, config: Config, index: ProjectIndex) -> FileResult:
    """All enabled rules over one file. Pure: depends on its arguments only."""
    config = config.for_path(file.rootpath)  # the settings of the file's folder
    outcome = FileResult()
    role = index.role_of(file.relpath)
    # the roles of the file's lines: its own and those of its regions (each finding gets its line's)
    roles = {role, *(region.role for region in index.regions_of(file.relpath))}
    is_test = index.is_test_file(file.relpath)
    ignored = config.ignored_codes(file.rootpath)
    runs = config.runs

    def wanted(rule: type[Rule]) -> bool:
        # a secret detector runs wherever its role allows, for masking; `finalize` drops what is not reported
        return (rule.code in runs and (rule.code not in ignored or rule.detects_secrets)
                and not roles.isdisjoint(rule.roles))

    if file.kind is FileKind.PYTHON:
        facts = index.modules.get(file.relpath)
        if facts is None:
            return outcome
        problem = facts.syntax_error
        if problem is not None:
            if problem.kind is SyntaxKind.UNSUPPORTED:
                outcome.errors.append(ScanError(file.relpath, f"not checked: {problem.message}"))
            elif _template_tag_at(file, problem.line):
                # a Jinja or Django template named `.py` (the code a generator renders): not Python
                outcome.errors.append(ScanError(file.relpath, "not checked: a template (its syntax error is a "
                                                              f"template tag, line {problem.line}), not Python"))
            elif config.target.python2_only:
                # the project says it is Python 2 code (`print "x"`, `0755`): bplint reads Python 3
                outcome.errors.append(ScanError(file.relpath, "not checked: Python 2 code (the project declares "
                                                              f"Python 2 only, in {config.target.python2_only}; "
                                                              f"its syntax error is at line {problem.line})"))
            elif role == Role.TEST and unimportable_folders(file.rootpath.split("/")):
                # test data: a file the tests read (a broken module for a loader to refuse), in a
                # folder no import can name
                outcome.errors.append(ScanError(file.relpath, "not checked: test data that is not valid Python"))
            else:
                outcome.findings.append(syntax_error_finding(file.relpath, problem, config.target))
                # whatever the selection (BP001 may be off): say that no rule looked at this file
                outcome.errors.append(ScanError(file.relpath, f"not checked: the file cannot be parsed "
                                                              f"({problem.message.rstrip(' .')} at line {problem.line})"))
            outcome.checked = False
            return outcome
        ctx = FileContext(file, config, index, facts, is_test, role)
        rules = [r for r in config.rules if issubclass(r, PythonRule) and wanted(r)
                 and (not USE_AST_TRIGGERS or not r.ast_trigger_types or r.code in facts.triggered)]
        active = []
        for rule in rules:
            try:
                if rule.applies_to(ctx):
                    active.append(rule)
            except Exception as exc:
                outcome.errors.append(_crash(rule.code, file.relpath, exc))
        if active:
            _run_python_rules(ctx, active, config, outcome)
        outcome.findings.extend(_in_roles(ctx.findings, index, rules, len(roles) > 1))
        return outcome

    rules = [r for r in config.rules if issubclass(r, TextRule) and file.kind in r.kinds and wanted(r)]
    if not rules:
        return outcome
    ctx = FileContext(file, config, index, None, is_test, role)
    try:
        text = file.text()
    except DecodeError as exc:
        outcome.errors.append(ScanError(file.relpath, f"skipped: {exc.message} at line {exc.line}"))
        outcome.checked = False
        return outcome
    except OSError as exc:
        outcome.errors.append(ScanError(file.relpath, f"skipped: cannot read ({exc.strerror})"))
        outcome.checked = False
        return outcome
    problem = file.decode_problem() if "\ufffd" in text else None
    if problem is not None:  # the rest of the file is still checked: a secret may sit next to a bad byte
        outcome.errors.append(ScanError(file.relpath, f"line {problem.line} is not valid UTF-8: checked with the "
                                                      f"undecodable bytes replaced (save the file as UTF-8)"))
    for rule in rules:
        try:
            rule(ctx).check()
        except Exception as exc:
            outcome.errors.append(_crash(rule.code, file.relpath, exc))
    outcome.findings.extend(_in_roles(ctx.findings, index, rules, len(roles) > 1))
    return outcome


def _in_roles(findings: list[Finding], index: ProjectIndex, rules: Sequence[type[Rule]],
              has_regions: bool) -> list[Finding]:
    return in_checked_regions(findings, index, {r.code: r for r in rules}) if has_regions else findings


def _run_python_rules(ctx: FileContext, rules: list[type[PythonRule]], config: Config, outcome: FileResult) -> None:
    file = ctx.file
    if ctx.facts is not None and ctx.facts.node_count > MAX_NODES:
        outcome.errors.append(ScanError(file.relpath, f"skipped: {ctx.facts.node_count} syntax nodes is more "
                                                      f"than bplint analyses in one file ({MAX_NODES})"))
        outcome.checked = False
        return
    try:
        ctx.module = cst.parse_module(ctx.text)
        WORK["libcst_parsed"] += 1
    except cst.ParserSyntaxError as exc:
        # CPython accepted the file, so this is a gap in libcst's grammar.
        outcome.errors.append(ScanError(file.relpath, f"not checked: the syntax tree parser cannot read it "
                                                      f"({exc.message.splitlines()[0]} at line {exc.raw_line})"))
        outcome.checked = False
        return
    except RecursionError:
        outcome.errors.append(ScanError(file.relpath, "not checked: nested too deeply to analyse"))
        outcome.checked = False
        return

    def on_crash(rule: PythonRule, exc: BaseException) -> None:
        outcome.errors.append(_crash(rule.code, file.relpath, exc))

    if any(rule.uses_bindings for rule in rules):
        ctx.bindings = Bindings()
    instances = [rule(ctx) for rule in rules]
    deadline = time.monotonic() + config.file_timeout
    try:
        Dispatcher(instances, deadline, on_crash, ctx.bindings).walk(ctx.module)
    except FileTimeout:
        outcome.errors.append(ScanError(file.relpath, f"incomplete: gave up after {config.file_timeout:g} s "
                                                      f"(file-timeout); findings so far are reported"))
    except RecursionError:
        outcome.errors.append(ScanError(file.relpath, "incomplete: nested too deeply to analyse"))
    try:
        ctx.resolve_pending()
    except RecursionError:
        outcome.errors.append(ScanError(file.relpath, "incomplete: nested too deeply to place findings"))


def _template_tag_at(file: SourceFile, line: int) -> bool:
    """The line of a syntax error holds a template tag (`{% block imports %}`, `{# note #}`, `{{ name }}`)."""
    try:
        lines = file.text(keep=False).splitlines()
    except (OSError, DecodeError, ValueError):
        return False
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return TEMPLATE_TAG.search(text) is not None


# `{% block imports %}`, `{# note #}`, and a placeholder a generator fills in (`{{cookiecutter.name|upper}}`,
# `{{ app_name }}`): where the parser stops, the file is a template, not Python (`{{x}}` in Python is a set)
TEMPLATE_TAG = re.compile(r"\{%-?\s*\w+.*%\}|\{#.*#\}|\{\{-?\s*[A-Za-z_][\w.]*\s*(?:\|[^{}]*)?-?\}\}")


def syntax_error_finding(path: str, problem: SyntaxProblem, target: PythonTarget | None = None) -> Finding:
    from bplint.rules.bp0_engine import SyntaxErrorRule

    span = Span(problem.line, problem.column, problem.line, problem.column + 1)
    detail = problem.message.rstrip(" .")
    end = "" if detail.endswith(("?", "!")) else "."
    if target is not None and target.declared and problem.kind is SyntaxKind.SYNTAX:
        # what is a syntax error depends on the Python version: name the project's. Not when it
        # is only the running one's: the same file then gets the same message on every Python.
        detail, end = f"{detail} (parsed as {target.label}, from {target.origin})", "."
    return make_finding(SyntaxErrorRule, path, span, f"Fix this so the file can be parsed and checked: {detail}{end}")


def _crash(code: str, path: str, exc: BaseException) -> ScanError:
    return ScanError(path, f"internal error in rule {code}: {type(exc).__name__}: {exc} "
                           f"(the other rules went on; please report this)", rule=code, internal=True)


# --- deep inputs ------------------------------------------------------------------

# libcst's visitors recurse a few frames per level of nesting; CPython's parser
# caps nesting (200 parentheses), so a large stack and recursion limit let
# every file CPython accepts be visited.
_STACK_SIZE = 512 * 1024 * 1024
_RECURSION_LIMIT = 60_000


def run_with_deep_stack(func: Callable[[], T]) -> T:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    old_size = threading.stack_size()
    old_limit = sys.getrecursionlimit()
    try:
        threading.stack_size(_STACK_SIZE)
        sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
        worker = threading.Thread(target=target, name="bplint-scan")
        worker.start()
    except (RuntimeError, MemoryError):  # no thread to be had (a process limit): here, on the usual stack
        sys.setrecursionlimit(old_limit)
        return func()
    finally:
        threading.stack_size(old_size)
    worker.join()
    sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
