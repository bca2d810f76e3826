"""BP506: route paths that name an action (`/getUsers`, `/users/delete/<id>`) instead of a resource."""

from __future__ import annotations

import re

from bplint.project import routes
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity, Span
from bplint.rule import Flag, Precision, ProjectRule, Quiet


CRUD_VERBS = frozenset({"get", "fetch", "create", "add", "new", "update", "edit", "modify", "delete", "remove",
                        "insert", "set"})
# This many action-named routes are the API's convention, not a slip: the rule reports odd ones out.
CONVENTION = 3
# HTML-form convention: `/posts/new`, `/posts/<id>/edit` serve the form page for GET.
FORM_PAGE_SEGMENTS = frozenset({"new", "edit"})
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def verb_segment(path: str) -> str | None:
    """The first path segment that starts with a CRUD verb (`getUsers`, `create_user`, `delete`)."""
    for segment in re.split(r"[/^$]+", path):
        if not segment or segment.startswith(("<", "{", "(", "?", ":")):
            continue
        words = [w.lower() for w in _WORD.findall(segment)]
        if words and words[0] in CRUD_VERBS:
            return segment
    return None


class VerbInRoute(ProjectRule):
    code = "BP506"
    name = "verb-in-route"
    category = "routes"
    severity = Severity.INFO
    precision = Precision(1, 10, "2026-12-02", debatable=2, unseen=(1, 3))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Route path names an action instead of a resource"
    what = ("Finds route paths with a segment that starts with a CRUD verb: get, fetch, create, add, new, "
            "update, edit, modify, delete, remove, insert, set (`/getUsers`, `/create_user`, "
            "`/users/delete/<id>`, `/updateProfile`). Paths such as `/login`, `/logout`, `/register`, "
            "`/search`, `/reset-password` and `/verify` are actions by nature and stay quiet, as do "
            "`/new` and `/edit` form pages reached with GET. Only JSON APIs are checked: a handler that renders a "
            "template or redirects (`render_template`, `redirect`, Django `render`, a template view) serves "
            "a browser. When three or more routes of the project name actions, that is the API's own "
            "established style (`POST /items/create`, `POST /items/{id}/update` throughout): its clients "
            "call those paths and renaming one would break them, so the rule reports only the odd ones "
            "out of an otherwise resource-named API. Test code and documentation snippets are not checked.")
    why = ("The HTTP method already says what happens; a verb in the path duplicates it, invites "
           "`GET /deleteUser` (which crawlers and prefetchers will follow), and makes the API "
           "inconsistent to use.")
    how_to_fix = ("Name the resource and let the method carry the action: `DELETE /users/<id>` instead of "
                  "`/users/delete/<id>`, `POST /users` instead of `/create_user`.")
    bad = '@bp.route("/users/delete/<int:user_id>", methods=["POST"])\ndef delete_user(user_id): ...\n'
    good = '@bp.delete("/users/<int:user_id>")\ndef delete_user(user_id): ...\n'
    examples = (
        Flag("""
            from flask import Blueprint

            bp = Blueprint("users", __name__)

            @bp.get("/users")
            def users():
                return []

            @bp.post("/users")
            def create():
                return {}, 201

            @bp.route("/users/delete/<int:user_id>", methods=["POST"])
            def delete(user_id):
                return "", 204

            @bp.put("/updateProfile")
            def profile():
                return {}
            """, line=13, count=2, note="two action names in an otherwise resource-named API"),
        Quiet("""
            from fastapi import APIRouter

            router = APIRouter(prefix="/notes")

            @router.post("/create")
            async def create_note(form: dict): ...

            @router.post("/{note_id}/update")
            async def update_note(note_id: str, form: dict): ...

            @router.delete("/{note_id}/delete")
            async def delete_note(note_id: str): ...

            @router.get("/{note_id}")
            async def get_note(note_id: str): ...
            """, note="the API's own established convention"),
        Quiet("""
            from flask import Blueprint, redirect, render_template, url_for

            bp = Blueprint("admin", __name__)

            @bp.route("/users/delete/<int:user_id>", methods=["POST"])
            def delete_user(user_id):
                remove(user_id)
                return redirect(url_for("admin.users"))

            @bp.route("/settings/update", methods=["GET", "POST"])
            def update_settings():
                return render_template("settings.html")
            """, note="form posts and pages of a server-rendered site"),
        Flag("""
            from django.urls import path
            from . import views

            urlpatterns = [path("orders/remove/<int:pk>/", views.remove_order)]
            """, path="shop/urls.py", files={"shop/views.py": "def remove_order(request, pk):\n    pass\n"},
            line=4),
        Quiet("""
            from fastapi import APIRouter

            router = APIRouter()

            @router.post("/login")
            def login(): ...

            @router.post("/logout")
            def logout(): ...

            @router.post("/register")
            def register(): ...

            @router.get("/search")
            def search(): ...

            @router.post("/reset-password")
            def reset_password(): ...

            @router.get("/verify")
            def verify(): ...

            @router.get("/settings")
            def settings(): ...

            @router.get("/users/{user_id}/addresses")
            def addresses(user_id: int): ...
            """),
        Quiet("""
            from flask import Blueprint

            bp = Blueprint("posts", __name__)

            @bp.route("/posts/new", methods=["GET", "POST"])
            def new_post(): ...

            @bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
            def edit_post(post_id): ...
            """, note="HTML form pages"),
    )

    def check(self) -> None:
        index = self.project.index
        found: dict[tuple[str, int, int], tuple[str, str, Span]] = {}
        for route in routes.project_routes(index).routes:
            where = route.declared_in
            if route.path is None or route.path_location is None or where is None \
                    or index.role_of(where) not in self.roles or route.page:
                continue  # pages and form posts answer a browser: REST naming is for JSON APIs
            segment = verb_segment(route.path)
            if segment is None:
                continue
            if segment.lower() in FORM_PAGE_SEGMENTS and (not route.methods or "GET" in route.methods):
                continue
            location = route.path_location
            span = Span(location.line, location.column, location.end_line, location.end_column)
            found.setdefault((where, location.line, location.column), (where, segment, span))
        if len(found) >= CONVENTION:
            return  # the API's own, established style: renaming one route breaks its clients
        for where, segment, span in found.values():
            self.report(where, span, f"Name the resource in the path and let the HTTP method carry the action "
                                     f"(`{segment}` is a verb): e.g. {_idiom(segment)}.")


# The REST spelling of each kind of action, for the message.
_IDIOMS = (
    (("get", "fetch"), "`GET /users` or `GET /users/<id>` instead of `/getUsers`"),
    (("create", "add", "new", "insert"), "`POST /users` instead of `/users/create`"),
    (("update", "edit", "modify", "set"), "`PUT` or `PATCH /users/<id>` instead of `/users/update/<id>`"),
    (("delete", "remove"), "`DELETE /users/<id>` instead of `/users/delete/<id>`"),
)


def _idiom(segment: str) -> str:
    word = re.split(r"[_\-]|(?<=[a-z])(?=[A-Z])", segment)[0].lower()
    for verbs, idiom in _IDIOMS:
        if word in verbs:
            return idiom
    return _IDIOMS[-1][1]
