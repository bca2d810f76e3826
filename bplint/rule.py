"""What a rule is.

A rule is a class that carries everything about itself: its code, name,
severity and docs, the examples it must flag and those it must leave quiet,
and the code that checks. Three kinds exist, by what they read:

* ``PythonRule``: visits the libcst tree of a Python module. All Python rules
  of a file share one traversal; a rule says which nodes it wants by defining
  ``visit_<Node>`` / ``leave_<Node>`` methods, as with a libcst visitor.
* ``TextRule``: reads a non-Python file (requirements, dotenv, config) as text.
* ``ProjectRule``: runs once, after the per-file pass, over the project index.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator, Sequence

import libcst as cst

from bplint.discover.files import FileKind
from bplint.project.roles import ALL_ROLES, Role
from bplint.report.findings import Applicability, Fix, Severity, Span

if TYPE_CHECKING:
    from bplint.report.fixes import NodeFix
    from bplint.scan.context import FileContext, ProjectContext


@dataclass(frozen=True)
class Option:
    """A per-rule setting under ``[tool.bplint.rules.<CODE>]``."""

    default: Any
    help: str

    def check(self, value: Any) -> str | None:
        """An error text when ``value`` has the wrong type, else None."""
        expected = type(self.default)
        if isinstance(self.default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return "a list of strings"
            return None
        if expected is bool and not isinstance(value, bool):
            return "true or false"
        if expected in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return "a number"
        if expected is str and not isinstance(value, str):
            return "a string"
        return None


@dataclass(frozen=True)
class Example:
    """A small project the rule must flag (``Flag``) or leave quiet (``Quiet``).

    ``code`` is the content of ``path``; ``files`` adds other files of the
    project (a ``.gitignore``, a settings module, a ``.env.example``).
    ``line`` (Flag only) is the line the first finding must point to.
    ``options`` sets rule options, ``config`` other ``[tool.bplint]`` keys.
    ``fixed`` (Flag only) is the content of ``path`` once every fix of the rule (safe and
    unsafe) is applied, as `check --fix --unsafe-fixes` would write it.
    """

    code: str
    path: str = "app.py"
    files: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    count: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    fixed: str | None = None

    flagged: ClassVar[bool]

    def project_files(self) -> dict[str, str]:
        return {**self.files, self.path: textwrap.dedent(self.code).lstrip("\n")}

    def fixed_text(self) -> str | None:
        return None if self.fixed is None else textwrap.dedent(self.fixed).lstrip("\n")


class Flag(Example):
    flagged = True


class Quiet(Example):
    flagged = False


@dataclass(frozen=True)
class Precision:
    """A rule's precision measured on real applications: of ``judged`` findings that a reviewer
    who did not write the rule judged true or false (debatable ones left aside), ``true`` were
    true. ``reviewed`` is the date of the review (``benchmarks/real_labels.jsonl`` holds the verdicts)."""

    true: int
    judged: int
    reviewed: str
    # findings a reasonable maintainer could take either way, left out of ``judged``
    debatable: int = 0
    # (true, judged) on applications no rule work had looked at when they were judged, before the
    # causes of their false findings were fixed: what a new user's code gets. ``true``/``judged``
    # count only what the rule still reports, after those fixes.
    unseen: tuple[int, int] | None = None

    @property
    def value(self) -> float:
        """true / judged; 0 when every finding was debatable (none shown to be wanted)."""
        return self.true / self.judged if self.judged else 0.0

    @property
    def tier_value(self) -> float:
        """What decides the tier: the lower of the figure on what the rule still reports and the
        one on unseen applications."""
        if self.unseen is None or not self.unseen[1]:
            return self.value
        return min(self.value, self.unseen[0] / self.unseen[1])

    def describe(self) -> str:
        if not self.judged and not self.debatable:
            # the findings once judged are gone and the rule reported nothing new to judge: it stays
            # where it was until real code gives it a figure
            return f"not measured (no finding left to judge on the real applications, reviewed {self.reviewed})"
        aside = f"; {self.debatable} debatable left aside" if self.debatable else ""
        unseen = ""
        if self.unseen is not None and self.unseen[1]:
            t, j = self.unseen
            unseen = f"; {t / j:.0%} ({t} of {j}) on applications first reviewed then, before their false shapes were fixed"
        return (f"{self.value:.0%} ({self.true} of {self.judged} judged findings{aside}{unseen}, "
                f"reviewed {self.reviewed})")


# Below this measured precision a rule belongs in the preview tier.
PREVIEW_BELOW = 0.9


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line
    # The docs, in the order a rule page shows them.
    what: ClassVar[str]
    why: ClassVar[str]
    how_to_fix: ClassVar[str]
    bad: ClassVar[str]
    good: ClassVar[str]
    cwe: ClassVar[tuple[int, ...]] = ()
    # the language of `bad` / `good` in the docs (python, text, toml, dotenv...)
    docs_language: ClassVar[str] = "python"
    # Off unless selected by its exact code or name.
    opt_in: ClassVar[bool] = False
    # The preview tier: a rule not yet precise enough on real applications is off
    # by default; `preview = true` / `--preview` turns it on, and so does selecting
    # it by its exact code or name.
    preview: ClassVar[bool] = False
    # Measured on real applications; None: not measured (no finding on the reviewed ones).
    precision: ClassVar[Precision | None] = None
    # A rule that finds secrets runs in every scan, whatever the selection, so that every
    # report masks what it found; its findings are reported only where it is enabled.
    detects_secrets: ClassVar[bool] = False
    # The roles of the files it checks (bplint.project.roles); the engine skips it in the others.
    roles: ClassVar[frozenset[Role]] = ALL_ROLES
    options: ClassVar[dict[str, Option]] = {}
    examples: ClassVar[Sequence[Example]] = ()
    # Whether some findings carry a fix, and how safe it is: "safe", "unsafe", or
    # "sometimes" (safe in some cases, unsafe in others: ``fix_note`` says which); None: no fix.
    fix_applicability: ClassVar[str | None] = None
    fix_note: ClassVar[str] = ""

    @classmethod
    def docs_problems(cls) -> list[str]:
        """What a rule class lacks to be documented and tested."""
        missing = [a for a in ("code", "name", "category", "severity", "summary", "what", "why",
                               "how_to_fix", "bad", "good") if not getattr(cls, a, None)]
        if not any(e.flagged for e in cls.examples):
            missing.append("a Flag example")
        if not any(not e.flagged for e in cls.examples):
            missing.append("a Quiet example")
        if cls.fix_applicability not in (None, "safe", "unsafe", "sometimes"):
            missing.append("fix_applicability: safe, unsafe, sometimes or None")
        elif cls.fix_applicability is not None and not any(e.flagged and e.fixed is not None for e in cls.examples):
            missing.append("a Flag example with its fixed output (it has a fix)")
        return missing


class PythonRule(Rule):
    """A rule over one Python module's libcst tree.

    One instance is made per file, so per-file state can live on ``self``.
    """

    # Set when the rule needs libcst metadata (e.g. ScopeProvider); it is
    # computed only in files where ``applies_to`` is true for such a rule.
    METADATA_DEPENDENCIES: ClassVar[tuple[type, ...]] = ()
    # True when the rule reads ``self.ctx.bindings`` (bplint.project.bindings): the
    # traversal then records local bindings as it goes, in this file only.
    uses_bindings: ClassVar[bool] = False

    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx

    # A cheap test over CPython's ast, run in the index phase on nodes of these
    # types. When a rule sets ast_trigger_types, its libcst visitor runs only in
    # files where ast_trigger returned True for some node, so most files are never
    # parsed with libcst at all. The trigger must hold for every node the rule
    # could report (a superset of the findings), never less.
    ast_trigger_types: ClassVar[tuple[type, ...]] = ()

    @staticmethod
    def ast_trigger(node: Any, facts: Any) -> bool:
        return True

    @classmethod
    def applies_to(cls, ctx: "FileContext") -> bool:
        """A cheap pre-check: False skips this rule's visitor in the file."""
        return True

    def option(self, key: str) -> Any:
        return self.ctx.option(self.code, key)

    def report(self, node: cst.CSTNode, message: str, *, fix: "NodeFix | None" = None,
               secret: bool = False, severity: Severity | None = None) -> None:
        """``severity`` overrides the rule's default for this finding (the catalog
        sometimes gives one case of a rule a lower severity)."""
        self.ctx.report_node(self, node, message, fix=fix, secret=secret, severity=severity)

    def get_metadata(self, key: type, node: cst.CSTNode, default: Any = None) -> Any:
        return self.ctx.get_metadata(key, node, default)

    # --- fixes (bplint.report.fixes): edits of the nodes the rule visits ----------------
    def fix(self, message: str, *edits: Any, safe: bool = True) -> "NodeFix":
        """A fix of ``edits`` (made with ``replace`` / ``insert_after``), applied together."""
        from bplint.report.fixes import NodeFix

        return NodeFix(Applicability.SAFE if safe else Applicability.UNSAFE, message, tuple(edits))

    def replace(self, node: cst.CSTNode, new: cst.CSTNode | str) -> Any:
        """An edit putting ``new`` (a node or source text) in place of ``node``."""
        from bplint.report.fixes import replace

        assert self.ctx.module is not None
        return replace(self.ctx.module, node, new)

    def insert_after(self, node: cst.CSTNode, text: str, until: cst.CSTNode | None = None) -> Any:
        """An edit inserting ``text`` after ``node`` (replacing what follows it up to the end of ``until``)."""
        from bplint.report.fixes import insert_after

        return insert_after(node, text, until)


