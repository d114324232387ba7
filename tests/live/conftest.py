"""Fixtures of the live view's tests: a small trained run folder, and headless Chromium.

The browser tests drive Debian's ``chromium`` through its ``chromedriver`` (no browser
is downloaded at test time); without them they skip, saying so once.
"""

import shutil
from pathlib import Path

import pytest

pytest.importorskip("bokeh", reason="the live view needs the extra descend[live]")

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]
NO_BROWSER = "headless Chromium absent: apt-get install chromium chromium-driver (and selenium)"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A fresh headless Chromium (its own profile), logging the page's console."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip(NO_BROWSER)
    if not (Path(CHROMIUM).exists() and shutil.which(DRIVER)):
        pytest.skip(NO_BROWSER)
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_script_timeout(10)
    yield driver
    driver.quit()


def console_errors(driver) -> list[str]:
    """The page's console errors since the last call (warnings are Bokeh's empty-axis notes)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(driver, script: str, timeout: float = 10.0):
    """Run ``script`` in the page until it returns something truthy; return that."""
    import time

    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)
