"""Rule pages, generated from the rule classes: the classes are the one source of truth.

`bplint rules --docs rules/` writes `rules/README.md` (the index) and one page
per rule (`rules/BP101.md`); a test fails when the committed pages are stale.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Sequence

from bplint.project.roles import Role
from bplint.rule import Option, ProjectRule, PythonRule, Rule, TextRule

CATEGORY_TITLES = {
    "engine": "BP0 - engine",
    "secrets": "BP1 - secrets and configuration",
    "configuration": "BP1 - secrets and configuration",
    "dependencies": "BP2 - dependencies",
    "authentication": "BP3 - authentication and cryptography",
    "database": "BP4 - database and performance",
    "routes": "BP5 - routes, API and error handling",
    "logging": "BP6 - logging",
    "structure": "BP7 - project structure and tests",
}


def _block(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _scope(rule: type[Rule]) -> str:
    if issubclass(rule, PythonRule):
        return "Python files"
    if issubclass(rule, TextRule):
        kinds = ", ".join(sorted(k.value for k in rule.kinds))
        return f"non-Python files ({kinds})"
    if issubclass(rule, ProjectRule):
        return "the whole project"
    return "the engine"


def _roles(rule: type[Rule]) -> str:
    """Which roles of files the rule checks, and where it is quiet (see the README's Roles)."""
    checked = [r for r in Role if r in rule.roles]
    quiet = [r for r in Role if r not in rule.roles]
    text = "Checks " + _join([r.description for r in checked]) + "."
    if quiet:
        text += " Quiet in " + _join([r.description for r in quiet]) + "."
    return text + (" Each file's role is decided once per scan, and so is that of the functions and classes whose "
                   "role is not their file's (a command's helpers in an application module, a testing "
                   "configuration class): see Roles in the README and `bplint check --show-files`.")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _option_default(option: Option) -> str:
    default = option.default
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, list):
        return "[" + ", ".join(f'"{v}"' for v in default) + "]"
    if isinstance(default, str):
        return f'"{default}"'
    return str(default)


FIX_SAFETY = {
    "safe": "a safe fix (it keeps behaviour), applied by `bplint check --fix`",
    "unsafe": "an unsafe fix (it may change behaviour), applied only by `bplint check --fix --unsafe-fixes`",
    "sometimes": "a fix, safe in some cases (applied by `bplint check --fix`) and unsafe in others (applied "
                 "only with `--unsafe-fixes`)",
}


def _automatic_fix(rule: type[Rule]) -> str:
    """Whether the rule's findings carry a fix, and how safe it is (see Fixing in the README)."""
    if rule.fix_applicability is None:
        return "**Automatic fix:** none; `bplint check --add-noqa` can mark accepted findings instead."
    text = f"**Automatic fix:** {FIX_SAFETY[rule.fix_applicability]}; `--fix-diff` shows it without writing."
    return f"{text} {_block(rule.fix_note)}" if rule.fix_note else text


def render_rule(rule: type[Rule]) -> str:
    facts = [f"**Severity:** {rule.severity.value}", f"**Category:** {rule.category}", f"**Checks:** {_scope(rule)}"]
    if rule.cwe:
        facts.append("**CWE:** " + ", ".join(f"CWE-{n}" for n in rule.cwe))
    if rule.opt_in:
        facts.append("**Opt-in:** enable it with `extend-select`")
    if rule.precision is not None:
        facts.append(f"**Precision on real code:** {rule.precision.describe()}")
    if rule.preview:
        facts.append("**Tier:** preview (off by default: turn it on with `preview = true`, `--preview` or by "
                     "selecting its code)")
    lang = rule.docs_language
    parts = [
        f"# {rule.code} {rule.name}",
        "",
        " · ".join(facts),
        "",
        f"{rule.summary}.",
        "",
        "## What it does",
        "",
        _block(rule.what),
        "",
        "## Where it looks",
        "",
        _roles(rule),
        "",
        "## Why is this bad?",
        "",
        _block(rule.why),
        "",
        "## Example",
        "",
        f"```{lang}",
        _block(rule.bad),
        "```",
        "",
        "Use instead:",
        "",
        f"```{lang}",
        _block(rule.good),
        "```",
        "",
        "## How to fix",
        "",
        _block(rule.how_to_fix),
        "",
        _automatic_fix(rule),
    ]
    if rule.options:
        parts += ["", "## Options", "", f"Set under `[tool.bplint.rules.{rule.code}]` in `pyproject.toml`:", ""]
        for key, option in sorted(rule.options.items()):
            parts.append(f"- `{key}` (default `{_option_default(option)}`): {option.help}")
    parts += ["", f"Silence one finding with `# bplint: ignore[{rule.code}]` on its line; disable the rule with "
                  f"`ignore = [\"{rule.code}\"]` under `[tool.bplint]`, or for some files with `per-file-ignores`.", ""]
    return "\n".join(parts)


def render_index(rules: Sequence[type[Rule]]) -> str:
    lines = ["# bplint rules", "",
             "Generated from the rule classes by `bplint rules --docs rules/`; do not edit by hand.", ""]
    current = None
    for rule in rules:
        family = rule.code[:3]
        if family != current:
            current = family
            title = CATEGORY_TITLES.get(rule.category, family)
            lines += ["", f"## {title}", "", "| code | name | severity | summary |", "|---|---|---|---|"]
        opt = " (opt-in)" if rule.opt_in else " (preview)" if rule.preview else ""
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | {rule.summary}{opt} |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def expected_pages(rules: Sequence[type[Rule]]) -> dict[str, str]:
    pages = {f"{rule.code}.md": render_rule(rule) for rule in rules}
    pages["README.md"] = render_index(rules)
    return pages


def write_docs(folder: Path, rules: Sequence[type[Rule]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pages = expected_pages(rules)
    for stale in folder.glob("BP*.md"):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, content in pages.items():
        path = folder / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
