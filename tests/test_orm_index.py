"""The ORM model index (bplint.project.orm_models) and query recognition (bplint.project.orm_queries)."""

import textwrap
from pathlib import Path

from bplint.config import build_config
from bplint.discover.discovery import discover
from bplint.discover.workset import Workset
from bplint.project.orm_models import OrmIndex
from bplint.scan.engine import build_index, scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def model_index(tmp_path: Path, files: dict[str, str]) -> OrmIndex:
    write_project(tmp_path, {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()})
    config = build_config({"select": ["BP4"]}, all_rules(), root=tmp_path)
    found = discover([tmp_path], config.root, config.exclude, tmp_path)
    return OrmIndex(build_index(Workset.of(found.files), config, tmp_path))


def findings(tmp_path: Path, files: dict[str, str], code: str = "BP401"):
    write_project(tmp_path, {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()})
    config = build_config({"select": [code]}, all_rules(), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert not [e for e in result.errors if e.internal]
    return [(f.path, f.line) for f in result.findings if f.code == code]


SA_MODELS = {
    "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy as Alchemy\n\ndb = Alchemy()\n",
    "app/mixins.py": """
        from sqlalchemy.orm import declared_attr

        from app.extensions import db


        class OwnedMixin:
            @declared_attr
            def owner(cls):
                return db.relationship("User")
        """,
    "app/models/__init__.py": "from .user import User\nfrom .post import Post\n",
    "app/models/user.py": """
        from app.extensions import db


        class User(db.Model):
            __tablename__ = "users"
            id = db.Column(db.Integer, primary_key=True)
            posts = db.relationship("Post", backref=db.backref("writer", lazy="joined"), lazy="dynamic")
        """,
    "app/models/post.py": """
        from app.extensions import db
        from app.mixins import OwnedMixin


        class Post(OwnedMixin, db.Model):
            id = db.Column(db.Integer, primary_key=True)
            user_id = db.Column(db.ForeignKey("users.id"))
        """,
}


def test_flask_sqlalchemy_models_backrefs_and_mixins(tmp_path):
    view = model_index(tmp_path, SA_MODELS)
    user = view.model_named("app.models.user.User")
    post = view.model_named("app.models.Post")  # through the package's re-export
    assert user is not None and post is not None and user.orm == post.orm == "sqlalchemy"
    posts = view.relation(user, "posts")
    assert posts.lazy == "dynamic" and posts.collection is True and posts.target is post
    writer = view.relation(post, "writer")
    assert writer.lazy == "joined" and writer.target is user and writer.collection is False
    owner = view.relation(post, "owner")  # declared on a mixin
    assert owner is not None and owner.target is user


def test_sqlalchemy_2_mapped_annotations(tmp_path):
    view = model_index(tmp_path, {"app/models.py": """
        from typing import List, Optional

        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import DeclarativeBase, DynamicMapped, Mapped, mapped_column, relationship


        class Base(DeclarativeBase):
            pass


        class Parent(Base):
            __tablename__ = "parent"
            id: Mapped[int] = mapped_column(primary_key=True)
            children: Mapped[List["Child"]] = relationship(back_populates="parent", lazy="selectin")
            log: DynamicMapped["Child"] = relationship()


        class Child(Base):
            __tablename__ = "child"
            id: Mapped[int] = mapped_column(primary_key=True)
            parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
            parent: Mapped[Optional["Parent"]] = relationship(back_populates="children")
        """})
    parent, child = view.model_named("app.models.Parent"), view.model_named("app.models.Child")
    assert view.relation(parent, "children").collection is True
    assert view.relation(parent, "children").lazy == "selectin"
    assert view.relation(parent, "log").lazy == "dynamic"
    assert view.relation(child, "parent").collection is False and view.relation(child, "parent").target is parent


def test_django_reverse_accessors_related_names_and_abstract_bases(tmp_path):
    view = model_index(tmp_path, {
        "shop/models.py": """
            from django.conf import settings
            from django.db import models


            class Owned(models.Model):
                owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="%(class)s_owned")

                class Meta:
                    abstract = True


            class Store(Owned):
                pass


            class Product(Owned):
                store = models.ForeignKey("shop.Store", models.CASCADE, related_query_name="product")
                tags = models.ManyToManyField("Tag", related_name="products")
                detail = models.OneToOneField("Detail", models.CASCADE)
                parent = models.ForeignKey("self", models.CASCADE, null=True, related_name="+")


            class Tag(models.Model):
                pass


            class Detail(models.Model):
                pass
            """,
        "accounts/models.py": """
            from django.contrib.auth.models import AbstractUser


            class User(AbstractUser):
                pass
            """,
    })
    store, product = view.model_named("shop.models.Store"), view.model_named("shop.models.Product")
    tag, detail = view.model_named("shop.models.Tag"), view.model_named("shop.models.Detail")
    user = view.model_named("accounts.models.User")
    assert view.relation(store, "product_set").target is product
    assert view.relation(tag, "products").collection is True
    assert view.relation(detail, "product").collection is False  # reverse one-to-one
    assert view.relation(product, "parent") is not None and view.relation(product, "product_set") is None
    assert view.relation(user, "store_owned").target is store and view.relation(user, "product_owned") is not None
    assert view.relation(product, "owner").forward and view.relation(product, "owner").target is user


def test_no_models_no_crash_on_odd_classes(tmp_path):
    view = model_index(tmp_path, {"odd.py": """
        class A(B, metaclass=M):
            x = relationship()
            y = models.ForeignKey()
            z: Mapped["list["] = relationship("")

            class Meta:
                abstract = 1
        """})
    assert view.models


def test_loop_over_a_name_rebound_with_eager_loading(tmp_path):
    files = {**SA_MODELS, "app/views.py": """
        from sqlalchemy.orm import selectinload

        from app.models import Post, User


        def feed(only_active):
            posts = Post.query
            if only_active:
                posts = posts.filter_by(active=True)
            posts = posts.options(selectinload(Post.owner)).all()
            for post in posts:
                print(post.owner, post.writer)
            for post in Post.query.filter_by(active=True).all():
                print(post.owner)
        """}
    assert findings(tmp_path, files) == [("app/views.py", 14)]


def test_django_prefetch_to_attr_and_nested_querysets(tmp_path):
    files = {"blog/models.py": """
        from django.db import models


        class Author(models.Model):
            pass


        class Entry(models.Model):
            author = models.ForeignKey(Author, models.CASCADE, related_name="entries")
            blog = models.ForeignKey("Blog", models.CASCADE)


        class Blog(models.Model):
            pass
        """, "blog/views.py": """
        from django.db.models import Prefetch

        from blog.models import Author, Entry


        def page():
            authors = Author.objects.prefetch_related(
                Prefetch("entries", queryset=Entry.objects.select_related("blog"), to_attr="recent"))
            for author in authors:
                print(author.recent, [e.blog for e in author.recent])
                print(author.entries.all())
            for author in Author.objects.prefetch_related(Prefetch("entries", queryset=Entry.objects.select_related("blog"))):
                print([e.blog.id for e in author.entries.all()])
        """}
    assert findings(tmp_path, files) == [("blog/views.py", 11)]