class TextRule(Rule):
    """A rule over a non-Python file, read as text."""

    kinds: ClassVar[frozenset[FileKind]] = frozenset()

    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx

    def option(self, key: str) -> Any:
        return self.ctx.option(self.code, key)

    def check(self) -> None:
        raise NotImplementedError

    def report(self, span: Span, message: str, *, fix: Fix | None = None, secret: bool = False,
               severity: Severity | None = None) -> None:
        self.ctx.report_span(self, span, message, fix=fix, secret=secret, severity=severity)


class ProjectRule(Rule):
    """A rule over the whole project, run once after the per-file pass."""

    def __init__(self, project: "ProjectContext") -> None:
        self.project = project

    def option(self, key: str) -> Any:
        return self.project.option(self.code, key)

    def check(self) -> None:
        raise NotImplementedError

    def report(self, path: str, span: Span, message: str, *, fix: Fix | None = None,
               secret: bool = False, severity: Severity | None = None, project_level: bool = False) -> None:
        """``project_level``: the finding is about the project or the whole file (no tests, no
        lock file), not about the line it points at; its fingerprint then leaves the line out."""
        self.project.report(self, path, span, message, fix=fix, secret=secret, severity=severity,
                            project_level=project_level)


def iter_rule_classes(namespace: Iterable[Any]) -> Iterator[type[Rule]]:
    for obj in namespace:
        if (isinstance(obj, type) and issubclass(obj, Rule)
                and obj not in (Rule, PythonRule, TextRule, ProjectRule)
                and "code" in obj.__dict__):
            yield obj
