import numpy as np
import pytest

from descend.data import load_csv


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_last_column_is_the_target(tmp_path):
    path = write(tmp_path, "age,height,label\n30,1.8,1\n25, 1.6 ,0\n\n40,1.7,2\n")
    X, y, names = load_csv(path)
    assert X.dtype == np.float64 and X.tolist() == [[30, 1.8], [25, 1.6], [40, 1.7]]
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 2]
    assert names == ["age", "height"]


def test_target_by_name_and_index(tmp_path):
    path = write(tmp_path, "price,rooms,area\n1.5,3,70\n2.25,4,90\n")
    X, y, names = load_csv(path, target="price")
    assert y.dtype == np.float64 and y.tolist() == [1.5, 2.25] and names == ["rooms", "area"]
    X2, y2, names2 = load_csv(path, target=0)
    assert names2 == names and np.array_equal(X, X2) and np.array_equal(y, y2)
    _, y3, names3 = load_csv(path, target=-2)
    assert y3.tolist() == [3, 4] and names3 == ["price", "area"]


def test_text_classes_map_to_sorted_codes(tmp_path):
    path = write(
        tmp_path, "a,b,species\n1,2,virginica\n3,4,setosa\n5,6,virginica\n7,8,versicolor\n"
    )
    X, y, names, classes = load_csv(path, return_classes=True)
    assert classes == ["setosa", "versicolor", "virginica"]
    assert y.dtype == np.int64 and y.tolist() == [2, 0, 2, 1]
    assert load_csv(path)[1].tolist() == [2, 0, 2, 1]
    assert load_csv(write(tmp_path, "a,y\n1,2\n", "n.csv"), return_classes=True)[3] is None


def test_quoted_cells_bom_and_other_delimiter(tmp_path):
    path = write(tmp_path, '\ufeff"x 1";"y"\n"1,5";0\n', "semi.csv")
    with pytest.raises(ValueError, match="expected a number, got '1,5'"):
        load_csv(path, delimiter=";")
    path = write(tmp_path, '\ufeff"x 1";"y"\n"1.5";0\n', "semi.csv")
    X, y, names = load_csv(path, delimiter=";")
    assert names == ["x 1"] and X.tolist() == [[1.5]]


def test_non_numeric_cell_names_file_line_and_column(tmp_path):
    text = "age,height,label\n30,1.8,1\n25,1.6,0\n40,1.7,1\nabc,1.7,1\n"
    path = write(tmp_path, text)
    with pytest.raises(
        ValueError, match=r"data.csv line 5, column 'age': expected a number, got 'abc'"
    ):
        load_csv(path)


def test_empty_cell_and_nan(tmp_path):
    path = write(tmp_path, "age,height,label\n30,,1\n")
    with pytest.raises(ValueError, match=r"data.csv line 2, column 'height': empty cell"):
        load_csv(path)
    path = write(tmp_path, "age,height,label\n30,1,1\n31,NaN,1\n")
    with pytest.raises(
        ValueError, match=r"line 3, column 'height': expected a finite number, got 'NaN'"
    ):
        load_csv(path)
    path = write(tmp_path, "age,label\n30,1\n31,\n")
    with pytest.raises(ValueError, match=r"line 3, column 'label': empty cell"):
        load_csv(path)
    path = write(tmp_path, "age,label\n30,0.5\n31,inf\n")
    with pytest.raises(ValueError, match=r"line 3, column 'label': expected a finite number"):
        load_csv(path)


def test_target_mixing_numbers_and_text(tmp_path):
    path = write(tmp_path, "a,label\n1,0\n2,1\n3,one\n")
    with pytest.raises(
        ValueError, match=r"line 4, column 'label': expected a number like the other"
    ):
        load_csv(path)


def test_missing_target_lists_columns(tmp_path):
    path = write(tmp_path, "age,height,label\n30,1.8,1\n")
    with pytest.raises(
        ValueError, match=r"has no column 'weight'; its columns are 'age', 'height'"
    ):
        load_csv(path, target="weight")
    with pytest.raises(ValueError, match="has 3 columns, so target=3 is out of range"):
        load_csv(path, target=3)
    with pytest.raises(TypeError, match="column name or index"):
        load_csv(path, target=1.0)


def test_structural_errors(tmp_path):
    with pytest.raises(ValueError, match="data.csv is empty"):
        load_csv(write(tmp_path, ""))
    with pytest.raises(ValueError, match="empty"):
        load_csv(write(tmp_path, "\n\n"))
    with pytest.raises(ValueError, match="has a header but no data rows"):
        load_csv(write(tmp_path, "a,b\n"))
    with pytest.raises(
        ValueError, match="line 1: expected a header row of column names, got numbers"
    ):
        load_csv(write(tmp_path, "1,2\n3,4\n"))
    with pytest.raises(ValueError, match="line 3: expected 3 cells as in the header, got 2"):
        load_csv(write(tmp_path, "a,b,c\n1,2,3\n4,5\n"))
    with pytest.raises(ValueError, match="column 0 has no name .* index=False"):
        load_csv(write(tmp_path, ",a,b\n0,1,2\n"))
    with pytest.raises(ValueError, match="only the target column 'y'"):
        load_csv(write(tmp_path, "y\n1\n"))
    with pytest.raises(ValueError, match="names 2 columns 'a'"):
        load_csv(write(tmp_path, "a,a,b\n1,2,3\n"), target="a")
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        load_csv(path)
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "missing.csv")


def test_line_numbers_count_quoted_newlines_and_blank_lines(tmp_path):
    path = write(tmp_path, 'note,x,y\n"two\nlines",1,0\n\n"ok",abc,0\n')
    with pytest.raises(ValueError, match="line 2, column 'note': expected a number, got 'two"):
        load_csv(path)
    path = write(tmp_path, 'x,note,y\n1,"two\nlines",0\n\nabc,ok,0\n')
    with pytest.raises(ValueError, match="line 5, column 'x': expected a number, got 'abc'"):
        load_csv(path, target="y")
