"""BP4 queries: N+1 relationship loads (BP401).

The rule reads the project's model index (``bplint.project.orm_models``) and recognise queries with
``bplint.project.orm_queries``; models and the loops over them may live in different modules.
"""

from __future__ import annotations

import libcst as cst

from bplint.project import orm_triggers
from bplint.project.orm_models import DJANGO, QUERY_PER_ACCESS, SA, Model, Relation, orm_index
from bplint.project.orm_queries import Element, QueryReader
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules.bp4_fixtures import EXTENSIONS, MODELS_DJANGO, MODELS_SA, MODELS_SA2

# methods of a Django related manager that write instead of reading the related rows
MANAGER_WRITES = frozenset({"add", "remove", "set", "clear", "create", "get_or_create", "update_or_create",
                            "bulk_create"})
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

CUSTOMERS_DJANGO = '''\
from django.db import models

__all__ = ["Customer"]


class Customer(models.Model):
    name = models.CharField(max_length=100)
'''
BILLING_DJANGO = '''\
from django.db import models

from .customers import Customer


class Invoice(models.Model):
    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    paid = models.BooleanField(default=False)

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = f"{self.customer.name[:3].upper()}-{self.pk}"
        super().save(*args, **kwargs)
'''


def _source(ctx, node: cst.CSTNode) -> str:
    module = ctx.module
    text = module.code_for_node(node) if module is not None else ""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _models_on_path(element: Element, relation: Relation) -> list[tuple[Model, Relation]]:
    """(model the attribute is read on, relationship) for each step from the queried model."""
    root = element.root or element.model
    steps = []
    current = root
    for step in (*element.chain, relation):
        steps.append((current, step))
        current = step.target if step.target is not None else current
    return steps


def eager_fix(element: Element, relation: Relation) -> str:
    """The query option that loads ``relation`` with the rows, in the loop's ORM."""
    steps = _models_on_path(element, relation)
    if relation.orm == DJANGO:
        path = "__".join(step.name for _, step in steps)
        if all(step.forward and step.collection is False for _, step in steps):
            return f'.select_related("{path}")'
        return f'.prefetch_related("{path}")'
    parts = []
    for model, step in steps:
        loader = "joinedload" if step.collection is False else "selectinload"
        parts.append(f"{loader}({model.name}.{step.name})")
    return f".options({'.'.join(parts)})"


