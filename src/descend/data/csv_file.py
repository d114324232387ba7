"""Tabular data from a CSV file with a header row: features, a target column, names."""

from __future__ import annotations

import csv
import numbers
import re
from pathlib import Path

import numpy as np

_INTEGER = re.compile(r"^[+-]?\d+$")
_DELIMITERS = (",", ";", "\t", "|")  # what spreadsheet programs write between cells


def load_csv(
    path: str | Path,
    target: str | int | None = None,
    delimiter: str = ",",
    return_classes: bool = False,
):
    """Features and targets from a CSV file whose first row names the columns.

    Parameters
    ----------
    path : str or Path
    target : str or int, optional
        The target column, by name or by index (negative counts from the end);
        the last column unless given.
    delimiter : str
        The character between cells.
    return_classes : bool
        Also return the class names of a text target column (None otherwise).

    Returns
    -------
    X : ndarray of float64, shape (N, F)
        Every column but the target; each cell must be a finite number.
    y : ndarray, shape (N,)
        int64 if the target column holds whole numbers, float64 if it holds other
        numbers; if it holds text (class names), int64 codes 0..C-1 numbering the
        names in sorted order.
    feature_names : list of str
    class_names : list of str or None, only with ``return_classes=True``

    Raises
    ------
    ValueError
        For an empty file, a missing header, a row with the wrong number of cells, an
        empty or non-numeric feature cell, or an unknown target column. The message
        names the file, the line and the column:
        ``data.csv line 5, column 'age': expected a number, got 'abc'``.

    Examples
    --------
    >>> rows = ["petal_length,petal_width,species", "1.4,0.2,setosa",
    ...         "4.7,1.4,versicolor", "6.0,2.5,virginica", "1.3,0.2,setosa"]
    >>> with open("flowers.csv", "w") as f:
    ...     for row in rows:
    ...         print(row, file=f)
    >>> X, y, names, classes = load_csv("flowers.csv", target="species", return_classes=True)
    >>> X.shape, y, names
    ((4, 2), array([0, 1, 2, 0]), ['petal_length', 'petal_width'])
    >>> classes
    ['setosa', 'versicolor', 'virginica']
    """
    path = Path(path)
    lines, header, rows = _read_rows(path, delimiter)
    column = _target_index(path, header, target)
    cells = np.array(rows, dtype=object).reshape(len(rows), len(header))
    feature_columns = [j for j in range(len(header)) if j != column]
    if not feature_columns:
        raise ValueError(
            f"{path} has only the target column {header[column]!r}: no feature columns"
        )
    X = np.empty((len(rows), len(feature_columns)), dtype=np.float64)
    for k, j in enumerate(feature_columns):
        X[:, k] = _numbers(cells[:, j], path, lines, header[j])
    y, classes = _targets(cells[:, column], path, lines, header[column])
    names = [header[j] for j in feature_columns]
    return (X, y, names, classes) if return_classes else (X, y, names)


def load_csv_features(path: str | Path, delimiter: str = ",", columns=None):
    """Every column of a CSV file as numbers, no target: new rows to predict on.

    ``columns``: read only the columns of these names, in this order (the others, such
    as a target column of text, are not read); a ValueError names any missing.

    Returns
    -------
    X : ndarray of float64, shape (N, F)
    names : list of str
        The names of the columns read (the header's, without ``columns``).

    Raises
    ------
    ValueError
        As :func:`load_csv`, naming file, line and column of a bad cell.
    """
    path = Path(path)
    lines, header, rows = _read_rows(path, delimiter)
    cells = np.array(rows, dtype=object).reshape(len(rows), len(header))
    names = header if columns is None else list(columns)
    missing = [name for name in names if name not in header]
    if missing:
        raise ValueError(f"{path} has no column {missing[0]!r}; its columns are {header}")
    X = np.empty((len(rows), len(names)), dtype=np.float64)
    for k, name in enumerate(names):
        X[:, k] = _numbers(cells[:, header.index(name)], path, lines, name)
    return X, names


