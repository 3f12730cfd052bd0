"""Take the README's screenshots of the browser UI: `python docs/ui/screenshots.py` (real models, Debian's chromium).

It indexes corpus/sample plus two dated demo articles into a temporary folder, starts `qa ui` on it, asks one
question, and saves docs/ui/chat.png, export.png, who-said-what.png and articles.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.assistant import build_index  # noqa: E402
from tests.app.test_browser_views import DATED, QUESTION  # noqa: E402
from tests.app.harness import ask_in_page, chromium_page, running_ui  # noqa: E402

OUT = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "dated").mkdir()
        for name, text in DATED.items():
            (tmp_path / "dated" / name).write_text(text)
        build_index([REPO / "corpus" / "sample", tmp_path / "dated"], tmp_path / "index", progress=False)
        with running_ui(tmp_path / "index", tmp_path / "server.log") as (url, _), chromium_page(1400, 1000) as page:
            page.goto(url)
            ask_in_page(page, QUESTION)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(OUT / "chat.png"))
            page.locator("#qa-export-box").click()
            page.locator("#qa-export-format label", has_text="Markdown").click()
            page.locator("#qa-export-answer").click()
            page.wait_for_function("() => document.querySelector('#qa-export-text textarea')?.value")
            page.locator("#qa-export-box").scroll_into_view_if_needed()
            page.locator("#qa-export-box").screenshot(path=str(OUT / "export.png"))
            page.get_by_role("tab", name="Who said what").click()
            page.locator("#qa-speakers label").first.wait_for()
            page.locator("#qa-person textarea, #qa-person input").first.fill("Raine")
            page.locator("#qa-topic textarea, #qa-topic input").first.fill("chips")
            page.locator("#qa-person-find").click()
            page.locator("#qa-quotes blockquote").first.wait_for()
            page.locator("#qa-quote-pick input").click()
            page.locator("ul[role=listbox] li").first.click()
            page.locator("#qa-quote-article mark").wait_for()
            page.screenshot(path=str(OUT / "who-said-what.png"), full_page=True)
            page.get_by_role("tab", name="Articles").click()
            page.wait_for_function("() => /article/.test(document.querySelector('#qa-art-note')?.innerText || '')")
            page.locator("#qa-art-from textarea, #qa-art-from input").first.fill("2021-01-01")
            page.locator("#qa-art-list").click()
            page.wait_for_function("() => /^1 article/.test(document.querySelector('#qa-art-note')?.innerText || '')")
            page.locator('#qa-articles [data-testid="cell-0-1"]').click()
            page.locator("#qa-article").get_by_text("solar-powered", exact=False).wait_for()
            page.screenshot(path=str(OUT / "articles.png"), full_page=True)
    print(f"saved the screenshots in {OUT}")


if __name__ == "__main__":
    main()
