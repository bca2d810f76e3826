"""The ORM model index: every model class of the project and its relationships.

Two halves, like the rest of the index:

* **Collection, per module, in the index phase** (``ast`` collectors below). For every
  class it records the base classes as spelled (``db.Model``, ``models.Model``, ``Base``),
  the relationship declarations in its body with their loading options, its methods and
  properties (line ranges), managers, ``Meta.abstract``, ``__tablename__`` and the tables
  its foreign-key columns point to; for the module, every ``self.<attr>`` read (line and
  name) inside such a class (one with bases or relationships). Nothing is resolved yet:
  the import map is complete only after the walk. The result is ``facts.extra["orm"]``
  (an ``OrmModuleFacts``).

  Declarations recognised: SQLAlchemy / Flask-SQLAlchemy ``relationship()`` (also in
  ``Mapped[...]`` annotated assignments and ``@declared_attr`` methods of mixins), with
  ``lazy=``, ``uselist=``, ``secondary=``, ``back_populates=``, ``backref="name"`` and
  ``backref=backref("name", lazy=...)``; SQLModel ``Relationship()``; Django
  ``ForeignKey``, ``OneToOneField``, ``ManyToManyField`` (``related_name``,
  ``related_query_name``) and ``GenericForeignKey``.

* **The project view** (``OrmIndex``, built once per scan by ``orm_index(index)``). It
  resolves every class's bases through its module's imports (abstract bases and mixins
  defined in the project count), decides which classes are SQLAlchemy or Django models,
  resolves relationship targets (class objects, ``"Post"``, ``"app.models.Post"``,
  ``"blog.Post"``, ``"self"``, the Django user model), and adds the relationships other
  classes create: SQLAlchemy backrefs and Django reverse accessors (``book_set``,
  ``related_name``, with ``%(class)s`` / ``%(app_label)s`` filled in per concrete model).
  ``relation(model, attr)``, ``method(model, name)`` and ``model_named(qualified)``
  answer rules; ``model_of_name(facts, name)`` maps a name used in a module to a model.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Iterable

from bplint.project.index import ModuleFacts, ProjectIndex, _LineIndex, ast_dotted, collects, project_view

ORM_KEY = "orm"

# --- collection (index phase) ------------------------------------------------------

SA_RELATION_CALLS = frozenset({"relationship", "relation", "Relationship"})
DJANGO_RELATION_CALLS = {
    "ForeignKey": "fk", "OneToOneField": "o2o", "ManyToManyField": "m2m",
    "ParentalKey": "fk", "ParentalManyToManyField": "m2m", "TreeForeignKey": "fk", "TreeOneToOneField": "o2o",
    "GenericForeignKey": "gfk",
}
COLLECTION_TYPES = frozenset({"list", "List", "set", "Set", "Sequence", "MutableSequence", "Collection",
                              "Iterable", "AbstractSet", "MutableSet", "frozenset", "FrozenSet", "tuple", "Tuple"})
COLUMN_CALLS = frozenset({"Column", "mapped_column", "Field"})


@dataclass
class RawRelation:
    """A relationship as declared in a class body, before any name is resolved."""

    attr: str
    kind: str  # sa, fk, o2o, m2m, gfk
    callee: str  # dotted spelling of the declaring call: "db.relationship", "models.ForeignKey"
    line: int
    target: str | None = None  # "Post", "app.models.Post", "blog.Post", "self", "settings.AUTH_USER_MODEL"
    lazy: str | None = None  # normalised loading strategy, None when not given
    uselist: bool | None = None
    secondary: bool = False
    backref: str | None = None
    backref_lazy: str | None = None
    backref_uselist: bool | None = None
    back_populates: str | None = None
    related_name: str | None = None
    related_query_name: str | None = None


@dataclass
class RawMethod:
    name: str
    line: int
    end_line: int
    is_property: bool


@dataclass
class RawClass:
    name: str
    line: int
    end_line: int
    bases: tuple[str, ...]
    relations: list[RawRelation] = field(default_factory=list)
    methods: list[RawMethod] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)
    abstract: bool = False
    tablename: str | None = None
    fk_tables: set[str] = field(default_factory=set)
    top_level: bool = True
    # a column stamped with the time its row is written (`default=datetime.utcnow`, `auto_now_add=True`)
    stamped: bool = False
    # a column that orders the rows by hand (`position`, `sort_order`): a list someone arranges
    ordered: bool = False


@dataclass
class RawHelper:
    """A short top-level function that returns what a query finds (`return Tag.query.filter_by(...).first()`,
    `return Group.objects.get(...)`): the models it queries, as spelled in its module."""

    name: str
    line: int
    models: list[str] = field(default_factory=list)


@dataclass
class OrmModuleFacts:
    classes: list[RawClass] = field(default_factory=list)
    # top-level functions that run a query, for the loops of other modules that call them
    helpers: list[RawHelper] = field(default_factory=list)
    # (line, attr) of the `self.<attr>` reads in recorded classes: methods' relationship reads, by line range
    self_reads: list[tuple[int, str]] = field(default_factory=list)


def _orm_facts(facts: ModuleFacts) -> OrmModuleFacts:
    return facts.family(ORM_KEY, OrmModuleFacts)


def _last(dotted: str | None) -> str:
    return dotted.rsplit(".", 1)[-1] if dotted else ""


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _lazy(node: ast.AST | None) -> str | None:
    """The loading strategy a ``lazy=`` value names (True is "select", False "joined", None "noload")."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        if node.value is True:
            return "select"
        if node.value is False:
            return "joined"
        if node.value is None:
            return "noload"
        if isinstance(node.value, str):
            return node.value
    return "unknown"


