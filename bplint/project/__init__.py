"""The project index and the facts it is built from, gathered before any rule runs: the role
of every file and of regions narrower than a file, test facts, name resolution through
imports, bindings and the small flow check, the ORM models, queries and their cheap
triggers, routes and applications, and the project's dependencies and requirement files.
"""
