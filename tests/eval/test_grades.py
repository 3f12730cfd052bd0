"""eval/reporter.py grades: key facts read by hand, counted per shape."""
import json

import pytest

from eval.reporter import read_grades


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_grades_are_counted_per_shape_and_unanswerables_apart(tmp_path):
    gold = _write(tmp_path / "gold.jsonl", [{"id": "a", "shape": "fact"}, {"id": "b", "shape": "summary"},
                                            {"id": "c", "shape": "fact"}])
    grades = _write(tmp_path / "g.jsonl", [
        {"id": "a", "fact": "x", "stated": True}, {"id": "a", "fact": "y", "stated": False},
        {"id": "b", "fact": "z", "stated": False},
        {"id": "c", "unanswerable": True, "presents_an_answer": True}])
    got = read_grades(grades, gold)
    assert got["all"] == {"facts": 3, "stated": 1, "share": 0.3333}
    assert got["fact"]["share"] == 0.5 and got["summary"]["share"] == 0.0
    assert got["unanswerable"] == {"n": 1, "present_an_answer": 1}


def test_grades_of_another_gold_file_are_refused(tmp_path):
    gold = _write(tmp_path / "gold.jsonl", [{"id": "a", "shape": "fact"}])
    grades = _write(tmp_path / "g.jsonl", [{"id": "zz", "fact": "x", "stated": True}])
    with pytest.raises(SystemExit, match="ids not in"):
        read_grades(grades, gold)
