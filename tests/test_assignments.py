"""Does the course plan in assignments/ match the notebooks, and are bad definitions refused clearly?"""
import pytest

from autograder.engine.assignments import AssignmentError, assignment_names, load_assignment
from cs231n_lib import paths


def test_every_assignment_lists_exactly_its_source_notebooks():
    """Does each assignments/<name>.toml list the notebooks that exist in source_nb/<name>/?"""
    names = assignment_names()
    assert "assignment1" in names
    for name in names:
        a = load_assignment(name)
        on_disk = {p.stem for p in (paths.SOURCE_DIR / name).glob("*.ipynb")}
        assert set(a.notebooks) == on_disk
        assert all(p.is_file() for p in a.source_notebooks())
        assert a.due.tzinfo is not None and a.handout


GOOD = '''title = "t"
notebooks = ["a"]
due = "2027-01-01T00:00:00+00:00"
handout = "h"
[limits]
seconds_per_call = 1
seconds_per_submission = 2
'''


@pytest.mark.parametrize("text,message", [
    (GOOD.replace('notebooks = ["a"]\n', ""), "missing field 'notebooks'"),
    (GOOD.replace('"2027-01-01T00:00:00+00:00"', '"2027-01-01"'), "UTC offset"),
    (GOOD.replace('"2027-01-01T00:00:00+00:00"', '"next friday"'), "not an ISO 8601"),
    (GOOD.replace("seconds_per_call = 1", "seconds_per_call = 5"), "seconds_per_call <="),
    (GOOD.replace('notebooks = ["a"]', "notebooks = []"), "non-empty list"),
    ("title = ", "not valid TOML"),
])
def test_bad_definitions_name_the_problem(tmp_path, text, message):
    """Is each malformed definition refused with a message naming the file and the problem?"""
    (tmp_path / "x.toml").write_text(text)
    with pytest.raises(AssignmentError, match=message) as err:
        load_assignment("x", tmp_path)
    assert "x.toml" in str(err.value)


def test_good_definition_loads(tmp_path):
    """Does a well-formed definition load with the right values?"""
    (tmp_path / "x.toml").write_text(GOOD)
    a = load_assignment("x", tmp_path)
    assert a.notebooks == ("a",) and a.seconds_per_call == 1.0 and a.seconds_per_submission == 2.0
