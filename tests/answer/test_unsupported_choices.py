"""Issue 28 item 9: multiple choice where the articles support none of the choices. A real `qa ask` over a real
index (the real embedding model; extractive, so no GGUF): "Who founded Huawei?" with Paris / London / Tokyo /
Berlin answered "Paris [1]" (a city some passage mentions), with 1 / 2 / 3 / 4 "2" (a number in a weather report).
"""

from __future__ import annotations

import shutil

import pytest

from qa.answer.cite import NO_CHOICE

from tests.conftest import SAMPLE_ARTICLE
from tests.qa_process import run

REAL = {"QA_EMBED_BACKEND": "onnx-int8"}
HISTORY = """How Huawei grew from a Shenzhen start-up

Ren Zhengfei founded Huawei in Shenzhen in 1987 with about 21,000 yuan, selling telephone switches imported from Hong Kong.
The company he founded began designing its own switches a few years later and sold them to rural telephone operators.
Huawei's founder, a former engineer in the People's Liberation Army, still leads the company as its chief executive.
By the late 1990s Huawei was building mobile networks across China, and it expanded abroad in the early 2000s.
Huawei says it is owned by its employees through a trade union committee, and that its founder holds about one percent.
The founder rarely gives interviews, but in recent years he has spoken to reporters about the pressure from Washington.
Huawei became the largest maker of telecoms equipment in the world and, for a time, the largest seller of smartphones.
Analysts say the company's research budget, more than 20 billion dollars a year, is among the largest of any firm.
"""
TRAVEL = """Rail fares rise across Europe

Train tickets between Paris and Brussels will cost more from March, the operator said on Tuesday.
Travellers heading from London to Edinburgh also face higher fares after a review of peak-time prices.
Night trains linking Berlin and Vienna are fully booked for the holidays, according to the rail company.
Tourism officials said visitors to Tokyo reached a record in the autumn, helped by a weaker yen.
"""
WEATHER = """Storms expected this weekend

Heavy rain is forecast for the north of the country on Saturday, with winds of up to 90 kilometres an hour.
Forecasters said 2 rivers could burst their banks and 3 towns have prepared sandbags.
Flights at the regional airport may be delayed, and 4 ferry crossings have been cancelled.
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("choices")
    src = folder / "src"
    src.mkdir()
    shutil.copy(SAMPLE_ARTICLE, src)
    for name, text in (("huawei-history.txt", HISTORY), ("travel.txt", TRAVEL), ("weather.txt", WEATHER)):
        (src / name).write_text(text)
    r = run(["index", str(src), "--index", str(folder / "idx"), "-q"], extra_env=REAL)
    assert r.rc == 0, r.stderr
    return folder / "idx"


@pytest.mark.model
@pytest.mark.parametrize("choices, expected", [
    (["Ren Zhengfei", "Tim Cook", "Satya Nadella", "Jeff Bezos"], "Ren Zhengfei [1]"),
    (["Paris", "London", "Tokyo", "Berlin"], NO_CHOICE),
    (["1", "2", "3", "4"], NO_CHOICE),
])
def test_choices_the_articles_never_support_are_none_of_them(index, choices, expected):
    r = run(["ask", "Who founded Huawei?", "--no-llm", "--choices", *choices, "--index", str(index)], extra_env=REAL)
    assert r.rc == 0 and r.stdout.splitlines()[0] == expected, r.stdout + r.stderr