def _target_spelling(node: ast.AST | None) -> str | None:
    """The target class of a relationship: a string, a dotted name, `lambda: Post`, `get_user_model()`."""
    if node is None:
        return None
    text = _str(node)
    if text is not None:
        return text
    if isinstance(node, ast.Lambda):
        return _target_spelling(node.body)
    if isinstance(node, ast.Call) and _last(ast_dotted(node.func)) == "get_user_model":
        return "settings.AUTH_USER_MODEL"
    return ast_dotted(node)


def _annotation_target(annotation: ast.AST | None) -> tuple[str | None, bool | None, str | None]:
    """For `Mapped[list["Post"]]`: ("Post", collection=True, lazy implied by the wrapper or None)."""
    if not isinstance(annotation, ast.Subscript):
        return None, None, None
    wrapper = _last(ast_dotted(annotation.value))
    lazy = {"DynamicMapped": "dynamic", "WriteOnlyMapped": "write_only"}.get(wrapper)
    if wrapper not in ("Mapped", "DynamicMapped", "WriteOnlyMapped", "Relationship"):
        return None, None, None
    inner = annotation.slice
    if isinstance(inner, ast.Constant) and isinstance(inner.value, str):  # Mapped["list[Post]"]
        try:
            inner = ast.parse(inner.value, mode="eval").body
        except SyntaxError:
            return None, None, lazy
    collection: bool | None = False
    if isinstance(inner, ast.Subscript):
        outer = _last(ast_dotted(inner.value))
        if outer in ("Optional",):
            inner = inner.slice
        elif outer in COLLECTION_TYPES:
            collection = True
            inner = inner.slice
            if isinstance(inner, ast.Tuple) and inner.elts:
                inner = inner.elts[0]
        else:
            return None, None, lazy
    if isinstance(inner, ast.BinOp):  # "Post" | None
        inner = inner.left
    target = _target_spelling(inner)
    if target and ("[" in target or "|" in target):
        target = target.split("[")[-1].split("|")[0].strip(" ]\"'")
    return target, collection, lazy


def _relation_from_call(attr: str, call: ast.Call, line: int, annotation: ast.AST | None = None) -> RawRelation | None:
    callee = ast_dotted(call.func)
    name = _last(callee)
    if callee is None:
        return None
    if name in SA_RELATION_CALLS:
        relation = RawRelation(attr, "sa", callee, line)
        relation.target = _target_spelling(call.args[0]) if call.args else _target_spelling(_kw(call, "argument"))
        ann_target, ann_collection, ann_lazy = _annotation_target(annotation)
        if relation.target is None:
            relation.target = ann_target
        relation.lazy = _lazy(_kw(call, "lazy")) or ann_lazy
        uselist = _kw(call, "uselist")
        relation.uselist = uselist.value if isinstance(uselist, ast.Constant) and isinstance(uselist.value, bool) \
            else ann_collection
        relation.secondary = _kw(call, "secondary") is not None or _kw(call, "link_model") is not None
        relation.back_populates = _str(_kw(call, "back_populates"))
        backref = _kw(call, "backref")
        if isinstance(backref, ast.Call) and backref.args:
            relation.backref = _str(backref.args[0])
            relation.backref_lazy = _lazy(_kw(backref, "lazy"))
            backref_uselist = _kw(backref, "uselist")
            if isinstance(backref_uselist, ast.Constant) and isinstance(backref_uselist.value, bool):
                relation.backref_uselist = backref_uselist.value
        else:
            relation.backref = _str(backref)
        extra = _kw(call, "sa_relationship_kwargs")  # SQLModel
        if isinstance(extra, ast.Dict):
            for key, value in zip(extra.keys, extra.values):
                if _str(key) == "lazy":
                    relation.lazy = _lazy(value)
        return relation
    kind = DJANGO_RELATION_CALLS.get(name)
    if kind is None:
        return None
    relation = RawRelation(attr, kind, callee, line)
    if kind != "gfk":
        relation.target = _target_spelling(call.args[0] if call.args else _kw(call, "to"))
        relation.related_name = _str(_kw(call, "related_name"))
        relation.related_query_name = _str(_kw(call, "related_query_name"))
    return relation


