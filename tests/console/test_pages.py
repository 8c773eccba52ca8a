"""The console as a person uses it, in headless chromium: sign in, every page, markup shown as
text, filter/sort/compare runs, MLflow's links, a live rollout refreshed in place and aborted
with its button, and a 375 px wide screen. Each page leaves a screenshot (see conftest)."""

from __future__ import annotations

import urllib.parse

from browser import console_errors, screenshot, viewport
from conftest import MARKUP
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 15


def _pages(steward, seed) -> list[tuple[str, str, str]]:
    """(screenshot name, path, the h1 it must show)."""
    run = seed["runs"][0]
    name, version = seed["dataset"]
    compare = "&".join(f"runs={r['id']}" for r in seed["runs"][:3])
    return [
        ("models", "/", "Models"),
        ("model", f"/models/{seed['model']}", f"Model {seed['model']}"),
        ("version", f"/models/{seed['model']}/versions/1", f"{seed['model']} version 1"),
        ("rollout", f"/models/{seed['live']}/rollout", f"Rollout of {seed['live']}"),
        ("experiments", "/experiments", "Experiments"),
        ("runs", f"/experiments/{seed['experiment']}", "Runs of console-sentiment"),
        ("run", f"/runs/{run['id']}", f"Run {run['name']}"),
        ("compare", f"/compare?{compare}", "Comparing 3 runs"),
        ("datasets", "/datasets", "Datasets"),
        ("dataset", f"/datasets/{name}/{version}", f"Dataset {name}@{version}"),
        ("audit", "/audit", "Audit log"),
    ]


def _no_script_ran(driver) -> None:
    assert driver.execute_script("return window.__xss === undefined"), "markup from the data ran as script"


def test_signing_in_opens_every_page_without_a_script_error(steward, seed, signed_in):
    driver = signed_in(steward.token)
    WebDriverWait(driver, WAIT_S).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Models"))
    for shot, path, title in _pages(steward, seed):
        driver.get(steward.url + path)
        assert driver.find_element(By.TAG_NAME, "h1").text == title, (path, driver.page_source[:500])
        assert "/login" not in driver.current_url, path
        _no_script_ran(driver)
        screenshot(driver, shot)
        assert console_errors(driver, ignore=()) == [], path


def test_markup_in_names_tags_and_descriptions_is_shown_as_text(steward, seed, signed_in):
    driver = signed_in(steward.token)
    hostile = seed["runs"][3]
    driver.get(f"{steward.url}/runs/{hostile['id']}")
    assert driver.find_element(By.TAG_NAME, "h1").text == f"Run {MARKUP}"
    assert MARKUP in driver.find_element(By.TAG_NAME, "main").text  # the tag's value, as text
    driver.get(f"{steward.url}/experiments/{seed['experiment']}")
    assert MARKUP in driver.find_element(By.ID, "runs").text
    driver.get(f"{steward.url}/models/{seed['model']}")
    assert MARKUP in driver.find_element(By.TAG_NAME, "main").text  # the model's description
    _no_script_ran(driver)
    assert driver.find_elements(By.CSS_SELECTOR, "main script, main img") == []
    assert console_errors(driver, ignore=()) == []


def test_runs_are_filtered_sorted_paged_and_compared(steward, seed, signed_in):
    driver = signed_in(steward.token, f"/experiments/{seed['experiment']}")
    box = WebDriverWait(driver, WAIT_S).until(EC.presence_of_element_located((By.NAME, "filter")))
    box.send_keys("params.optimizer = 'adamw' and metrics.accuracy > 0")
    box.submit()
    WebDriverWait(driver, WAIT_S).until(EC.url_contains("filter="))
    rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
    assert len(rows) == 6, driver.find_element(By.ID, "runs").text
    assert all("adamw" in row.text for row in rows)

    # Sorting by the metric's column: descending first, the best run on top.
    driver.find_element(By.LINK_TEXT, "accuracy").click()
    WebDriverWait(driver, WAIT_S).until(EC.url_contains("order="))
    assert "metrics.`accuracy` DESC" in urllib.parse.unquote(driver.current_url)
    values = [float(cell.text) for cell in driver.find_elements(By.CSS_SELECTOR, "#runs tbody td[data-label=accuracy]")]
    assert values == sorted(values, reverse=True) and len(values) == 6, values

    # A filter that does not parse is said beside the box, not a broken page.
    driver.get(f"{steward.url}/experiments/{seed['experiment']}?filter=" + urllib.parse.quote("metrics.accuracy >>> 1"))
    assert driver.find_elements(By.CSS_SELECTOR, ".flash.error"), driver.page_source[:500]

    # Compare two: params side by side and one chart line per run.
    driver.get(f"{steward.url}/experiments/{seed['experiment']}")
    boxes = driver.find_elements(By.CSS_SELECTOR, "#runs input[name=runs]")
    button = driver.find_element(By.CSS_SELECTOR, "form#compare button[type=submit]")
    assert not button.is_enabled()  # fewer than two chosen
    boxes[0].click()
    boxes[1].click()
    assert button.is_enabled()
    button.click()
    WebDriverWait(driver, WAIT_S).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Comparing 2 runs"))
    charts = driver.find_elements(By.CSS_SELECTOR, "figure.chart")
    assert {c.find_element(By.TAG_NAME, "figcaption").text for c in charts} == {"accuracy", "loss"}
    assert all(len(c.find_elements(By.TAG_NAME, "polyline")) == 2 for c in charts)
    assert console_errors(driver, ignore=()) == []


