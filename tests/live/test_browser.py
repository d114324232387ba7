"""The live pages in a real browser: headless Chromium driven by Selenium.

Set ``DESCEND_SCREENSHOTS=docs`` to write the README's pictures (docs/live.png,
docs/playground.png) from these runs.
"""

import html
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import descend as ds
from descend import nn
from descend.live import serve_playground

from .conftest import console_errors, wait_for
from .test_feed import expected_curves

DOCS = Path(__file__).parents[2] / "docs"
VIEW = "Bokeh.index.all_views().find(v => v.model.name === '{}')"
SOURCE = "Bokeh.documents.length && Bokeh.documents[0].get_model_by_name('{}')"


def _screenshot(driver, tmp_path, name):
    path = tmp_path / name
    driver.save_screenshot(str(path))
    if os.environ.get("DESCEND_SCREENSHOTS") == "docs":
        shutil.copy(path, DOCS / name)


class _Pace(ds.callbacks.Callback):
    """Slows training down to a pace a person could watch (and a test can sample)."""

    def on_batch_end(self, step, logs):
        time.sleep(0.01)


def _length(driver, source, column):
    return driver.execute_script(
        f"const s = {SOURCE.format(source)}; return s ? s.data['{column}'].length : -1"
    )


def test_the_live_pages_curves_grow_while_a_run_trains(browser, tmp_path):
    X, y = ds.data.load_digits()
    X = ds.data.StandardScaler().fit_transform(X)
    live = ds.callbacks.LiveView(announce=False, name="MLP 64-32-32-10 on digits")
    model = ds.models.MLP([64, 32, 32, 10])
    trainer = ds.Trainer(
        model,
        nn.CrossEntropyLoss(),
        ds.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
        metrics=["accuracy"],
        callbacks=[live, _Pace()],
        verbose=0,
    )
    training = threading.Thread(
        target=trainer.fit,
        args=(X[:1200], y[:1200]),
        kwargs={"epochs": 8, "batch_size": 32, "val": (X[1200:], y[1200:])},
    )
    try:
        browser.get(live.url)
        assert wait_for(browser, f"return {SOURCE.format('steps')} && true")
        training.start()
        seen = []  # the number of losses the page holds, while the run trains
        while training.is_alive():
            seen.append(_length(browser, "steps", "loss"))
            time.sleep(0.2)
        training.join()
        growing = [n for n in seen if n > 0]
        assert len(set(growing)) >= 2 and growing == sorted(growing), seen
        assert wait_for(
            browser, "return " + VIEW.format("header") + ".model.text.includes('finished')"
        )
        assert wait_for(browser, f"return {SOURCE.format('lr_solid')}.data.ys[0].length == 8")
        time.sleep(0.3)
        _screenshot(browser, tmp_path, "live.png")
        shown = browser.execute_script(
            "const d = Bokeh.documents[0], out = {};"
            "for (const s of d.all_models) { if (!s.name || !s.get_column) continue;"
            "  out[s.name] = {}; for (const k of s.columns()) out[s.name][k] = Array.from("
            "    s.get_column(k), x => (typeof x === 'object' ? Array.from(x) : x)); }"
            "return out;"
        )
    finally:
        live.stop()
    # What the browser holds is the run's history.json, number for number.
    trainer.history.write_json(tmp_path / "history.json")
    saved = json.loads((tmp_path / "history.json").read_text())
    assert shown["steps"]["loss"] == pytest.approx(saved["step_loss"])
    assert shown["steps"]["update"] == list(range(1, len(saved["step_loss"]) + 1))
    held = {}
    for name, data in shown.items():
        label = next((k for k in data if k.startswith("label_")), None)
        for i, text in enumerate(data.get(label, [])):
            held[(name, text)] = (data["xs"][i], data["ys"][i])
    expected = expected_curves(saved)
    assert set(held) == set(expected)
    for key, (xs, ys) in expected.items():
        assert held[key][0] == pytest.approx(xs) and held[key][1] == pytest.approx(ys), key
    assert console_errors(browser) == []