def _read_rows(path: Path, delimiter: str) -> tuple[list[int], list[str], list[list[str]]]:
    """The header, the data rows (stripped cells) and the line number of each row."""
    lines, rows = [], []
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet programs write.
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, delimiter=delimiter)
            try:
                start = 1  # the line a record starts on (a quoted cell can span lines)
                for row in reader:
                    if row:  # not a blank line
                        lines.append(start)
                        rows.append([cell.strip() for cell in row])
                    start = reader.line_num + 1
            except csv.Error as error:
                raise ValueError(f"{path} line {reader.line_num}: {error}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a UTF-8 text file: expected CSV text") from None
    if not rows:
        raise ValueError(f"{path} is empty: expected a header row of column names, then data")
    header, first_line = rows.pop(0), lines.pop(0)
    other = next((d for d in _DELIMITERS if d != delimiter and d in header[0]), None)
    if len(header) == 1 and other is not None:
        raise ValueError(
            f"{path} line {first_line}: one column {header[0]!r}; its names seem separated "
            f"by {other!r}: expected values separated by {delimiter!r} (CSV)"
        )
    if all(_is_number(name) for name in header):
        raise ValueError(
            f"{path} line {first_line}: expected a header row of column names, "
            f"got numbers {header[:5]}"
        )
    for j, name in enumerate(header):
        if not name:
            raise ValueError(
                f"{path} line {first_line}: column {j} has no name in the header "
                f"(an index column written by pandas? save with index=False)"
            )
        if header.count(name) > 1:
            raise ValueError(
                f"{path} line {first_line}: the header names {header.count(name)} columns "
                f"{name!r}; each column needs a name of its own"
            )
    if not rows:
        raise ValueError(f"{path} has a header but no data rows")
    for line, row in zip(lines, rows, strict=True):
        if len(row) != len(header):
            raise ValueError(
                f"{path} line {line}: expected {len(header)} cells as in the header, got {len(row)}"
            )
    return lines, header, rows


def _target_index(path: Path, header: list[str], target) -> int:
    if target is None:
        return len(header) - 1
    if isinstance(target, str):
        if header.count(target) > 1:
            raise ValueError(f"{path}: the header names {header.count(target)} columns {target!r}")
        if target not in header:
            raise ValueError(
                f"{path} has no column {target!r}; its columns are "
                + ", ".join(repr(name) for name in header)
            )
        return header.index(target)
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        if not -len(header) <= target < len(header):
            raise ValueError(
                f"{path} has {len(header)} columns, so target={target} is out of range"
            )
        return int(target) % len(header)
    raise TypeError(f"target must be a column name or index, got {type(target).__name__}")


def _numbers(cells: np.ndarray, path: Path, lines: list[int], name: str) -> np.ndarray:
    """A column of cells as float64, or a ValueError pointing at the first bad cell."""
    try:
        values = cells.astype(np.float64)
    except ValueError:
        for i, cell in enumerate(cells):
            if not _is_number(cell):
                raise ValueError(_bad_cell(path, lines[i], name, cell)) from None
        raise  # unreachable: some cell failed to parse above
    finite = np.isfinite(values)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(
            f"{path} line {lines[i]}, column {name!r}: expected a finite number, got {cells[i]!r}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.var(values)
    if not np.isfinite(spread):  # standardising divides by it: it must be a number
        i = int(np.argmax(np.abs(values - np.median(values))))
        raise ValueError(
            f"{path} line {lines[i]}, column {name!r}: {cells[i]} is too large to "
            f"standardise (its square overflows); rescale the column, e.g. to other units"
        )
    return values


def _targets(cells: np.ndarray, path: Path, lines: list[int], name: str):
    """The target column: whole numbers, other numbers, or class names; and the names."""
    numeric = np.array([_is_number(cell) for cell in cells])
    if numeric.all():
        if all(_INTEGER.match(cell) for cell in cells):
            return cells.astype(np.int64), None
        return _numbers(cells, path, lines, name), None
    for i, cell in enumerate(cells):
        if not cell:
            raise ValueError(_bad_cell(path, lines[i], name, cell))
    if numeric.any():
        i = int(np.argmin(numeric))
        raise ValueError(
            f"{path} line {lines[i]}, column {name!r}: expected a number like the other "
            f"cells of the column, got {cells[i]!r}"
        )
    classes, codes = np.unique(cells.astype(str), return_inverse=True)
    return codes.astype(np.int64), classes.tolist()


def _bad_cell(path: Path, line: int, name: str, cell: str) -> str:
    where = f"{path} line {line}, column {name!r}"
    return f"{where}: empty cell" if not cell else f"{where}: expected a number, got {cell!r}"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV file (empty when it cannot be read; loading then says why)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            return [cell.strip() for cell in next(csv.reader(file), [])]
    except (UnicodeDecodeError, csv.Error):
        return []
