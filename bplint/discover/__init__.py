"""Discovery: which files a scan covers and how they are read. Walking the given paths and
skipping what the project ignores, the scan's work set, file kinds and decoding, the file
system beyond the scanned files as rules see it, git (run safely) for changed-files mode, and
the Python version the code is parsed as. Nothing here knows about rules.
"""
