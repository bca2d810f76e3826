"""What the functions of test code check, gathered in the project-index phase (for BP702).

For every module whose dotted name mentions ``test`` (test modules, ``conftest``, a
``tests`` package, ``myapp/testing.py``, ``testutils``) the walk records, per top-level
function and method of a top-level class:

* whether its body checks something by itself: an ``assert``, a ``raise`` (outside nested
  functions, whose raises are usually mock side effects), a call named like an assertion
  (``assert*``, ``check*``, ``verify*``, ``expect*``, ``fail*``, ``raises*``;
  unittest's ``self.assertEqual``, mock's ``assert_called_once_with``, Django's
  ``assertContains``, hamcrest's ``assert_that``), a test-client request with an expected
  ``status=`` (WebTest and clients built like it assert it), a keyword that turns on a
  mock's own check (``assert_all_requests_are_fired=True``), request matchers of a
  ``responses``-style mock (``match=[...]``), pytest-httpx's ``add_response``;
* otherwise the callees as spelled (``helper``, ``self._check``, ``helpers.call_auth``,
  decorators of nested functions, functions handed to a call as ``callback=``): a rule
  resolves them through the module's imports and the project index, to helpers that assert;
* what the body ends with: a call of the code (a test fails when it raises), a test-client
  request (a refusal is a response, not an exception), a factory, a result bound and never read;
* the first comparison written as a bare statement (``result == 3`` without ``assert``),
  whether it returns a value or yields (then pytest does not collect it as a test);
* for the module, the ``test*`` names its functions call (``test_connection(engine)``): such
  a function is a helper, not a test.

Names are stored as spelled and resolved when a rule asks: this walk runs before the
module's imports are collected. Everything here is picklable and cached with the
module's other facts.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from bplint.project.index import BUILTIN_NAMES, ModuleFacts, ast_dotted, collects

KEY = "test_checks"

# The first word of a call's name that makes it an assertion: `assertEqual`, `assert_called_once`,
# `check_response`, `verify_schema`, `expect(page)`, `self.fail`, `raises_invalid`. (Another test
# called as a helper is resolved like any function: `app.test_client()` is no assertion.)
ASSERTING_WORDS = frozenset({"assert", "check", "verify", "expect", "fail", "raises"})
ASSERTING_NAMES = frozenset({"eq_", "ok_", "raise_for_status", "successResultOf", "failureResultOf",
                             "ExpectedException"})  # testtools' `with ExpectedException(ValueError):`
_FIRST_WORD = re.compile(r"_*([a-z]+|[A-Z][a-z]*)")
# Test-client requests (WebTest's TestApp, Django-style clients wrapped like it) that take the
# expected status: `app.get(url, status=200)`, `res.follow(status=302)`, `form.submit(status=400)`.
CLIENT_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "open",
                          "do_request", "get_json", "post_json", "put_json", "patch_json", "delete_json",
                          "follow", "submit", "click", "goto"})
STATUS_KEYWORDS = frozenset({"status", "expected_status", "expect_status", "status_expected"})
# A mock HTTP library's receiver (`responses`, `rsps`, `requests_mock`, `httpx_mock`, `m` is not one):
# its `get(..., status=404)` defines a canned response instead of checking one.
_MOCK_RECEIVER = re.compile(r"mock|respons|rsps|respx", re.IGNORECASE)
MATCHER_KEYWORDS = frozenset({"match", "additional_matcher"})
CLIENT_RECEIVER = re.compile(r"client|^app$|^api$|^browser$", re.IGNORECASE)
MAX_CALLS = 48  # callees kept per function: enough for helpers, bounded for the cache


@dataclass(frozen=True)
class FunctionChecks:
    asserts: bool
    calls: tuple[str, ...]  # spelled callees, empty when ``asserts``
    bare_compare: int  # line of the first comparison written as a statement, 0 when none
    returns_value: bool
    yields: bool
    # What the body ends with (inside a last with/for/if/try too): "call" of the code (the test
    # fails when it raises), "request" of a test client, "setup" (a factory, print, logging),
    # "assign:<name>" (a result bound and never read), or "" (nothing, `pass`, other statements).
    ending: str = ""
    # for "assign:": the callee as spelled, its receiver spelled as the call that made it when the test
    # bound it so (`subject = Plugin()` ... `out = subject.upload(...)` gives "Plugin().upload")
    ending_callee: str = ""


@dataclass
class TestModuleFacts:
    functions: dict[str, FunctionChecks] = field(default_factory=dict)  # "name" or "Class.name"
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # top-level class -> bases as spelled
    not_collected: set[str] = field(default_factory=set)  # classes with `__test__ = False`
    module_not_collected: bool = False  # `__test__ = False` at module level
    # `test*` and `Test*` names the module's code calls or hands over as values (`hooks.register("x",
    # test_hook)`, a parametrize list, `TestedClass()` in another test's setUp): helpers and subjects
    called: set[str] = field(default_factory=set)
    # (callee as spelled, name bound) of WebTest-like clients the module builds: `self.app = TestApp(wsgi)`
    # gives ("TestApp", "app"); resolved through the imports by the rule (see BP702's webtest view)
    clients: set[tuple[str, str]] = field(default_factory=set)
    # attribute -> the classes (last part as spelled) the module's tests make and keep on the test case
    # (`self.api = share.API()` gives "api" -> {"API"}): what a call through `self.api` reaches
    kept: dict[str, set[str]] = field(default_factory=dict)


def asserting_name(spelled: str) -> bool:
    """Whether a call spelled so is an assertion by its name (the last part of a dotted name)."""
    last = spelled.rsplit(".", 1)[-1]
    if last in ASSERTING_NAMES:
        return True
    match = _FIRST_WORD.match(last)
    return match is not None and match.group(1).lower() in ASSERTING_WORDS


@collects(ast.Module)
def _collect_test_checks(node: ast.Module, facts: ModuleFacts, lines) -> None:
    if "test" not in facts.module.lower():
        return
    found = TestModuleFacts()
    _walk_block(node.body, None, found)
    if found.functions or found.classes or found.module_not_collected:
        facts.extra[KEY] = found


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCKS = tuple(t for t in (ast.If, ast.Try, ast.With, ast.AsyncWith, getattr(ast, "TryStar", None)) if t is not None)


def _walk_block(body: list[ast.stmt], cls: str | None, found: TestModuleFacts) -> None:
    """The definitions of a module (cls None), of a top-level class body and of a class nested in
    one (`class ModelTests:` holding `class BaseModelTest(TestCase):`, whose tests other modules
    inherit as `ModelTests.BaseModelTest`), also inside if/try/with."""
    for stmt in body:
        if isinstance(stmt, _DEFS):
            found.functions[f"{cls}.{stmt.name}" if cls else stmt.name] = _function_checks(stmt, found)
        elif isinstance(stmt, ast.ClassDef):
            if cls is None or "." not in cls:
                name = f"{cls}.{stmt.name}" if cls else stmt.name
                found.classes[name] = tuple(s for s in (ast_dotted(b) for b in stmt.bases) if s)
                _walk_block(stmt.body, name, found)
        elif isinstance(stmt, ast.Assign) and _sets_test_false(stmt):
            if cls is None:
                found.module_not_collected = True
            else:
                found.not_collected.add(cls)
        elif isinstance(stmt, ast.Assign):
            _note_client(stmt, found)
        elif isinstance(stmt, _BLOCKS):
            for part in ("body", "orelse", "finalbody"):
                _walk_block(getattr(stmt, part, None) or [], cls, found)
            for handler in getattr(stmt, "handlers", None) or []:
                _walk_block(handler.body, cls, found)


def _note_client(stmt: ast.Assign, found: TestModuleFacts) -> None:
    """`self.app = TestApp(wsgi_app)`, `app = webtest.TestApp(make_app())`: a client that may check
    every response's status by itself (resolved later: only WebTest's does)."""
    value = stmt.value
    if type(value) is not ast.Call or len(stmt.targets) != 1:
        return
    spelled = ast_dotted(value.func)
    target = stmt.targets[0]
    if spelled is not None and type(target) is ast.Attribute and type(target.value) is ast.Name and \
            target.value.id == "self":
        found.kept.setdefault(target.attr, set()).add(spelled.rsplit(".", 1)[-1])
    if spelled is None or spelled.rsplit(".", 1)[-1] != "TestApp":
        return
    name = target.id if type(target) is ast.Name else target.attr if type(target) is ast.Attribute else None
    if name is not None:
        found.clients.add((spelled, name))


def _client_call(spelled: str | None) -> bool:
    """A test-client request, not one of a mock HTTP library."""
    if spelled is None or "." not in spelled:
        return False
    receiver, _, attr = spelled.rpartition(".")
    return attr in CLIENT_CALLS and _MOCK_RECEIVER.search(receiver) is None


def _sets_test_false(stmt: ast.Assign) -> bool:
    return (isinstance(stmt.value, ast.Constant) and stmt.value.value is False
            and any(isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets))


def _function_checks(function: ast.FunctionDef | ast.AsyncFunctionDef, found: TestModuleFacts) -> FunctionChecks:
    calls: dict[str, None] = {}
    asserts = False
    bare_compare = 0
    returns_value = yields = False
    status_mapping = splat_request = False  # a mapping with an expected status, a request given `**` keywords
    for decorator in function.decorator_list:
        asserts = _decorator_asserts(decorator, calls) or asserts
        found.called.update(n.id for n in ast.walk(decorator) if type(n) is ast.Name and n.id.startswith("test"))
    # (node, inside a nested function or lambda); walked to the end, for the `test*` functions it calls
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in reversed(function.body)]
    AST, context, leaves = ast.AST, ast.expr_context, (ast.Name, ast.Constant)
    while stack:
        node, nested = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            if node.id[:4] == "test" and type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                found.called.add(node.id)  # type: ignore[attr-defined]
            continue
        if kind in leaves:
            continue
        if kind is ast.Dict:
            # `kwargs = {"expected_status": 401}` ... `self.post(url, **kwargs)`
            status_mapping = status_mapping or any(type(k) is ast.Constant and k.value in STATUS_KEYWORDS
                                                   for k in node.keys)  # type: ignore[attr-defined]
        elif kind is ast.Assign:
            _note_client(node, found)  # type: ignore[arg-type]
        if kind is ast.Assert or (kind is ast.Raise and not nested):
            asserts = True
        elif kind is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            if type(func) is ast.Name and func.id.startswith("Test"):
                found.called.add(func.id)  # `TestedClass()`: a class made as another test's subject
            if not asserts:
                asserts = _call_asserts(node, calls)  # type: ignore[arg-type]
            splat_request = splat_request or (any(k.arg is None for k in node.keywords)  # type: ignore[attr-defined]
                                              and _client_call(ast_dotted(func)))
        elif kind in _DEFS or kind is ast.ClassDef:
            for decorator in node.decorator_list:  # type: ignore[attr-defined]
                if not asserts:
                    asserts = _decorator_asserts(decorator, calls)
            nested = True
        elif kind is ast.Lambda:
            nested = True
        elif not nested:
            if kind is ast.Expr and type(node.value) is ast.Compare and not bare_compare:  # type: ignore[attr-defined]
                bare_compare = node.lineno  # type: ignore[attr-defined]
            elif kind is ast.Return:
                value = node.value  # type: ignore[attr-defined]
                returns_value = returns_value or not (value is None or (isinstance(value, ast.Constant)
                                                                         and value.value is None))
            elif kind is ast.Yield or kind is ast.YieldFrom:
                yields = True
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in reversed(value):
                    if isinstance(item, AST):
                        stack.append((item, nested))
            elif isinstance(value, AST) and not isinstance(value, context):
                stack.append((value, nested))
    if asserts or (status_mapping and splat_request):
        return FunctionChecks(True, (), bare_compare, returns_value, yields)
    _through_annotations(function, calls)
    ending, callee = _ending(function.body)
    return FunctionChecks(False, tuple(calls), bare_compare, returns_value, yields, ending, callee)


def _through_annotations(function: ast.FunctionDef | ast.AsyncFunctionDef, calls: dict[str, None]) -> None:
    """A parameter annotated with a class (`watcher: WatcherTest`, a fixture's helper object): its calls
    are also that class's methods (`watcher(...)` is `WatcherTest.__call__`), for a helper that checks."""
    arguments = function.args
    annotated = {a.arg: spelled for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
                 if a.annotation is not None and (spelled := ast_dotted(a.annotation)) is not None}
    if not annotated:
        return
    for spelled in list(calls):
        head, _, rest = spelled.partition(".")
        if head in annotated and "." not in rest and len(calls) < MAX_CALLS:
            calls[f"{annotated[head]}.{rest or '__call__'}"] = None


_NESTING = (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While, ast.If, ast.Try,
            *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
SETUP_CALLS = re.compile(r"factor|^print$|^pprint$|^log(?:ger|ging)?\.|\.log(?:ger)?\.|^baker\.|^mixer\.")


# Django's `Model.objects.get(...)` raises DoesNotExist / MultipleObjectsReturned: a lookup that fails the test
RAISING_LOOKUPS = re.compile(r"\.objects\.get$|^get_object_or_404$|\.get_object_or_404$")


def _ending(body: list[ast.stmt]) -> tuple[str, str]:
    """What the body ends with (see ``FunctionChecks.ending``), and for a bound result the callee."""
    # names the test imports itself (`from app.config import database`): reading one of their
    # attributes last checks that the module imports and has it
    imported = {(alias.asname or alias.name).split(".")[0] for stmt in body
                if isinstance(stmt, (ast.Import, ast.ImportFrom)) for alias in stmt.names}
    last = body[-1] if body else None
    while isinstance(last, _NESTING) and last.body:
        body, last = last.body, last.body[-1]
    if isinstance(last, (ast.Assign, ast.AnnAssign)) and last.value is not None:
        targets = last.targets if isinstance(last, ast.Assign) else [last.target]
        value = last.value.value if isinstance(last.value, ast.Await) else last.value
        if isinstance(value, ast.Subscript) and isinstance(value.ctx, ast.Load):
            return "call", ""  # `row = rows[key]`: a lookup that raises when the key is missing
        if isinstance(value, ast.Attribute) and _root_name(value) in imported:
            return "call", ""  # `self.url = database.connection_string` after importing `database`
        if isinstance(value, ast.Call) and len(targets) == 1 and isinstance(targets[0], (ast.Attribute, ast.Subscript)):
            return "call", ""  # `self.connector = Connector(conf)`: kept for the test case, made or raising
        if len(targets) == 1 and isinstance(targets[0], ast.Attribute) and \
                _raises_when_evaluated(targets[0].value):
            return "call", ""  # `self.hero.health.value = 5`: reads `self.hero.health`, runs its setter
        if len(targets) == 1 and isinstance(targets[0], (ast.Attribute, ast.Subscript)) and \
                not (isinstance(targets[0].value, ast.Name) and targets[0].value.id in ("self", "cls")):
            # `build.release = None`, `config["mode"] = "x"`: the code's setter, validator (`@validates`)
            # or `__setitem__` runs, and the test fails when it raises
            return "call", ""
        if isinstance(value, ast.Call) and len(targets) == 1 and isinstance(targets[0], (ast.Name, ast.Tuple)):
            spelled = ast_dotted(value.func) or ""
            if RAISING_LOOKUPS.search(spelled):
                return "call", ""
            if isinstance(targets[0], ast.Tuple) and len(targets[0].elts) == 1 and \
                    not isinstance(targets[0].elts[0], ast.Starred):
                return "call", ""  # `record, = Model.create([...])`: unpacking one raises unless exactly one came back
            name = targets[0].id if isinstance(targets[0], ast.Name) else \
                ", ".join(ast_dotted(e) or "_" for e in targets[0].elts)
            return f"assign:{name}", _constructed(spelled, body[:-1])
        return "", ""
    if isinstance(last, (ast.Import, ast.ImportFrom)):
        return "call", ""  # a test that its imports work: a missing or broken module raises
    if isinstance(last, ast.ClassDef) and last.bases:
        return "call", ""  # defining a class runs its bases' checks: the method order, `__init_subclass__`
    if not isinstance(last, ast.Expr):
        return "", ""
    value = last.value.value if isinstance(last.value, ast.Await) else last.value
    if _raises_when_evaluated(value):
        return "call", ""
    if not isinstance(value, ast.Call):
        return "", ""
    spelled = ast_dotted(value.func) or ""
    if is_request(spelled):
        return "request", spelled
    if SETUP_CALLS.search(spelled):
        return ("call" if _reuses_made_value(value, body[:-1]) else "setup"), ""
    return "call", ""


def _root_name(value: ast.expr) -> str:
    while isinstance(value, ast.Attribute):
        value = value.value
    return value.id if isinstance(value, ast.Name) else ""


def _raises_when_evaluated(value: ast.expr) -> bool:
    """An expression kept as a statement for what evaluating it checks: a key looked up
    (`totals["EUR"]`), an attribute read (`order.invoice`), a value hashed (`{key: True}`)."""
    if isinstance(value, (ast.Subscript, ast.Attribute)):
        return True
    members = value.keys if isinstance(value, ast.Dict) else value.elts if isinstance(value, ast.Set) else []
    return any(m is not None and not isinstance(m, ast.Constant) for m in members)


def _constructed(spelled: str, before: list[ast.stmt]) -> str:
    """`subject.upload` as `Plugin().upload` when the body bound `subject = Plugin(...)` before."""
    head, _, rest = spelled.partition(".")
    if not rest:
        return spelled
    for stmt in reversed(before):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id == head:
            made = ast_dotted(stmt.value.func) if isinstance(stmt.value, ast.Call) else None
            return f"{made}().{rest}" if made else ""
    return spelled


def _reuses_made_value(call: ast.Call, before: list[ast.stmt]) -> bool:
    """The last factory call gets a value the test made and already handed to an earlier call
    (`email = faker.email()`, `User(email=email, state="deleted")`, then `User(email=email)`):
    it is the operation under test (creating a duplicate), and it fails the test when refused."""
    passed = {v.id for v in (*call.args, *(k.value for k in call.keywords)) if isinstance(v, ast.Name)}
    if not passed:
        return False
    made = {t.id for stmt in before if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    earlier = set()
    for stmt in before:
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Call):
            earlier.update(v.id for v in (*value.args, *(k.value for k in value.keywords)) if isinstance(v, ast.Name))
    return bool(passed & made & earlier)


# the classes of test clients and applications a test requests through
CLIENT_CLASS = re.compile(r"client|app|browser|session|agent|requester", re.IGNORECASE)


def kept_subject(found: TestModuleFacts, spelled: str) -> bool:
    """`self.api.delete` when the module's tests keep only instances of the code's classes as `self.api`
    (`self.api = share.API()`): a call of the code, not a test client's request."""
    receiver = spelled.rpartition(".")[0]
    head, _, name = receiver.partition(".")
    made = found.kept.get(name) if head == "self" and "." not in name else None
    return bool(made) and all(m[:1].isupper() and CLIENT_CLASS.search(m) is None for m in made)


def is_request(spelled: str) -> bool:
    """`client.get`, `self.client.post`, `app.put`: a request of a test client."""
    receiver, _, attr = spelled.rpartition(".")
    return attr in CLIENT_CALLS and CLIENT_RECEIVER.search(receiver.rsplit(".", 1)[-1]) is not None


def _decorator_asserts(decorator: ast.expr, calls: dict[str, None]) -> bool:
    """A decorator is a call with the function (`@raises_invalid`, `@t.returns_none`); a called
    decorator (`@responses.activate(...)`) is walked as a call."""
    if isinstance(decorator, ast.Call):
        return _call_asserts(decorator, calls)
    spelled = ast_dotted(decorator)
    if spelled is None:
        return False
    if asserting_name(spelled):
        return True
    _note(spelled, calls)
    return False


def _call_asserts(call: ast.Call, calls: dict[str, None]) -> bool:
    spelled = ast_dotted(call.func)
    for keyword in call.keywords:
        name = keyword.arg
        if name is None:
            continue
        if name.startswith("assert") and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value):
            return True  # assert_all_requests_are_fired=True, assert_all_called=True
        if name in STATUS_KEYWORDS and _client_call(spelled):
            return True
        if name in MATCHER_KEYWORDS and spelled is not None and "." in spelled and \
                _MOCK_RECEIVER.search(spelled.rpartition(".")[0]) is not None:
            return True
    # a function handed over to be called: `callback=fail_on_request`, `side_effect=check_payload`
    for value in (*call.args, *(k.value for k in call.keywords)):
        if type(value) is ast.Name:
            if asserting_name(value.id):
                return True
            _note(value.id, calls)
    if spelled is None:
        return False
    if asserting_name(spelled) or spelled.endswith("httpx_mock.add_response"):
        return True
    _note(spelled, calls)
    return False


def _note(spelled: str, calls: dict[str, None]) -> None:
    if spelled.split(".", 1)[0] in BUILTIN_NAMES:
        return  # len(), str.join, dict.fromkeys: never a project helper
    if len(calls) < MAX_CALLS:
        calls[spelled] = None