def _foreign_key_tables(call: ast.Call, into: set[str]) -> None:
    """Tables named by `ForeignKey("users.id")` inside a column definition."""
    for arg in call.args:
        if isinstance(arg, ast.Call) and _last(ast_dotted(arg.func)) == "ForeignKey" and arg.args:
            target = _str(arg.args[0])
            if target and "." in target:
                into.add(target.rsplit(".", 1)[0].rsplit(".", 1)[-1])
    foreign = _kw(call, "foreign_key")  # SQLModel Field(foreign_key="users.id")
    target = _str(foreign)
    if target and "." in target:
        into.add(target.rsplit(".", 1)[0])


# column names of a hand-arranged order: rows a person places one by one, so there are few of them
ORDER_COLUMNS = frozenset({"position", "sort_order", "sortorder", "ordering", "display_order", "sort_key",
                           "sort_index", "order_index"})
DJANGO_FIELD_SUFFIX = "Field"


def _stamps_write_time(call: ast.Call) -> bool:
    """Whether a column or field is filled with the time of the write: `default=datetime.utcnow`,
    `server_default=func.now()`, Django `auto_now_add=True` / `default=timezone.now`."""
    for keyword in call.keywords:
        if keyword.arg in ("auto_now_add", "auto_now"):
            if isinstance(keyword.value, ast.Constant) and keyword.value.value is True:
                return True
        elif keyword.arg in ("default", "server_default", "default_factory", "onupdate"):
            value = keyword.value
            if isinstance(value, ast.Call) and not value.args and not value.keywords:
                value = value.func  # func.now(), func.current_timestamp()
            elif isinstance(value, ast.Call) and _last(ast_dotted(value.func)) == "text" and value.args:
                text = _str(value.args[0]) or ""
                return "current_timestamp" in text.lower() or "now()" in text.lower()
            elif isinstance(value, ast.Lambda):
                value = value.body.func if isinstance(value.body, ast.Call) else value.body
            name = _last(ast_dotted(value)).lower()
            if "now" in name or name in ("current_timestamp", "localtimestamp", "today"):
                return True
    return False


def _column_traits(attr: str, call: ast.Call, raw: "RawClass") -> None:
    callee = _last(ast_dotted(call.func))
    if callee not in COLUMN_CALLS and not callee.endswith(DJANGO_FIELD_SUFFIX):
        return
    if _stamps_write_time(call):
        raw.stamped = True
    if attr.lower() in ORDER_COLUMNS:
        raw.ordered = True


def _is_manager_call(call: ast.Call) -> bool:
    if isinstance(call.func, ast.Call):  # Manager.from_queryset(QS)()
        return True
    name = _last(ast_dotted(call.func))
    return name.endswith("Manager") or name == "as_manager"


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = ast_dotted(target)
        if dotted:
            names.add(dotted)
            names.add(_last(dotted))
    return names


@collects(ast.ClassDef)
def _collect_class(node: ast.ClassDef, facts: ModuleFacts, _: _LineIndex) -> None:
    bases = tuple(b for b in (ast_dotted(base) for base in node.bases) if b)
    raw = RawClass(node.name, node.lineno, node.end_lineno or node.lineno, bases)
    for statement in node.body:
        targets: list[ast.AST] = []
        value: ast.AST | None = None
        annotation = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value, annotation = [statement.target], statement.value, statement.annotation
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decorators = _decorator_names(statement)
            is_property = bool(decorators & {"property", "cached_property", "hybrid_property"})
            raw.methods.append(RawMethod(statement.name, statement.lineno, statement.end_lineno or statement.lineno,
                                         is_property))
            if decorators & {"declared_attr", "declared_attr.directive"}:
                for inner in statement.body:
                    if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Call):
                        relation = _relation_from_call(statement.name, inner.value, inner.lineno,
                                                       statement.returns)
                        if relation is not None and relation.kind == "sa":
                            raw.relations.append(relation)
            continue
        elif isinstance(statement, ast.ClassDef) and statement.name == "Meta":
            for inner in statement.body:
                if isinstance(inner, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "abstract"
                                                         for t in inner.targets):
                    raw.abstract = isinstance(inner.value, ast.Constant) and inner.value.value is True
            continue
        else:
            continue
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            continue
        attr = targets[0].id
        if attr == "__tablename__":
            raw.tablename = _str(value)
            continue
        if isinstance(value, ast.Call):
            relation = _relation_from_call(attr, value, statement.lineno, annotation)
            _column_traits(attr, value, raw)
            if relation is not None:
                raw.relations.append(relation)
            elif _last(ast_dotted(value.func)) in COLUMN_CALLS:
                _foreign_key_tables(value, raw.fk_tables)
            elif _is_manager_call(value):
                raw.managers.append(attr)
    if not bases and not raw.relations and not raw.stamped:
        return  # a plain class: no model, no mixin (a mixin of columns counts for its timestamp)
    raw.top_level = node.col_offset == 0
    _orm_facts(facts).classes.append(raw)


