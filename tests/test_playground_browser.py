"""The playground and /docs in a real headless Chromium (Debian's chromium + chromium-driver), offline.

Screenshots go to artifacts/ (playground-front.png, playground-back.png, docs.png) for a person to look at.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from conftest import AUTH_TOKEN
from servers import serving_in_thread
from pipelines import LicenceReader
from service.app import create_app
from service.settings import Settings
from synthetic import make_sample

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# Everything that would reach beyond this machine (updates, sync, QUIC probes) is off: the page must need none.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
# Seeds 7700+ are this file's own.
FRONT_SEED, BACK_SEED = 7700, 7701


@pytest.fixture(scope="module")
def base_url(reader: LicenceReader) -> Iterator[str]:
    """A real uvicorn server on loopback, in this process, over the session's engine."""
    with serving_in_thread(create_app(Settings(auth_tokens=[AUTH_TOKEN]), reader)) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        message = "needs Debian's chromium and chromium-driver (make browser installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(browser: WebDriver) -> list[str]:
    """The console's errors since the last call."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def assert_offline_and_clean(browser: WebDriver, base_url: str) -> None:
    """Every resource the page loaded came from this service, and the console holds no error."""
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(base_url) for url in loaded), loaded
    assert console_errors(browser) == []


def page_state(browser: WebDriver) -> str | None:
    return browser.find_element(By.TAG_NAME, "body").get_attribute("data-state")


def read_in_the_playground(browser: WebDriver, side: str) -> dict[str, Any]:
    Select(browser.find_element(By.ID, "side")).select_by_value(side)
    browser.find_element(By.ID, "read").click()
    WebDriverWait(browser, 90).until(lambda b: page_state(b) != "reading")
    assert page_state(browser) == "done"
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#boxes polygon"))
    answer: dict[str, Any] = browser.execute_script("return JSON.parse(document.getElementById('answer').textContent)")
    return answer["result"]


def shown_fields(browser: WebDriver) -> dict[str, tuple[str, str]]:
    """The table: field -> (value, confidence as shown)."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#fields tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    return {field: (value, confidence) for field, value, confidence in cells}


def assert_boxes_drawn(browser: WebDriver, result: dict[str, Any]) -> None:
    polygons = browser.find_elements(By.CSS_SELECTOR, "#boxes polygon")
    assert sorted(p.get_attribute("data-field") for p in polygons) == sorted(result["text_location"])
    width, height = browser.execute_script(
        "const photo = document.getElementById('photo'); return [photo.naturalWidth, photo.naturalHeight]"
    )
    for polygon in polygons:
        points = [tuple(map(float, pair.split(","))) for pair in polygon.get_attribute("points").split()]
        assert len(points) == 4
        assert all(-5 <= x <= width + 5 and -5 <= y <= height + 5 for x, y in points)


def test_read_a_card_and_see_its_fields_and_boxes(browser: WebDriver, base_url: str, tmp_path: Path) -> None:
    front = make_sample(FRONT_SEED, "flat", "front", "new")
    photo = tmp_path / "front.jpg"
    cv2.imwrite(str(photo), front.image)

    browser.get(f"{base_url}/")
    assert browser.title == "dlocr playground"
    browser.find_element(By.ID, "file").send_keys(str(photo))
    browser.find_element(By.ID, "authority").click()
    browser.find_element(By.ID, "token").send_keys(AUTH_TOKEN)
    result = read_in_the_playground(browser, "front")

    assert result["number"] == front.truth["number"] and result["name"] == front.truth["name"]
    assert len(result["text_location"]) >= 8
    shown = shown_fields(browser)
    # Every field with its confidence; type and side describe the page and are not fields.
    assert {field: value for field, (value, _) in shown.items()} == {field: result[field] for field in result["confidence"]}
    assert "issuing_authority" in shown
    for field, confidence in result["confidence"].items():
        assert shown[field][1] == f"{confidence:.3f}"
    shown_warnings = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#warnings li")]
    assert shown_warnings == result["warnings"]
    assert_boxes_drawn(browser, result)
    assert "HTTP 200" in browser.find_element(By.ID, "status").text
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "playground-front.png"))

    # Then a back page, dropped onto the page rather than chosen.
    back = make_sample(BACK_SEED, "flat", "back", "new")
    jpeg = base64.b64encode(cv2.imencode(".jpg", back.image)[1].tobytes()).decode()
    browser.execute_script(
        """
        const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        const dropped = new DataTransfer();
        dropped.items.add(new File([bytes], "back.jpg", {type: "image/jpeg"}));
        const drop = document.getElementById("drop");
        drop.dispatchEvent(new DragEvent("drop", {dataTransfer: dropped, bubbles: true, cancelable: true}));
        """,
        jpeg,
    )
    assert "back.jpg" in browser.find_element(By.ID, "chosen").text
    result = read_in_the_playground(browser, "back")
    assert result["number"] == back.truth["number"]
    assert set(shown_fields(browser)) == {"number", "name", "file_number", "record"}
    assert_boxes_drawn(browser, result)
    assert browser.save_screenshot(str(ARTIFACTS / "playground-back.png"))
    assert_offline_and_clean(browser, base_url)


def test_a_refusal_is_shown(browser: WebDriver, base_url: str, tmp_path: Path) -> None:
    browser.get(f"{base_url}/")
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_bytes(b"these are notes, not a photo")
    browser.find_element(By.ID, "file").send_keys(str(not_an_image))
    browser.find_element(By.ID, "token").send_keys(AUTH_TOKEN)
    browser.find_element(By.ID, "read").click()
    WebDriverWait(browser, 30).until(lambda b: page_state(b) == "failed")
    assert "AIS.0102" in browser.find_element(By.ID, "status").text
    assert browser.find_elements(By.CSS_SELECTOR, "#boxes polygon") == []
    [refused] = console_errors(browser)  # Chromium reports every 4xx answer
    assert "status of 400" in refused


def test_docs_render_offline(browser: WebDriver, base_url: str) -> None:
    browser.get(f"{base_url}/docs")
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    # Swagger UI puts zero-width spaces into long paths so that they can wrap.
    shown = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    paths = [path.text.replace("\u200b", "") for path in shown]
    assert "/v2/{project_id}/ocr/driver-license" in paths and "/metrics" in paths
    browser.find_element(By.CSS_SELECTOR, ".opblock-post .opblock-summary").click()
    operation = browser.find_element(By.CSS_SELECTOR, ".opblock-post")
    WebDriverWait(browser, 10).until(lambda b: "AIS.0103" in operation.text)
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "docs.png"))
    assert_offline_and_clean(browser, base_url)
