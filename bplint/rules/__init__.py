"""The built-in rules, one module per catalog family (``bp1_secrets`` holds BP101-BP102, ...).

The modules are listed in ``bplint.scan.registry.BUILTIN_MODULES``.
"""
