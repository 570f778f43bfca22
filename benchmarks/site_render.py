"""How fast the report's pages open: each page's HTML size and its time to first paint in headless
Chromium, median of N loads.

    pip install -e ".[bench]"              # playwright: drives the system's Chromium, no browser download
    python benchmarks/site_render.py results                      # the site's index and largest page, report.html
                                                                  # (and site/zh/'s, where there is one)
    python benchmarks/site_render.py results --chromium /usr/bin/chromium --loads 5

Measured per page: first contentful paint (the browser's own `performance` entry: when the reader
first sees text) and the load event (every image the page embeds decoded; a lazily loaded figure
below the fold does not count, as it does not for the reader). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path


def measure(browser, path: Path, loads: int) -> dict:
    paints, loaded = [], []
    for _ in range(loads):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(path.absolute().as_uri(), wait_until="load")
        # The paint entry is queued after the load event in headless Chromium: read it through a
        # buffered observer (it then holds the entry even if it came first), 10 s at most.
        timing = page.evaluate("""() => new Promise(resolve => {
            const nav = performance.getEntriesByType('navigation')[0];
            const done = paint => resolve({paint: paint, load: nav ? nav.loadEventEnd : null});
            new PerformanceObserver(list => {
                for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') done(e.startTime);
            }).observe({type: 'paint', buffered: true});
            setTimeout(() => done(null), 10000);
        })""")
        paints.append(timing["paint"])
        loaded.append(timing["load"])
        page.close()
    return {"page": str(path), "bytes": path.stat().st_size,
            "first_paint_ms": round(statistics.median(p for p in paints if p is not None), 1),
            "load_ms": round(statistics.median(x for x in loaded if x is not None), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a results folder holding report.html and site/")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("needs playwright: pip install playwright (it drives the system's Chromium, --chromium)") from None
    site = args.results / "site"
    pages = sorted(site.glob("*.html"), key=lambda p: p.stat().st_size)
    chosen = [site / "index.html", pages[-1], args.results / "report.html"]
    zh = sorted((site / "zh").glob("*.html"), key=lambda p: p.stat().st_size)
    if zh:  # the Chinese site (nnlab report --lang zh): its index and largest page too
        chosen += [site / "zh" / "index.html", zh[-1]]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for path in dict.fromkeys(chosen):
            if path.is_file():
                m = measure(browser, path, args.loads)
                print(f"{path.relative_to(args.results)!s:40} {m['bytes'] / 1e3:9.1f} kB   first paint "
                      f"{m['first_paint_ms']:7.1f} ms   load {m['load_ms']:7.1f} ms   (median of {args.loads})")
        browser.close()


if __name__ == "__main__":
    main()