# the methods that run the query their chain built (Flask-SQLAlchemy / SQLAlchemy Query, Django QuerySet)
HELPER_RUNS = frozenset({"all", "first", "one", "one_or_none", "get", "scalar", "count", "exists", "get_or_404",
                         "first_or_404", "one_or_404", "last", "aggregate", "in_bulk", "latest", "earliest"})
HELPER_ROOTS = frozenset({"query", "objects"})
HELPER_STATEMENTS = 6  # a look-up helper is short: a docstring, a guard or two, the query


def _queried_model(call: ast.Call) -> str | None:
    """For `Tag.query.filter_by(name=n).first()` or `Group.objects.get(name=n)`, the spelling `Tag` /
    `Group`: a chain on a model's query or default manager that ends in a method running it."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in HELPER_RUNS):
        return None
    current: ast.AST = func.value
    while True:
        if isinstance(current, ast.Call):
            current = current.func
        elif isinstance(current, ast.Attribute):
            if current.attr in HELPER_ROOTS:
                return ast_dotted(current.value)
            current = current.value
        else:
            return None


@collects(ast.FunctionDef, ast.AsyncFunctionDef)
def _collect_helper(node: ast.FunctionDef | ast.AsyncFunctionDef, facts: ModuleFacts, _: _LineIndex) -> None:
    if node.col_offset != 0 or len(node.body) > HELPER_STATEMENTS:
        return  # methods and nested functions: called through objects the index cannot follow
    # a look-up: the function returns what its query found (`return Tag.query.filter_by(...).first()`);
    # a longer operation that happens to query (cancel an order, send a mail) is no row to batch
    models: list[str] = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Call):
            spelled = _queried_model(inner.value)
            if spelled is not None and spelled not in models:
                models.append(spelled)
    if models:
        _orm_facts(facts).helpers.append(RawHelper(node.name, node.lineno, models))


@collects(ast.Attribute)
def _collect_self_read(node: ast.Attribute, facts: ModuleFacts, _: _LineIndex) -> None:
    value = node.value
    if not (isinstance(value, ast.Name) and value.id == "self" and isinstance(node.ctx, ast.Load)):
        return
    # Only reads inside a class that may be a model or mixin (one with bases or relationships):
    # the walk is breadth first, so the enclosing class was recorded before its methods' code.
    orm = facts.extra.get(ORM_KEY)
    if not isinstance(orm, OrmModuleFacts) or not orm.classes:
        return
    line = node.lineno
    if any(c.line <= line <= c.end_line for c in orm.classes):
        orm.self_reads.append((line, node.attr))


# --- the project view ---------------------------------------------------------------

SA = "sqlalchemy"
DJANGO = "django"

# strategies that load a relationship with its parent, or refuse to load it lazily
EAGER_STRATEGIES = frozenset({"joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload"})
# strategies where every access runs a query of its own
QUERY_PER_ACCESS = frozenset({"dynamic", "write_only"})

DJANGO_MODEL_BASES = frozenset({
    "django.db.models.Model", "django.db.models.base.Model", "django.contrib.gis.db.models.Model",
    "django.contrib.auth.models.AbstractUser", "django.contrib.auth.models.AbstractBaseUser",
    "django.contrib.auth.base_user.AbstractBaseUser", "django.contrib.auth.models.PermissionsMixin",
    "django.contrib.auth.models.User", "django.contrib.auth.models.Group",
})
DJANGO_USER_BASES = frozenset({"django.contrib.auth.models.AbstractUser", "django.contrib.auth.models.AbstractBaseUser",
                               "django.contrib.auth.base_user.AbstractBaseUser"})
SA_MODEL_BASES = frozenset({
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta", "sqlalchemy.orm.decl_api.DeclarativeBase",
    "sqlalchemy.orm.MappedAsDataclass", "sqlmodel.SQLModel", "sqlalchemy.orm.AsyncAttrs",
    "sqlalchemy.ext.asyncio.AsyncAttrs",
})
SA_BASE_FACTORIES = frozenset({
    "sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
    "sqlalchemy.orm.decl_api.declarative_base", "flask_sqlalchemy.model.DefaultMeta",
})
FLASK_SQLALCHEMY = frozenset({"flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"})
DJANGO_USER_MODEL = "django.contrib.auth.models.User"
# Django's own tables that grow with use (users sign up, sessions and admin log lines pile up)
DJANGO_STOCK_GROWING = frozenset({"django.contrib.auth.models.User", "django.contrib.sessions.models.Session",
                                  "django.contrib.admin.models.LogEntry"})
# models Django itself defines, queried like the project's own (`Group.objects.get(name=...)`)
DJANGO_STOCK_MODELS = frozenset({
    DJANGO_USER_MODEL, "django.contrib.auth.models.Group", "django.contrib.auth.models.Permission",
    "django.contrib.contenttypes.models.ContentType", "django.contrib.sites.models.Site",
    "django.contrib.sessions.models.Session", "django.contrib.admin.models.LogEntry",
})


@dataclass(eq=False)
class Relation:
    """A relationship attribute of a model (declared, inherited, a backref or a reverse accessor)."""

    owner: "Model"
    name: str
    orm: str  # sqlalchemy | django
    target: "Model | None"
    collection: bool | None  # None: unknown
    lazy: str  # declared strategy: "select" when not given
    forward: bool = True  # Django: a ForeignKey / OneToOneField on the owner (select_related can follow it)
    kind: str = ""  # fk, o2o, m2m, gfk, reverse_fk, reverse_o2o, reverse_m2m, sa, backref


@dataclass(eq=False)
class Method:
    name: str
    owner: "Model"
    is_property: bool
    self_reads: frozenset[str]


@dataclass(eq=False)
class Model:
    key: str  # qualified name: "app.models.User"
    name: str
    module: str
    raw: RawClass | None = None
    facts: ModuleFacts | None = None
    orm: str | None = None
    bases: list["Model"] = field(default_factory=list)
    external_bases: list[str] = field(default_factory=list)
    own: dict[str, Relation] = field(default_factory=dict)
    added: dict[str, Relation] = field(default_factory=dict)  # backrefs and reverse accessors
    _all: dict[str, Relation] | None = None
    _methods: dict[str, Method] | None = None
    _managers: set[str] | None = None

    @property
    def is_model(self) -> bool:
        return self.orm is not None

    @property
    def abstract(self) -> bool:
        return bool(self.raw and self.raw.abstract)

    @property
    def grows_with_use(self) -> bool:
        """Whether the table is a record of what happens (posts, orders, log lines), not a short
        list someone keeps by hand (groups, categories, plugins): some column of the model or its
        bases is stamped with the time each row is written, and no column orders the rows by hand."""
        if self.raw is None:
            return self.key in DJANGO_STOCK_GROWING
        lineage = [m.raw for m in self.lineage() if m.raw is not None]
        return any(raw.stamped for raw in lineage) and not any(raw.ordered for raw in lineage)

    def lineage(self) -> Iterable["Model"]:
        """This class and its project bases, nearest first (a simple depth-first MRO)."""
        seen: set[str] = set()
        stack = [self]
        while stack:
            current = stack.pop(0)
            if current.key in seen:
                continue
            seen.add(current.key)
            yield current
            stack[0:0] = current.bases


class OrmIndex:
    """Models of one project (see the module docs)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.models: dict[str, Model] = {}
        self.by_name: dict[str, list[Model]] = {}
        # Read so that the scan cache records them: which modules declare classes (compared by
        # value, so a new model module re-checks the loops) and each such module's facts (so
        # editing a model re-checks the files that use it, and nothing else).
        for relpath in index.view(ORM_MODULES_VIEW):
            facts = index.modules[relpath]
            orm = facts.extra.get(ORM_KEY)
            if not isinstance(orm, OrmModuleFacts):
                continue
            for raw in orm.classes:
                key = f"{facts.module}.{raw.name}"
                if key in self.models:
                    continue
                model = Model(key, raw.name, facts.module, raw, facts)
                self.models[key] = model
                self.by_name.setdefault(raw.name, []).append(model)
        for model in list(self.models.values()):
            self._link_bases(model)
        for model in list(self.models.values()):
            self._decide_orm(model, set())
        for model in [m for m in self.models.values() if m.raw is not None]:
            self._declare_relations(model)
        for model in [m for m in self.models.values() if m.raw is not None]:
            self._add_other_sides(model)
        self.any_models = any(m.is_model for m in self.models.values())
        self.model_modules = sorted({m.facts.relpath for m in self.models.values() if m.facts is not None})

    # --- look-ups ------------------------------------------------------------------
    def model_named(self, qualified: str | None, depth: int = 0) -> Model | None:
        """The model a qualified name stands for, following re-exports (`from .models import User`)."""
        if not qualified or depth > 6:
            return None
        found = self.models.get(qualified)
        if found is not None:
            return found if found.is_model else None
        if qualified in DJANGO_STOCK_MODELS:
            return self._external(qualified, DJANGO)
        if qualified == "django.contrib.auth.get_user_model":
            return self.user_model()
        resolved = self.index.resolve_definition(qualified)
        if resolved is None:
            return None
        facts, rest = resolved
        head, _, tail = rest.partition(".")
        if head in facts.imports:
            target = facts.imports[head] + (f".{tail}" if tail else "")
            return self.model_named(target, depth + 1)
        star = self.index.star_export(facts, head) if head not in facts.defined else None
        if star is not None:
            return self.model_named(star + (f".{tail}" if tail else ""), depth + 1)
        instance = facts.instances.get(head)
        if not tail and instance == "django.contrib.auth.get_user_model":
            return self.user_model()
        return None

    def model_of_name(self, facts: ModuleFacts, name: str) -> Model | None:
        """The model a bare name in a module stands for (a class of the module, an import, `get_user_model()`)."""
        if name in facts.defined:
            found = self.models.get(f"{facts.module}.{name}")
            return found if found is not None and found.is_model else None
        if name in facts.imports:
            return self.model_named(facts.imports[name])
        if facts.instances.get(name) == "django.contrib.auth.get_user_model":
            return self.user_model()
        star = self.index.star_export(facts, name)
        return self.model_named(star) if star is not None else None

    def helper_query(self, qualified: str | None) -> tuple[str, Model] | None:
        """For a project function that runs a query (`app.tags.tag_named`): its qualified name and
        the model it queries, following re-exports; None for anything else."""
        found = self.index.resolve_definition(qualified) if qualified else None
        for _ in range(6):
            if found is None:
                return None
            facts, rest = found
            if "." in rest:
                return None
            if rest in facts.imports:
                found = self.index.resolve_definition(facts.imports[rest])
                continue
            orm = facts.extra.get(ORM_KEY)
            helper = next((h for h in orm.helpers if h.name == rest), None) \
                if isinstance(orm, OrmModuleFacts) else None
            if helper is None:
                star = self.index.star_export(facts, rest) if rest not in facts.defined else None
                found = self.index.resolve_definition(star) if star else None
                continue
            for spelled in helper.models:
                head, _, tail = spelled.partition(".")
                model = self.model_of_name(facts, head) if not tail else \
                    self.model_named(self._resolve_spelling(facts, spelled))
                if model is not None:
                    return f"{facts.module}.{rest}", model
            return None
        return None

    def relation(self, model: Model, attr: str) -> Relation | None:
        return self.relations(model).get(attr)

    def relations(self, model: Model) -> dict[str, Relation]:
        if model._all is None:
            merged: dict[str, Relation] = {}
            for ancestor in reversed(list(model.lineage())):
                merged.update(ancestor.own)
            merged.update(model.added)
            model._all = merged
        return model._all

    def method(self, model: Model, name: str) -> Method | None:
        if model._methods is None:
            model._methods = {}
            for ancestor in reversed(list(model.lineage())):
                model._methods.update(self._own_methods(ancestor))
        return model._methods.get(name)

    def managers(self, model: Model) -> set[str]:
        if model._managers is None:
            found = {"objects", "_default_manager", "_base_manager"}
            for ancestor in model.lineage():
                if ancestor.raw is not None:
                    found.update(ancestor.raw.managers)
            model._managers = found
        return model._managers

    def user_model(self) -> Model:
        """The Django user model: a project model built on AbstractUser / AbstractBaseUser, else the stock one."""
        custom = [m for m in self.models.values() if m.orm == DJANGO and not m.abstract
                  and any(b in DJANGO_USER_BASES for a in m.lineage() for b in a.external_bases)]
        if len(custom) == 1:
            return custom[0]
        return self._external(DJANGO_USER_MODEL, DJANGO)

    # --- building --------------------------------------------------------------------
    def _external(self, key: str, orm: str) -> Model:
        """A model defined outside the project (the stock Django user): a place for reverse accessors."""
        found = self.models.get(key)
        if found is None:
            module, _, name = key.rpartition(".")
            found = self.models[key] = Model(key, name, module, orm=orm)
            if key == DJANGO_USER_MODEL:
                for attr in ("groups", "user_permissions"):
                    found.own[attr] = Relation(found, attr, DJANGO, None, True, "select", True, "m2m")
        return found

    def _resolve_spelling(self, facts: ModuleFacts, dotted: str) -> str | None:
        head, _, tail = dotted.partition(".")
        if head in facts.defined or (head not in facts.imports and f"{facts.module}.{head}" in self.models):
            base = f"{facts.module}.{head}"
        else:
            base = facts.resolve_name(head) or self.index.star_export(facts, head)
        if base is None:
            return None
        return f"{base}.{tail}" if tail else base

    def _find_class(self, qualified: str, depth: int = 0) -> Model | None:
        if depth > 6:
            return None
        if qualified in self.models:
            return self.models[qualified]
        resolved = self.index.resolve_definition(qualified)
        if resolved is None:
            return None
        facts, rest = resolved
        if "." not in rest and rest in facts.imports:
            return self._find_class(facts.imports[rest], depth + 1)
        star = self.index.star_export(facts, rest) if "." not in rest and rest not in facts.defined else None
        return self._find_class(star, depth + 1) if star is not None else None

    def _instance_callee(self, qualified: str) -> str | None:
        """For `app.db.Base` (bound to `declarative_base()` in app.db), the callee's qualified name."""
        resolved = self.index.resolve_definition(qualified)
        if resolved is None:
            return None
        facts, rest = resolved
        if "." in rest:
            return None
        if rest in facts.imports:
            return self._instance_callee(facts.imports[rest]) if facts.imports[rest] != qualified else None
        return facts.instances.get(rest)

    def _link_bases(self, model: Model) -> None:
        assert model.raw is not None and model.facts is not None
        for spelling in model.raw.bases:
            qualified = self._resolve_spelling(model.facts, spelling)
            if qualified is None:
                continue
            base = self._find_class(qualified)
            if base is not None and base is not model:
                model.bases.append(base)
            else:
                model.external_bases.append(qualified)

    def _external_orm(self, model: Model, qualified: str) -> str | None:
        if qualified in DJANGO_MODEL_BASES:
            return DJANGO
        if qualified in SA_MODEL_BASES:
            return SA
        if qualified.endswith(".Model"):  # db.Model of a Flask-SQLAlchemy object
            owner = qualified[: -len(".Model")]
            callee = self._instance_callee(owner) if model.facts else None
            if callee in FLASK_SQLALCHEMY or (callee or "").endswith(".SQLAlchemy"):
                return SA
            if owner.startswith("django.db.models"):
                return DJANGO
        callee = self._instance_callee(qualified)
        if callee in SA_BASE_FACTORIES or (callee or "").endswith((".declarative_base", ".generate_base")):
            return SA
        return None

    def _decide_orm(self, model: Model, visiting: set[str]) -> str | None:
        if model.orm is not None or model.key in visiting:
            return model.orm
        visiting.add(model.key)
        for qualified in model.external_bases:
            orm = self._external_orm(model, qualified)
            if orm is not None:
                model.orm = orm
                return orm
        for base in model.bases:
            orm = self._decide_orm(base, visiting)
            if orm is not None:
                model.orm = orm
                return orm
        return None

    def _relation_orm(self, model: Model, raw: RawRelation) -> str | None:
        """Which ORM declared this relation, checked through the module's imports."""
        assert model.facts is not None
        qualified = self._resolve_spelling(model.facts, raw.callee) or ""
        if raw.kind == "sa":
            if qualified.startswith(("sqlalchemy.", "flask_sqlalchemy.", "sqlmodel.")):
                return SA
            # db.relationship on a Flask-SQLAlchemy object (or an unresolved `db` of a mixin module)
            if "." in raw.callee and raw.callee.rsplit(".", 1)[0].count(".") == 0:
                return SA
            return None
        if qualified.startswith(("django.", "modelcluster.", "mptt.")) or \
                (model.orm == DJANGO and "." in raw.callee):
            return DJANGO
        return None

    def _declare_relations(self, model: Model) -> None:
        assert model.raw is not None
        for raw in model.raw.relations:
            orm = self._relation_orm(model, raw)
            if orm is None:
                continue
            if model.orm is None and model.bases == [] and not model.external_bases:
                model.orm = orm  # a mixin that declares relationships
            target = self._target(model, raw.target, orm)
            if orm == SA:
                collection = raw.uselist
                if collection is None:
                    collection = self._sa_collection(model, target, raw)
                model.own[raw.attr] = Relation(model, raw.attr, SA, target, collection, raw.lazy or "select",
                                               kind="sa")
            else:
                collection = raw.kind == "m2m"
                model.own[raw.attr] = Relation(model, raw.attr, DJANGO, target, collection, "select",
                                               forward=raw.kind in ("fk", "o2o"), kind=raw.kind)
        if model.orm is None and model.own:
            model.orm = next(iter(model.own.values())).orm

    def _sa_collection(self, model: Model, target: Model | None, raw: RawRelation) -> bool | None:
        """Many-to-one (False) when this class holds a foreign key to the target's table, one-to-many (True)
        when the target holds one to this class's table; secondary tables make a collection."""
        if raw.secondary:
            return True
        if target is None or target.raw is None or model.raw is None:
            return None
        if _table_of(target) in model.raw.fk_tables and _table_of(model) not in target.raw.fk_tables:
            return False
        if _table_of(model) in target.raw.fk_tables:
            return True
        return None

    def _target(self, model: Model, spelling: str | None, orm: str) -> Model | None:
        if not spelling:
            return None
        if spelling == "self":
            return model
        if orm == DJANGO and spelling.endswith("AUTH_USER_MODEL"):
            return self.user_model()
        if orm == DJANGO and spelling == "auth.User":
            return self._find_class(DJANGO_USER_MODEL) or self._external(DJANGO_USER_MODEL, DJANGO)
        assert model.facts is not None
        head = spelling.split(".", 1)[0]
        if head in model.facts.imports or head in model.facts.defined:
            qualified = self._resolve_spelling(model.facts, spelling)
            found = self._find_class(qualified) if qualified else None
            if found is not None:
                return found
            if qualified == DJANGO_USER_MODEL:
                return self._external(DJANGO_USER_MODEL, DJANGO)
        # "Post", "app.models.Post" or Django's "blog.Post": by class name, nearest module first
        label, _, name = spelling.rpartition(".")
        return self._nearest(model, name, orm, label.rsplit(".", 1)[-1])

    def _candidates(self, name: str, orm: str) -> list[Model]:
        return [m for m in self.by_name.get(name, []) if m.orm in (orm, None)]

    def _nearest(self, model: Model, name: str, orm: str, label: str) -> Model | None:
        candidates = self._candidates(name, orm)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        if label:
            labelled = [m for m in candidates if label in m.module.split(".")]
            if labelled:
                candidates = labelled
        parts = model.module.split(".")
        return max(candidates, key=lambda m: _shared_prefix(parts, m.module.split(".")))

    def _add_other_sides(self, model: Model) -> None:
        """SQLAlchemy backrefs, and Django reverse accessors on the target of every concrete model's relation."""
        if model.orm == SA:
            for relation in list(model.own.values()):
                raw = next((r for r in model.raw.relations if r.attr == relation.name), None) if model.raw else None
                if raw is None or not raw.backref or relation.target is None:
                    continue
                if raw.backref_uselist is not None:
                    collection = raw.backref_uselist
                elif raw.secondary:
                    collection = True
                elif relation.collection is None:
                    collection = None
                else:
                    collection = not relation.collection
                relation.target.added.setdefault(raw.backref, Relation(
                    relation.target, raw.backref, SA, model, collection, raw.backref_lazy or "select", kind="backref"))
            return
        if model.orm != DJANGO or model.abstract:
            return
        # the model's own relations and those of its abstract bases give it reverse accessors
        declared: list[Relation] = []
        for ancestor in model.lineage():
            if ancestor is model or ancestor.abstract:
                declared.extend(r for r in ancestor.own.values() if r.orm == DJANGO)
        for relation in declared:
            target = relation.target
            if relation is not model.own.get(relation.name) and relation.target is relation.owner:
                target = model  # ForeignKey("self") declared on an abstract base
            if target is None or relation.kind == "gfk":
                continue
            raw = next((r for a in model.lineage() if a.raw for r in a.raw.relations if r.attr == relation.name), None)
            related_name = raw.related_name if raw else None
            if related_name is not None:
                if related_name.endswith("+"):
                    continue
                related_name = related_name.replace("%(class)s", model.name.lower()).replace(
                    "%(app_label)s", _app_label(model))
            kind = {"fk": "reverse_fk", "o2o": "reverse_o2o", "m2m": "reverse_m2m"}.get(relation.kind, "reverse_fk")
            name = related_name or (model.name.lower() if kind == "reverse_o2o" else f"{model.name.lower()}_set")
            target.added.setdefault(name, Relation(target, name, DJANGO, model, kind != "reverse_o2o", "select",
                                                   forward=False, kind=kind))

    def _own_methods(self, model: Model) -> dict[str, Method]:
        if model.raw is None or model.facts is None:
            return {}
        orm = model.facts.extra.get(ORM_KEY)
        reads = orm.self_reads if isinstance(orm, OrmModuleFacts) else []
        methods = {}
        for raw in model.raw.methods:
            inside = frozenset(attr for line, attr in reads if raw.line <= line <= raw.end_line)
            methods[raw.name] = Method(raw.name, model, raw.is_property, inside)
        return methods