def _target_names(target: cst.BaseExpression) -> set[str]:
    """The names a `for` target binds (`for i, (a, *b) in ...`)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        names: set[str] = set()
        for element in target.elements:
            names |= _target_names(element.value)
        return names
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


class _LoopRule(PythonRule):
    """Keeps the query reader and the typed loop variables of the loops being walked."""

    uses_bindings = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reader = QueryReader(ctx)

    def _loop_variables(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> dict[str, Element]:
        if isinstance(target, cst.Name):
            element = self.reader.element(iterable)
            return {target.value: element} if element is not None else {}
        # for i, user in enumerate(users)
        if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and isinstance(iterable, cst.Call) \
                and self.ctx.qualified_name(iterable.func) == "builtins.enumerate" and iterable.args:
            second = target.elements[1].value
            element = self.reader.element(iterable.args[0].value)
            if isinstance(second, cst.Name) and element is not None:
                return {second.value: element}
        return {}

    def visit_For(self, node: cst.For) -> None:
        self.reader.push_loop(self._loop_variables(node.target, node.iter))

    def leave_For(self, node: cst.For) -> None:
        self.reader.pop_loop()

    def _enter_comprehension(self, node) -> None:
        variables: dict[str, Element] = {}
        self.reader.push_loop(variables)  # later `for`s of the comprehension see the earlier targets
        comp = node.for_in
        while comp is not None:
            variables.update(self._loop_variables(comp.target, comp.iter))
            comp = comp.inner_for_in

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node)

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self.reader.pop_loop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_comprehension(node)

    def leave_SetComp(self, node: cst.SetComp) -> None:
        self.reader.pop_loop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_comprehension(node)

    def leave_DictComp(self, node: cst.DictComp) -> None:
        self.reader.pop_loop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node)

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.reader.pop_loop()


class NPlusOneQuery(_LoopRule):
    code = "BP401"
    name = "n-plus-one-query"
    category = "database"
    severity = Severity.WARNING
    precision = Precision(35, 71, "2026-12-02", debatable=17, unseen=(18, 33))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Lazy relationship loaded once per row inside a loop over a query (N+1 queries)"
    what = ("Finds loops, comprehensions and generator expressions over the result of an ORM query "
            "(Flask-SQLAlchemy `Model.query...`, `paginate(...).items`, SQLAlchemy `session.query(...)`, "
            "`session.scalars(select(...))`, `session.execute(select(...)).scalars()`, Django "
            "`Model.objects...` querysets, also through a name bound to one earlier in the function) whose "
            "body reads a lazily loaded relationship of the loop variable: a SQLAlchemy `relationship()` "
            "or its `backref` / `back_populates` partner, a Django `ForeignKey` / `OneToOneField`, "
            "`ManyToManyField` or reverse accessor (`book_set`, `related_name`). Relationships come from "
            "the model classes anywhere in the project, with their base classes and mixins. It follows "
            "nested loops (`for post in user.posts` inside a loop over users), chains of many-to-one "
            "relationships (`book.author.publisher`), and model methods and properties called on the loop "
            "variable that read a lazy relationship of `self` (`user.to_dict()`). A relationship loaded "
            "by the query (`options(joinedload/selectinload/subqueryload/contains_eager/raiseload(...))`, "
            "chained paths, `select_related` / `prefetch_related` with `__` paths and `Prefetch`) or "
            "declared `lazy=\"joined\"`/`\"selectin\"`/`\"subquery\"`/`\"immediate\"`/`\"raise\"`/"
            "`\"noload\"` is fine. `lazy=\"dynamic\"` relationships run a query on every access and are "
            "always reported.")
    why = ("Each read of a lazy relationship runs one more query, so a page listing 50 rows runs 51 "
           "queries. It is invisible in development with ten rows and the first thing to fall over in "
           "production; runtime detectors catch it only on the requests someone happens to exercise.")
    how_to_fix = ("Load the relationship with the query: SQLAlchemy `options(selectinload(User.posts))` for "
                  "collections or `joinedload(Post.author)` for many-to-one, Django "
                  "`.select_related(\"author\")` for foreign keys or `.prefetch_related(\"books\")` for "
                  "collections.")
    bad = ('users = User.query.all()\nfor user in users:\n    print(user.name, len(user.posts))\n\n'
           'for book in Book.objects.all():\n    print(book.author.name)\n')
    good = ('users = User.query.options(selectinload(User.posts)).all()\nfor user in users:\n'
            '    print(user.name, len(user.posts))\n\n'
            'for book in Book.objects.select_related("author"):\n    print(book.author.name)\n')
    examples = (
        Flag("""
            from flask import jsonify

            from app.models import User


            def list_users():
                users = User.query.filter_by(active=True).all()
                return jsonify([{"name": u.name, "posts": len(u.posts)} for u in users])
            """, path="app/views.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=8, count=1, note="Flask-SQLAlchemy, models in another module, comprehension"),
        Flag("""
            from app.models import Post, User


            def feed():
                for user in User.query.all():
                    for post in user.posts:
                        print(post.author.name, [c.id for c in post.comments])
            """, path="app/feed.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=6, count=3, note="nested loop: user.posts, the backref post.author and post.comments"),
        Flag("""
            from app.models import User


            def export():
                return [user.to_dict() for user in User.query.paginate(page=1, per_page=20).items]
            """, path="app/export.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=5, count=1, note="a model method that reads a lazy relationship, paginate(...).items"),
        Flag("""
            from app.models import User


            def counts():
                return {u.id: u.followers.count() for u in User.query}
            """, path="app/stats.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=5, note="lazy=\"dynamic\": a query per access"),
        Flag("""
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.models import Author, Book


            def titles(session: Session):
                books = session.scalars(select(Book).where(Book.id > 10)).all()
                names = [book.author.id for book in books]
                stmt = select(Author).order_by(Author.id)
                for author in session.execute(stmt).scalars():
                    print(author.books)
                return names
            """, path="app/service.py", files={"app/models.py": MODELS_SA2}, line=9, count=2,
            note="SQLAlchemy 2.0: scalars(select()), execute(select()).scalars()"),
        Flag("""
            from django.shortcuts import render

            from library.models import Author, Book


            def index(request):
                books = Book.objects.filter(title__icontains="django").order_by("title")
                rows = [(b.title, b.author.name, b.publisher.name) for b in books]
                for author in Author.objects.all():
                    print(author.books.count(), author.created_by.username)
                return render(request, "index.html", {"rows": rows})
            """, path="library/views.py", files={"library/models.py": MODELS_DJANGO}, line=8, count=4,
            note="Django: forward keys, related_name, a key inherited from an abstract base"),
        Flag("""
            from library.models import Tag


            def tag_report():
                for tag in Tag.objects.all():
                    print([b.title for b in tag.book_set.all()])
            """, path="library/report.py", files={"library/models.py": MODELS_DJANGO}, line=6,
            note="Django reverse accessor of a ManyToManyField"),
        Quiet("""
            from sqlalchemy.orm import joinedload, selectinload

            from app.models import Post, User


            def feed():
                users = User.query.options(selectinload(User.posts).joinedload(Post.comments)).all()
                for user in users:
                    for post in user.posts:
                        print(post.title, len(post.comments), [t.id for t in post.tags])
            """, path="app/feed.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            note="eager-loaded through a chained path; tags declared lazy=\"selectin\""),
        Quiet("""
            from sqlalchemy import select
            from sqlalchemy.orm import Session, selectinload

            from app.models import Author, Book


            def titles(session: Session):
                for book in session.scalars(select(Book)):
                    print(book.title, book.publisher, book.author_id)
                stmt = select(Author).options(selectinload(Author.books))
                return [len(a.books) for a in session.execute(stmt).scalars()]
            """, path="app/service.py", files={"app/models.py": MODELS_SA2},
            note="lazy=\"joined\" relationship, a plain column, options() on a statement in a variable"),
        Quiet("""
            from django.db.models import Prefetch

            from library.models import Author, Book


            def index():
                for book in Book.objects.select_related("author", "publisher"):
                    print(book.author.name, book.publisher.name, book.author_id)
                authors = Author.objects.prefetch_related(Prefetch("books", queryset=Book.objects.all()))
                authors = authors.filter(name__startswith="A")
                for author in authors:
                    print(author.books.all(), author.books.count())
                    author.books.add(Book())
            """, path="library/views.py", files={"library/models.py": MODELS_DJANGO},
            note="select_related / prefetch_related naming the relationship; writes through a manager"),
        Quiet("""
            from app.models import User


            def names(users, rows):
                for user in users:
                    print(user.posts)
                author = User.query.get(1)
                print(author.posts)
                for row in rows:
                    print(row.posts)
            """, path="app/names.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            note="a loop over a parameter, a single object, an unknown iterable"),
        Flag("""
            from library.models import Book

            ALL_BOOKS = Book.objects.all()


            def report():
                def titles():
                    return [b.author.name for b in ALL_BOOKS]
                return titles()
            """, path="library/report.py", files={"library/models.py": MODELS_DJANGO}, line=8,
            note="a module-level queryset, read in a nested function"),
        Flag("""
            from library import models


            def report():
                for i, book in enumerate(models.Book.objects.filter(title="x")):
                    print(i, book.publisher.name)
            """, path="library/report.py", files={"library/models.py": MODELS_DJANGO}, line=6,
            note="enumerate() over `models.Book.objects`, the model reached through its module"),
        Flag("""
            from django.shortcuts import render

            from shop.models import Invoice


            def invoices(request):
                rows = Invoice.objects.filter(paid=False)
                return render(request, "invoices.html", {"rows": [(i.number, i.customer.name) for i in rows]})
            """, path="shop/views.py", files={
                "shop/models/__init__.py": "from .customers import *\nfrom .billing import *\n",
                "shop/models/customers.py": CUSTOMERS_DJANGO, "shop/models/billing.py": BILLING_DJANGO},
            line=8, note="models re-exported by the package's `__init__` with `from .x import *`"),
        Quiet("""
            from shop.models import Invoice


            def copy_invoices(source, target):
                for invoice in Invoice.objects.filter(customer=source):
                    invoice.pk = None
                    invoice.customer = target
                    invoice.save()
            """, path="shop/services.py", files={
                "shop/models/__init__.py": "from .customers import *\nfrom .billing import *\n",
                "shop/models/customers.py": CUSTOMERS_DJANGO, "shop/models/billing.py": BILLING_DJANGO},
            note="save() reads the foreign key the loop has just assigned: no load"),
    )

    # libcst runs only in files with a candidate (bplint.project.orm_triggers)
    ast_trigger_types = orm_triggers.TRIGGER_TYPES
    ast_trigger = staticmethod(orm_triggers.n_plus_one)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "for " in ctx.text and orm_index(ctx.index, note=False).any_models

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._skip: set[int] = set()
        self._called: set[int] = set()
        self._reported: set[tuple[int, tuple[str, ...]]] = set()
        self._anchors: list[object] = []
        self._assigned: set[tuple[str, str]] = set()  # (loop variable, relation) set in the loop body

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._skip.add(id(node.target))
        target = node.target
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and self.reader.in_typed_loop:
            # `question.event = self` before `question.save()`: the relation holds that object, no load
            self._assigned.add((target.value.value, target.attr.value))

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        self._assigned = {(name, attr) for name, attr in self._assigned if name not in _target_names(node.target)}

    def _was_assigned(self, node: cst.Attribute, relation: Relation) -> bool:
        return isinstance(node.value, cst.Name) and (node.value.value, relation.name) in self._assigned

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._skip.add(id(node.target))

    def visit_Del(self, node: cst.Del) -> None:
        self._skip.add(id(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        self._called.add(id(node.func))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self.reader.in_typed_loop:
            return
        if isinstance(node.value, cst.Attribute) and node.attr.value in MANAGER_WRITES:
            self._skip.add(id(node.value))
        if id(node) in self._skip:
            return
        owner = self.reader.element_of(node.value)
        if owner is None:
            return
        attr = node.attr.value
        orm = self.reader.orm
        relation = orm.relation(owner.model, attr)
        if relation is not None:
            self._check_relation(node, owner, relation)
            return
        method = orm.method(owner.model, attr)
        if method is None or not (method.is_property or id(node) in self._called):
            return
        for read in sorted(method.self_reads):
            inner = orm.relation(owner.model, read)
            if inner is not None and self._was_assigned(node, inner):
                continue
            if inner is not None and (inner.lazy in QUERY_PER_ACCESS or not owner.loads(inner)):
                if self._once(owner, inner):
                    what = f"`{_source(self.ctx, node)}{'' if method.is_property else '()'}`"
                    self.report(node, f"{what} reads the lazy relationship `{owner.model.name}.{inner.name}` once "
                                      f"per row of this loop (N+1 queries); load it with the query: "
                                      f"`{eager_fix(owner, inner)}`.")
                return

    def _once(self, owner: Element, relation: Relation) -> bool:
        anchor = owner.query if owner.query is not None else owner
        key = (id(anchor), owner.path + (relation.name,))
        if key in self._reported:
            return False
        self._reported.add(key)
        self._anchors.append(anchor)  # keeps the id from being reused by a later loop's query
        return True

    def _check_relation(self, node: cst.Attribute, owner: Element, relation: Relation) -> None:
        declared = f"{owner.model.name}.{relation.name}"
        if relation.orm == SA and relation.lazy in QUERY_PER_ACCESS:
            if self._once(owner, relation):
                self.report(node, f"`{_source(self.ctx, node)}` is a `lazy=\"{relation.lazy}\"` relationship "
                                  f"(`{declared}`): every access runs a query, once per row of this loop; "
                                  f"declare it `lazy=\"selectin\"` and load it with the query "
                                  f"(`{eager_fix(owner, relation)}`), or query the related rows for all rows at once.")
            return
        if owner.loads(relation) or self._was_assigned(node, relation) or not self._once(owner, relation):
            return
        self.report(node, f"`{_source(self.ctx, node)}` lazy-loads `{declared}` once per row of this loop "
                          f"(N+1 queries); load it with the query: `{eager_fix(owner, relation)}`.")
