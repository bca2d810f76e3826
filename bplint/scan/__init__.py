"""The scan: the engine that runs discovery, the index, one per-file rule pass (in this
process or in workers, one libcst traversal per file) and the project rules; what a rule
sees (its context), the rule registry, the progress bar and garbage-collector tuning, and
the cache (its codec, its folder, and the last scan served whole).
"""