def _table_of(model: Model) -> str:
    if model.raw is not None and model.raw.tablename:
        return model.raw.tablename
    # Flask-SQLAlchemy's default: CamelCase -> camel_case
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.name).lower()


def _app_label(model: Model) -> str:
    parts = model.module.split(".")
    if len(parts) >= 2 and parts[-1] in ("models", "model"):
        return parts[-2]
    if len(parts) >= 3 and parts[-2] == "models":
        return parts[-3]
    return parts[0]


def _shared_prefix(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


ORM_MODULES_VIEW = "orm-modules"


@project_view(ORM_MODULES_VIEW)
def _modules_with_classes(index: ProjectIndex) -> list[str]:
    """The files whose ORM facts hold a class, in a stable order."""
    found = []
    for relpath, facts in sorted(index.modules.raw().items()):
        orm = facts.extra.get(ORM_KEY)
        if isinstance(orm, OrmModuleFacts) and orm.classes:
            found.append(relpath)
    return found


def orm_index(index: ProjectIndex, note: bool = True) -> OrmIndex:
    """The project's model index, built on first use and shared by every file of the scan.

    Every caller is recorded (for the scan cache) as depending on the facts the
    view was built from, so editing a model re-checks the loops over it.
    ``note`` is kept for callers' readability; the dependency is always recorded.
    """
    return index.derived("orm", OrmIndex)
