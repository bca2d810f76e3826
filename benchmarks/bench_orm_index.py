"""What the ORM model index costs (not a test).

    python benchmarks/bench_orm_index.py                 # Django's sdist, downloaded to a temp folder
    python benchmarks/bench_orm_index.py PATH [PATH...]  # any folders

Times the project-index phase with and without the model collectors
(``bplint.project.orm_models``), the BP4 rules' ast-trigger analysis (``bplint.project.orm_triggers``,
CPU time, parse excluded), the building of the project-wide model view, and a
whole scan with every rule, and prints how many models and relationships
were found.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import ast

from bplint.config import build_config
from bplint.discover.discovery import discover
from bplint.discover.workset import Workset
from bplint.project import index, orm_models, orm_triggers
from bplint.scan import engine
from bplint.scan.registry import all_rules

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import count_lines, fetch_django  # noqa: E402

ORM_COLLECTORS = {orm_models._collect_class, orm_models._collect_self_read}


def index_time(files, config, root: Path, with_orm: bool, repeat: int = 3) -> float:
    saved = {kind: list(funcs) for kind, funcs in index.FACT_COLLECTORS.items()}
    if not with_orm:
        for kind, funcs in index.FACT_COLLECTORS.items():
            funcs[:] = [f for f in funcs if f not in ORM_COLLECTORS]
    try:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            engine.build_index(Workset.of(files), config, root)
            best = min(best, time.perf_counter() - started)
        return best
    finally:
        for kind, funcs in saved.items():
            index.FACT_COLLECTORS[kind][:] = funcs


def main(argv: list[str]) -> None:
    if argv:
        targets = [Path(a).resolve() for a in argv]
    else:
        targets = [fetch_django(Path("/tmp") / "bplint-bench") / "django"]
    root = targets[0] if targets[0].is_dir() else targets[0].parent
    py_files, py_lines = count_lines(targets)
    config = build_config({"select": ["ALL"]}, all_rules(), root=root)
    files = discover(targets, config.root, config.exclude, root).files

    without = index_time(files, config, root, with_orm=False)
    with_orm = index_time(files, config, root, with_orm=True)
    trees = []
    for file in files:
        if file.kind.name == "PYTHON":
            try:
                trees.append(ast.parse(file.text()))
            except (SyntaxError, ValueError, RecursionError, UnicodeDecodeError):
                pass
    started = time.process_time()
    analyses = [orm_triggers.Analysis(tree) for tree in trees]
    walk_time = time.process_time() - started
    started = time.process_time()
    triggered = {code: sum(a.result(code, test) for a in analyses) for code, test in (
        ("BP401", orm_triggers._n_plus_one), ("BP402", orm_triggers._query_in_loop),
        ("BP403", orm_triggers._unbounded_query), ("BP404", orm_triggers._sql_injection),
        ("BP407", orm_triggers._commit_in_loop))}
    test_time = time.process_time() - started
    project = engine.build_index(Workset.of(files), config, root)
    started = time.perf_counter()
    view = orm_models.OrmIndex(project)
    view_time = time.perf_counter() - started
    models = [m for m in view.models.values() if m.is_model]
    relations = sum(len(view.relations(m)) for m in models)

    started = time.perf_counter()
    result = engine.scan(targets, config, cwd=root)
    scan_time = time.perf_counter() - started

    print(f"target: {', '.join(str(t) for t in targets)}")
    print(f"python files: {py_files}, lines: {py_lines}")
    print(f"index phase without the model collectors: {without:.2f} s")
    print(f"index phase with the model collectors:    {with_orm:.2f} s "
          f"(+{with_orm - without:.2f} s, +{100 * (with_orm - without) / without:.1f}%)")
    print(f"BP4 ast-trigger analysis: walk {walk_time:.2f} s, tests {test_time:.2f} s (CPU); files with a "
          f"candidate: {triggered} (BP403 also needs route facts)")
    print(f"project model view: {view_time:.3f} s, {len(models)} models, {relations} relationships")
    print(f"whole scan, all rules: {scan_time:.2f} s; the model index is "
          f"{100 * (with_orm - without + view_time) / scan_time:.1f}% of it")
    print(f"findings: {len(result.findings)}, internal errors: {sum(e.internal for e in result.errors)}")


if __name__ == "__main__":
    main(sys.argv[1:])
