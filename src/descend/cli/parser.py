"""The parser classes of the ``descend`` command, light enough that ``descend --version``
and ``descend --help`` import nothing else (no NumPy)."""

from __future__ import annotations

import argparse


class UsageError(ValueError):
    """Bad input from the person at the keyboard: one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    """Bad options end with one line too, as every bad input does."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrap to the terminal; text of several lines (examples) stays as written."""

    def _fill_text(self, text, width, indent):
        if "\n" in text.strip("\n"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)
