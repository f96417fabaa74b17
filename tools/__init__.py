"""The ``hidups`` subcommands, one module each: argument parsing and printing only.

Installed as ``hidups.tools`` from the top-level ``tools/`` folder (``package-dir`` in
pyproject.toml); what the commands compute lives in the library below them.
"""
