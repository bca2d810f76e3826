"""BP4 rules on shapes beyond their catalog examples."""

import textwrap

from bplint.config import build_config
from bplint.engine import scan
from bplint.registry import all_rules
from bplint.testing import write_project
from tests.test_orm_index import SA_MODELS, findings

SESSION_FACTORY = {
    "app/db.py": """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("sqlite://")
        SessionLocal = sessionmaker(bind=engine)
        """,
}


def test_generator_expression_and_enumerate(tmp_path):
    files = {**SA_MODELS, "app/views.py": """
        from app.models import Post


        def owners():
            total = sum(1 for p in Post.query.all() if p.owner)
            for i, post in enumerate(Post.query.all()):
                print(i, post.owner)
            return total
        """}
    assert findings(tmp_path, files) == [("app/views.py", 5), ("app/views.py", 7)]


def test_dynamic_relationship_iterated_in_a_nested_loop(tmp_path):
    files = {**SA_MODELS, "app/views.py": """
        from app.models import User


        def walk():
            for user in User.query.all():
                for post in user.posts:
                    print(post.writer)
        """}
    # user.posts is lazy="dynamic": a query per user; post.writer is a lazy="joined" backref
    assert findings(tmp_path, files) == [("app/views.py", 6)]


def test_session_from_a_sessionmaker_in_another_module(tmp_path):
    files = {**SA_MODELS, **SESSION_FACTORY, "app/jobs.py": """
        from app.db import SessionLocal
        from app.models import User


        def run(ids):
            session = SessionLocal()
            for i in ids:
                session.get(User, i)
                session.commit()
        """}
    assert findings(tmp_path, files, "BP402") == [("app/jobs.py", 8)]
    assert findings(tmp_path, files, "BP407") == [("app/jobs.py", 9)]


def test_sql_built_over_several_statements(tmp_path):
    files = {"app/report.py": """
        def report(cursor, params, columns):
            sql = "SELECT id FROM orders WHERE 1 = 1"
            if params.get("status"):
                sql += " AND status = %s"
            cursor.execute(sql, [params["status"]])
            query = "SELECT " + ", ".join(columns) + " FROM orders"
            cursor.execute(query)
        """}
    assert findings(tmp_path, files, "BP404") == [("app/report.py", 7)]


def test_sql_rules_never_crash_on_odd_shapes(tmp_path):
    files = {"app/odd.py": """
        def odd(cursor, x):
            cursor.execute()
            cursor.execute(*x)
            cursor.execute(sql=f"SELECT {x}")
            (lambda: cursor.execute(f"DELETE FROM t WHERE id = {x}"))()
            for [a, *b] in x:
                a.commit()
        """}
    assert findings(tmp_path, files, "BP404") == [("app/odd.py", 4), ("app/odd.py", 5)]


def test_sql_in_database_backend_classes_is_not_checked(tmp_path):
    files = {
        "mybackend/base.py": """
            from django.db.backends.postgresql.schema import DatabaseSchemaEditor


            class BaseEditor(DatabaseSchemaEditor):
                pass
            """,
        "mybackend/schema.py": """
            from mybackend.base import BaseEditor


            class Editor(BaseEditor):
                def copy(self, table, columns):
                    self.execute("INSERT INTO %s SELECT %s FROM old" % (table, ", ".join(columns)))


            class Report:
                def copy(self, cursor, table):
                    cursor.execute("SELECT * FROM %s" % table)
            """,
    }
    # a class built on a project class that is built on the backend's schema editor is quiet
    assert findings(tmp_path, files, "BP404") == [("mybackend/schema.py", 11)]


def test_ast_triggers_survive_deep_expressions(tmp_path):
    """An 800-term concatenation is a tree 800 levels deep: the trigger analysis must not recurse on it."""
    from bplint import engine
    from bplint.config import build_config
    from bplint.files import FileKind, SourceFile
    from bplint.index import parse_module_facts
    from bplint.registry import all_rules

    terms = " + ".join(f"x{i}" for i in range(800))
    text = f"def deep(cursor, x0):\n    cursor.execute(\"SELECT \" + {terms})\n"
    config = build_config({"select": ["BP4"], "preview": True}, all_rules(), root=tmp_path)
    _, facts = parse_module_facts(SourceFile(tmp_path / "deep.py", "deep.py", FileKind.PYTHON, "deep.py"), text,
                                  engine.ast_triggers(config))
    assert facts.syntax_error is None
    assert "BP404" in facts.triggered


def test_naive_utcnow_on_a_naive_column_asks_for_an_aware_column(tmp_path):
    from bplint.config import build_config
    from bplint.engine import scan
    from bplint.registry import all_rules
    from bplint.testing import write_project

    write_project(tmp_path, {"app/models.py": (
        "import sqlalchemy as sa\nfrom datetime import datetime, timezone\nfrom app.db import db\n\n"
        "class Post(db.Model):\n"
        "    created = db.Column(db.DateTime, default=datetime.utcnow)\n"
        "    updated = sa.Column('updated', sa.DateTime(), onupdate=datetime.utcnow)\n"
        "    seen = db.Column(db.DateTime(timezone=True), default=datetime.utcnow)\n"
        "    day = db.Column(db.Date, default=datetime.utcnow)\n")})
    config = build_config({"select": ["BP406"]}, all_rules(), root=tmp_path)
    found = {f.line: f for f in scan([tmp_path], config, cwd=tmp_path).findings}
    assert sorted(found) == [6, 7, 8, 9]
    for line in (6, 7):
        assert "DateTime(timezone=True)" in found[line].message
        assert found[line].fix is not None and found[line].fix.applicability.value == "unsafe"
        assert "timezone=True" in found[line].fix.message
    for line in (8, 9):
        assert "timezone=True" not in found[line].message


def _messages(tmp_path, files, code):
    write_project(tmp_path, {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()})
    config = build_config({"select": [code], "preview": True}, all_rules(), root=tmp_path)
    return [f.message for f in scan([tmp_path], config, cwd=tmp_path).findings if f.code == code]


def test_query_in_loop_that_already_reads_a_set_is_not_told_to_use_in(tmp_path):
    files = {**SA_MODELS, "app/views.py": """
        from app.models import Post, User


        def report(names, wanted_ids):
            for name in names:
                print(name, Post.query.filter(Post.id.in_(wanted_ids)).count())
            for user_id in wanted_ids:
                print(User.query.filter_by(id=user_id).first())
        """}
    messages = _messages(tmp_path, files, "BP402")
    assert len(messages) == 2
    assert "in_()" not in messages[0] and "run it once before the loop" in messages[0]
    assert "`in_()` filter" in messages[1]


def test_absolute_imports_resolve_in_a_project_scanned_from_the_folder_above_it(tmp_path):
    # an unpacked release: MyApp-1.0/app/... scanned from MyApp-1.0's parent
    files = {f"MyApp-1.0/{path}": text for path, text in SA_MODELS.items()}
    files["MyApp-1.0/app/views.py"] = """
        from app.models import Post


        def owners():
            return [p.owner for p in Post.query.all()]
        """
    assert findings(tmp_path, files) == [("MyApp-1.0/app/views.py", 5)]