def test_the_playground_follows_its_controls_and_a_click_sets_the_start(browser, tmp_path):
    with serve_playground() as server:
        browser.get(server.url())
        first = wait_for(
            browser,
            f"const p = {SOURCE.format('path')}; "
            "return p && p.data.w0.length ? Array.from(p.data.w0) : null",
        )
        assert first is not None and len(first) == 201  # 200 steps from the start
        # Moving a control: a click on the steps slider's track, at 70% of its width.
        box = browser.execute_script(f"return {VIEW.format('steps')}.el.getBoundingClientRect()")
        _click(browser, box["left"] + 0.7 * box["width"], box["bottom"] - 8)
        moved = wait_for(
            browser, f"const n = {SOURCE.format('path')}.data.w0.length; return n != 201 ? n : null"
        )
        steps = browser.execute_script(f"return {SOURCE.format('steps')}.value")
        assert moved == steps + 1 and 500 < steps < 900
        # Keep this run: it stays overlaid, with its row in the table.
        keep = browser.execute_script(f"return {VIEW.format('keep')}.el.getBoundingClientRect()")
        _click(browser, keep["left"] + keep["width"] / 2, keep["top"] + keep["height"] / 2)
        assert wait_for(browser, f"return {SOURCE.format('kept')}.data.xs.length == 1")
        # A click on the contour sets the start there.
        box = browser.execute_script(
            f"return {VIEW.format('landscape')}.el.getBoundingClientRect()"
        )
        _click(browser, box["left"] + 0.3 * box["width"], box["top"] + 0.75 * box["height"])
        start = wait_for(
            browser,
            f"const p = {SOURCE.format('path')}; "
            f"return p.data.w0[0] != {first[0]} ? [p.data.w0[0], p.data.w1[0]] : null",
        )
        assert start is not None
        rows = browser.execute_script(f"return Array.from({SOURCE.format('table')}.data.run)")
        assert len(rows) == 2  # the kept run and this one
        typed = browser.execute_script(f"return {SOURCE.format('start')}.value")
        assert [float(v) for v in typed.split(",")] == pytest.approx(start, rel=1e-3, abs=1e-3)
        # A bad value gets a message on the page, not a stack trace.
        field = browser.execute_script(f"return {VIEW.format('start')}.input_el")
        field.clear()
        field.send_keys("two, three\n")
        message = wait_for(
            browser,
            "const t = " + VIEW.format("message") + ".model.text; "
            "return t.includes('two, three') ? t : null",
        )
        assert "start must be two numbers 'w0, w1', got 'two, three'" in html.unescape(message)
        field.clear()
        field.send_keys(", ".join(f"{v:.4g}" for v in start) + "\n")
        assert wait_for(
            browser, "return !" + VIEW.format("message") + ".model.text.includes('must')"
        )
        # Another problem and optimizer from their menus: Himmelblau's four minima.
        from selenium.webdriver.support.select import Select

        for name, choice in (("problem", "himmelblau"), ("optimizer", "momentum")):
            menu = browser.execute_script(f"return {VIEW.format(name)}.input_el")
            Select(menu).select_by_visible_text(choice)
            assert wait_for(browser, f"return {SOURCE.format(name)}.value == '{choice}'")
        title = wait_for(
            browser,
            f"const t = {VIEW.format('landscape')}.model.title.text; "
            "return t.includes('Himmelblau') ? t : null",
        )
        assert title is not None
        assert wait_for(
            browser, f"return {SOURCE.format('table')}.data.run[0].startsWith('momentum')"
        )
        # Too large a learning rate diverges there and says so; a smaller one settles.
        message = wait_for(browser, f"return {VIEW.format('message')}.model.text")
        assert "diverged after" in message and "lower the learning rate" in message
        lr = browser.execute_script(f"return {VIEW.format('lr')}.el.getBoundingClientRect()")
        _click(browser, lr["left"] + 0.4 * lr["width"], lr["bottom"] - 8)
        assert wait_for(
            browser, f"return !{VIEW.format('message')}.model.text.includes('diverged')"
        )
        # (the momentum slider came: the button moved down)
        keep = browser.execute_script(f"return {VIEW.format('keep')}.el.getBoundingClientRect()")
        _click(browser, keep["left"] + keep["width"] / 2, keep["top"] + keep["height"] / 2)
        assert wait_for(browser, f"return {SOURCE.format('kept')}.data.xs.length == 1")
        _click(browser, box["left"] + 0.75 * box["width"], box["top"] + 0.7 * box["height"])
        assert wait_for(browser, f"return {SOURCE.format('table')}.data.run.length == 2")
        time.sleep(0.3)
        _screenshot(browser, tmp_path, "playground.png")
        assert console_errors(browser) == []


def test_a_page_without_the_token_is_refused_in_the_browser(browser):
    with serve_playground() as server:
        browser.get(server.url().split("?")[0])
        assert "403" in browser.title or "Forbidden" in browser.page_source
        assert browser.execute_script("return typeof Bokeh") == "undefined"
        assert "token" in browser.page_source
        errors = console_errors(browser)  # (read, so that the next test starts clean)
        assert len(errors) == 1 and "403 (Forbidden" in errors[0]


def _click(driver, x, y):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()
    ActionChains(driver).reset_actions()


def test_view_shows_a_run_folders_history(browser, tmp_path):
    from descend.cli import main
    from descend.live import serve_run
    from descend.live.feed import FolderFeed

    folder = tmp_path / "run"
    argv = ["train", "--data", "iris", "--model", "softmax", "--epochs", "3", "--quiet"]
    assert main([*argv, "--out", str(folder)]) == 0
    saved = json.loads((folder / "history.json").read_text())
    with serve_run(FolderFeed(folder)) as server:
        browser.get(server.url())
        header = wait_for(
            browser,
            f"const h = {VIEW.format('header')}; "
            "return h && h.model.text.includes('finished') ? h.model.text : null",
        )
        assert "softmax on iris" in header and "finished: 3 epochs, 9 updates" in header
        losses = browser.execute_script(f"return Array.from({SOURCE.format('steps')}.data.loss)")
        assert losses == pytest.approx(saved["step_loss"])
        assert console_errors(browser) == []