def test_a_long_history_is_charted_from_a_sample(steward, seed, signed_in):
    driver = signed_in(steward.token, f"/runs/{seed['runs'][0]['id']}")
    chart = WebDriverWait(driver, WAIT_S).until(EC.presence_of_element_located((By.CSS_SELECTOR, "figure.chart")))
    points = chart.find_element(By.TAG_NAME, "polyline").get_attribute("points").split()
    assert len(points) == 200, len(points)  # 300 logged, sampled on the server as MLflow's charts are
    link = driver.find_element(By.PARTIAL_LINK_TEXT, "notes/readme.txt")
    assert link.get_attribute("download") is not None


def test_mlflow_links_land_on_the_matching_pages(steward, seed, signed_in):
    driver = signed_in(steward.token)
    run = seed["runs"][1]
    for fragment, path in [
        (f"#/experiments/{seed['experiment']}/runs/{run['id']}", f"/runs/{run['id']}"),
        (f"#/experiments/{seed['experiment']}", f"/experiments/{seed['experiment']}"),
        (f"#/models/{seed['model']}", f"/models/{seed['model']}"),
        (f"#/models/{seed['model']}/versions/1", f"/models/{seed['model']}/versions/1"),
    ]:
        driver.get(f"{steward.url}/{fragment}")
        WebDriverWait(driver, WAIT_S).until(EC.url_to_be(steward.url + path), f"{fragment} stayed at {driver.current_url}")
        assert driver.find_element(By.TAG_NAME, "h1").text != "Models" or path == "/", path
    assert console_errors(driver, ignore=()) == []


def test_an_mlflow_link_opened_signed_out_lands_after_signing_in(steward, seed, browser):
    run = seed["runs"][2]["id"]
    browser.get(f"{steward.url}/#/experiments/{seed['experiment']}/runs/{run}")
    box = WebDriverWait(browser, WAIT_S).until(EC.presence_of_element_located((By.NAME, "token")))
    box.send_keys(steward.token)
    box.submit()
    WebDriverWait(browser, WAIT_S).until(EC.url_to_be(f"{steward.url}/runs/{run}"), browser.current_url)


def test_a_live_rollout_refreshes_in_place_and_aborts_from_its_button(steward, seed, signed_in):
    live = seed["live"]
    # A viewer watches but has no buttons.
    driver = signed_in(seed["viewer"], f"/models/{live}/rollout")
    WebDriverWait(driver, WAIT_S).until(EC.presence_of_element_located((By.ID, "live")))
    assert driver.find_elements(By.CSS_SELECTOR, "button[formaction$='/abort']") == []

    driver.delete_all_cookies()
    driver = signed_in(seed["operator"], f"/models/{live}/rollout")
    section = WebDriverWait(driver, WAIT_S).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#live section")))
    assert section.get_attribute("data-phase") == "Progressing"
    driver.execute_script("window.__sameDocument = true")
    # Someone pauses it through the API: the page shows it without being reloaded.
    paused = steward.post(f"/api/v1/rollouts/{live}/pause", {"reason": "looking"})
    assert paused.status == 200, paused
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#live section").get_attribute("data-phase") == "Paused")
    assert driver.execute_script("return window.__sameDocument === true")
    screenshot(driver, "rollout-paused")

    driver.find_element(By.NAME, "reason").send_keys("canary answers look wrong")
    driver.find_element(By.CSS_SELECTOR, "button[formaction$='/rollout/abort']").click()
    alert = WebDriverWait(driver, WAIT_S).until(EC.alert_is_present())
    assert alert.text == f"Abort the rollout of {live}?"
    alert.accept()
    WebDriverWait(driver, WAIT_S).until(EC.text_to_be_present_in_element((By.ID, "said"), "applied"))
    assert driver.find_element(By.CSS_SELECTOR, "#live section").get_attribute("data-phase") == "Aborted"
    screenshot(driver, "rollout-aborted")
    status = steward.get(f"/api/v1/rollouts/{live}").json()
    assert status["phase"] == "Aborted" and status["reason"].endswith(": canary answers look wrong"), status
    assert console_errors(driver, ignore=()) == []


def test_a_dismissed_confirmation_sends_nothing(steward, seed, signed_in):
    driver = signed_in(seed["operator"], f"/models/{seed['live']}/rollout")
    commands = f"/api/v1/audit?limit=1000&target=model:{seed['live']}"
    before = steward.get(commands).json()
    WebDriverWait(driver, WAIT_S).until(EC.presence_of_element_located((By.NAME, "reason"))).send_keys("no")
    driver.find_element(By.CSS_SELECTOR, "button[formaction$='/rollout/resume']").click()
    WebDriverWait(driver, WAIT_S).until(EC.alert_is_present()).dismiss()
    assert "said=" not in driver.current_url
    assert steward.get(commands).json() == before


def test_pages_fit_a_375_px_wide_screen(steward, seed, signed_in):
    driver = signed_in(steward.token)
    viewport(driver, 375, 800)
    try:
        for shot, path, _ in _pages(steward, seed):
            driver.get(steward.url + path)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375"
            screenshot(driver, f"narrow-{shot}")
    finally:
        viewport(driver, 1280, 900)
