"""Driving headless Chromium from Python tests: launch, console errors, screenshots, timing.

Nothing here depends on pytest: a missing browser raises `BrowserError` (an AssertionError,
so a test or fixture that lets it through is reported as a failure naming what to install).
Debian's `chromium` and `chromium-driver` (same version) with the `selenium` package; the
driver path is always given, so Selenium Manager never runs and nothing is downloaded.

- `chrome(width, height)`: `$STEWARD_CHROMIUM` (default /usr/bin/chromium) driven by
  `$STEWARD_CHROMEDRIVER` (default /usr/bin/chromedriver), `--headless=new --no-sandbox`
  (tests run as root) `--disable-dev-shm-usage`, browser log kept at ALL, the viewport
  (window.innerWidth x innerHeight) exactly width x height. The caller quits it.
- `viewport(driver, width, height)`: resizes so the page, not the window, is that size;
  `--window-size` and `set_window_size` set the outer window, whose height in new headless
  includes ~143 px of emulated browser UI. Widths below 500 still give the exact innerWidth.
- `console_errors(driver)`: SEVERE browser log messages since the last read (Chrome's log
  is drained by every read), less a missing /favicon.ico unless `ignore=()`.
- `screenshot(driver, name)`: the viewport as `<output>/<name>.png`, output being
  `$STEWARD_TEST_OUTPUT/console`, else `.steward/test-output/console`; returns the path.
- `render_ms(driver)`: Navigation Timing's loadEventEnd - startTime of the current document,
  in ms (0.0 while the load event has not finished).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_CHROMEDRIVER = "/usr/bin/chromedriver"
APT_HINT = ("apt-get install --no-install-recommends chromium chromium-driver fonts-dejavu-core"
            " (or set STEWARD_CHROMIUM / STEWARD_CHROMEDRIVER)")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    raise ImportError(f"selenium is not installed: pip install 'selenium==4.51.0' ({error})") from error


class BrowserError(AssertionError):
    """The browser or its driver is missing or did not behave as the harness needs."""


def _executable(env: str, default: str, what: str) -> str:
    path = os.environ.get(env) or default
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BrowserError(f"{what} not found at {path}: {APT_HINT}")
    return path


def chrome(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    """A headless Chromium whose viewport is width x height CSS px, browser log enabled."""
    binary = _executable("STEWARD_CHROMIUM", DEFAULT_CHROMIUM, "chromium")
    driver_path = _executable("STEWARD_CHROMEDRIVER", DEFAULT_CHROMEDRIVER, "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        viewport(driver, width, height)
    except BaseException:
        driver.quit()
        raise
    return driver


def viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """Sizes the window so that window.innerWidth/innerHeight are width/height."""
    # Below 500 px outerWidth reads 500: the first measure after a narrow viewport is off, the second is not.
    for _ in range(3):
        dx, dy = driver.execute_script("return [outerWidth - innerWidth, outerHeight - innerHeight]")
        driver.set_window_size(width + max(dx, 0), height + max(dy, 0))
        got = driver.execute_script("return [innerWidth, innerHeight]")
        if got == [width, height]:
            return
    if got != [width, height]:
        raise BrowserError(f"viewport is {got[0]}x{got[1]}, wanted {width}x{height}")


def console_errors(driver: webdriver.Chrome, ignore: tuple[str, ...] = ("/favicon.ico",)) -> list[str]:
    """SEVERE browser log messages since the last read, less those mentioning `ignore`."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry.get("level") == "SEVERE" and not any(s in entry["message"] for s in ignore)]


def output_dir() -> Path:
    base = os.environ.get("STEWARD_TEST_OUTPUT")
    return Path(base) / "console" if base else ROOT / ".steward" / "test-output" / "console"


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Writes the viewport as <output dir>/<name>.png and returns the path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "screenshot"
    path = output_dir() / f"{safe}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise BrowserError(f"screenshot {path} was not written")
    return path


def render_ms(driver: webdriver.Chrome) -> float:
    """loadEventEnd - startTime of the current document's navigation entry, in ms."""
    value = driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return n ? n.loadEventEnd - n.startTime : null;")
    if value is None:
        raise BrowserError("no navigation timing entry (about:blank, or not an http(s) page?)")
    return float(value)
