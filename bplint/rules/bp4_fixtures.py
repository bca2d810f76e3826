"""Small projects the BP4 rules' examples share: models for Flask-SQLAlchemy, SQLAlchemy 2.0
and Django, and the Flask-SQLAlchemy object they use."""

MODELS_SA = '''\
from app.extensions import db


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))
    posts = db.relationship("Post", backref="author", lazy=True)
    followers = db.relationship("User", lazy="dynamic")

    def to_dict(self):
        return {"name": self.name, "posts": [p.title for p in self.posts]}


class Post(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200))
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    comments = db.relationship("Comment", lazy="select")
    tags = db.relationship("Tag", lazy="selectin")


class Comment(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    post_id = db.Column(db.Integer, db.ForeignKey("post.id"))


class Tag(db.Model):
    id = db.Column(db.Integer, primary_key=True)
'''
EXTENSIONS = "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"

MODELS_SA2 = '''\
from typing import List, Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[List["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped["Author"] = relationship(back_populates="books")
    publisher: Mapped[Optional["Publisher"]] = relationship(lazy="joined")


class Publisher(Base):
    __tablename__ = "publishers"
    id: Mapped[int] = mapped_column(primary_key=True)
'''

MODELS_DJANGO = '''\
from django.conf import settings
from django.db import models


class TimeStamped(models.Model):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="%(class)s_created")

    class Meta:
        abstract = True


class Author(TimeStamped):
    name = models.CharField(max_length=100)


class Publisher(models.Model):
    name = models.CharField(max_length=100)


class Book(TimeStamped):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    publisher = models.ForeignKey("library.Publisher", on_delete=models.PROTECT)
    tags = models.ManyToManyField("Tag")


class Tag(models.Model):
    label = models.CharField(max_length=50)
'''
