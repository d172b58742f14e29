"""Take screenshots of a running OneWindow (for the README and for looking at pages).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 docs/screenshots
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = [
    ("home", "/", 1280),
    ("home-phone", "/", 390),
    ("search", "/search/?q=健康证", 1280),
    ("chief-representatives", "/chief-representatives/", 1280),
]


def main() -> None:
    base, out = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        for name, path, width in PAGES:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(base + path)
            page.screenshot(path=str(out / f"{name}.png"), full_page=name != "home")
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/search/?q=健康证")
        link = page.locator("main a[href^='/items/']").first
        link.click()
        page.screenshot(path=str(out / "guide.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
