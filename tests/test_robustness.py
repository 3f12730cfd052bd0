"""Hostile-but-fair input (issue 16): odd dates, odd files, odd paths, damaged index folders, odd questions.

Each test here failed before its fix; fast (hash embedder, WordCounter or the real tokenizer only).
"""

from __future__ import annotations

from datetime import date

from qa.text.dates import resolve_time

from .conftest import SAMPLE


# -- 5. 'What happened in 0000?' -------------------------------------------------------------------

def test_year_zero_in_a_question_is_no_date_window():
    scope = resolve_time("What happened in 0000?", date(2021, 2, 1))
    assert scope.date_from is None and scope.date_to is None
    # a window that would start before year 1 is no window either
    assert resolve_time("What happened last year?", date(1, 3, 1)).date_from is None


def test_year_zero_question_is_answered_not_a_traceback(fake_assistant):
    a = fake_assistant(["Huawei sold its Honor smartphone brand in November [1]."], paths=(SAMPLE,))
    answer = a.ask("What happened in 0000?", as_of="2021-02-01")
    assert answer.text
