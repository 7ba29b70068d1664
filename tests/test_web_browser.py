"""The page in headless Chromium (Debian's chromium + chromium-driver, driven by selenium): draw a
stroke with the mouse and ask for completions, write a sentence, continue a prompt; each tab is
saved as a screenshot (into $RNNGEN_SCREENSHOTS when set: docs/ gets the README's pictures).

Runs against the shipped models in pretrained/ when they are there, else tiny untrained ones. CI
sets RNNGEN_REQUIRE_BROWSER=1, so a missing browser fails there instead of skipping.
"""
import os
import shutil
import time

import pytest

pytest.importorskip("fastapi")
from tests.web_fixtures import export_tiny_models, running_server  # noqa: E402

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
REQUIRED = os.environ.get("RNNGEN_REQUIRE_BROWSER") == "1"


def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        message = f"headless Chromium not installed ({CHROMIUM}, {DRIVER}): apt-get install chromium chromium-driver"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,900",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def shipped_runs():
    from run_utils import rundir
    dirs = {"sketch": rundir.shipped_runs("sketch_rnn"), "handwriting": rundir.pretrained_dir("handwriting"),
            "text": rundir.pretrained_dir("char_rnn")}
    return dirs if all(dirs.values()) else None


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    import pathlib
    runs = shipped_runs()
    if runs:
        runs = {k: [pathlib.Path(p) for p in v] if isinstance(v, list) else pathlib.Path(v) for k, v in runs.items()}
    else:
        runs = export_tiny_models(tmp_path_factory.mktemp("page"))
    driver = browser()
    try:
        with running_server(runs) as (base, _):
            driver.get(base + "/")
            wait_for(driver, "return document.body.dataset.ready === 'true'")
            yield driver
    finally:
        driver.quit()


def wait_for(driver, script, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if driver.execute_script(script):
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script}")


# Dark pixels of a canvas (the ink of the drawn strokes).
INK = """
const c = arguments[0]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;"""


def screenshot(driver, name, tmp_path):
    folder = os.environ.get("RNNGEN_SCREENSHOTS") or str(tmp_path)
    path = os.path.join(folder, name)
    driver.save_screenshot(path)
    assert os.path.getsize(path) > 10_000
    return path


def test_sketch_tab_completes_a_mouse_drawing(page, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    canvas = page.find_element(By.ID, "sketch-canvas")
    actions = ActionChains(page).move_to_element_with_offset(canvas, -120, 40).click_and_hold()
    for dx, dy in [(20, -10), (25, -20), (25, -15), (30, 0), (30, 10), (25, 25)]:
        actions.move_by_offset(dx, dy)
    actions.release().perform()
    assert page.execute_script("return sketchPad.strokes.length") == 1
    assert page.execute_script("return sketchPad.strokes[0].length") >= 7
    page.find_element(By.ID, "sketch-complete").click()
    wait_for(page, "return document.querySelectorAll('#sketch-results canvas').length === 4")
    wait_for(page, "return !document.getElementById('sketch-complete').disabled")
    time.sleep(2)  # the animation draws stroke by stroke
    inks = [page.execute_script(INK, c) for c in page.find_elements(By.CSS_SELECTOR, "#sketch-results canvas")]
    assert all(n > 50 for n in inks), inks  # the given start (grey) and new strokes (black) in every result
    assert "error" not in page.find_element(By.ID, "sketch-status").get_attribute("class")
    screenshot(page, "web_sketch.png", tmp_path)


def draw_and_finish(page, model):
    """Pick `model`, draw one stroke, press Finish it; returns the result canvases' pixels."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    Select(page.find_element(By.ID, "sketch-model")).select_by_value(model)
    page.find_element(By.ID, "sketch-clear").click()
    canvas = page.find_element(By.ID, "sketch-canvas")
    actions = ActionChains(page).move_to_element_with_offset(canvas, -100, 0).click_and_hold()
    for dx, dy in [(30, -30), (40, 0), (30, 30)]:
        actions.move_by_offset(dx, dy)
    actions.release().perform()
    page.execute_script("document.getElementById('sketch-results').innerHTML = ''")
    page.find_element(By.ID, "sketch-complete").click()
    wait_for(page, "return document.querySelectorAll('#sketch-results canvas').length === 4")
    wait_for(page, "return !document.getElementById('sketch-complete').disabled")
    time.sleep(2)
    assert "error" not in page.find_element(By.ID, "sketch-status").get_attribute("class")
    return [page.execute_script("return arguments[0].toDataURL()", c)
            for c in page.find_elements(By.CSS_SELECTOR, "#sketch-results canvas")]


def test_model_picker_draws_with_two_models(page):
    """The picker offers every loaded sketch model; finishing the same stroke with two of them (the
    same seed) gives different drawings, and the encoder-only buttons follow the picked model."""
    from selenium.webdriver.common.by import By
    names = page.execute_script("return INFO.sketch.models.map((m) => m.name)")
    assert len(names) >= 2, names
    first, second = ("bird", "sheep") if {"bird", "sheep"} <= set(names) else names[:2]
    pictures = {name: draw_and_finish(page, name) for name in (first, second)}
    assert pictures[first] != pictures[second]
    conditional = page.execute_script(f"return INFO.sketch.models.find((m) => m.name === '{second}').conditional")
    assert page.find_element(By.ID, "sketch-reconstruct").is_displayed() == conditional


# Light-blue pixels of a canvas (the model's live continuation, #8fb8e8).
GHOST = """
const c = arguments[0]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 2] > 200 && d[i] < 180) n++; return n;"""


def test_drawing_together_continues_on_the_canvas(page, tmp_path):
    """Draw, lift the pen: the picked model's continuation appears on the same canvas in light blue
    (or the page says the model considers the drawing finished); with two models when two are loaded."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    page.find_element(By.ID, "tab-sketch").click()
    names = page.execute_script("return INFO.sketch.models.map((m) => m.name)")
    canvas = page.find_element(By.ID, "sketch-canvas")
    seen = {}
    for name in (["sheep", "bird"] if {"sheep", "bird"} <= set(names) else names[:2]):
        Select(page.find_element(By.ID, "sketch-model")).select_by_value(name)
        page.find_element(By.ID, "sketch-clear").click()
        actions = ActionChains(page).move_to_element_with_offset(canvas, -80, -20).click_and_hold()
        for dx, dy in [(20, -20), (40, -5), (40, 5), (20, 20)]:
            actions.move_by_offset(dx, dy)
        actions.release().perform()
        wait_for(page, "return sketchPad.ghost.length > 0 || "
                       "document.getElementById('sketch-status').textContent.includes('finished')")
        ghost = page.execute_script("return sketchPad.ghost.flat().length")
        if ghost:
            assert page.execute_script(GHOST, canvas) > 30
            assert "Drawing together with " + name in page.find_element(By.ID, "sketch-status").text
            if not seen:
                screenshot(page, "web_sketch_together.png", tmp_path)
        seen[name] = page.execute_script("return JSON.stringify(sketchPad.ghost)")
        # drawing on replaces the continuation
        ActionChains(page).move_to_element_with_offset(canvas, 0, 60).click_and_hold().move_by_offset(5, 5).perform()
        assert page.execute_script("return sketchPad.ghost.length") == 0
        ActionChains(page).release().perform()
    assert len(seen) == 2 and len(set(seen.values())) == 2, seen


def test_handwriting_tab_writes_a_sentence(page, tmp_path):
    from selenium.webdriver.common.by import By
    page.find_element(By.ID, "tab-handwriting").click()
    text = page.find_element(By.ID, "hw-text")
    text.clear()
    text.send_keys("this is the sea")
    page.find_element(By.ID, "hw-write").click()
    wait_for(page, "return !document.getElementById('hw-download').hidden || "
                   "document.getElementById('hw-status').classList.contains('error')")
    assert "error" not in page.find_element(By.ID, "hw-status").get_attribute("class"), \
        page.find_element(By.ID, "hw-status").text
    time.sleep(3.5)
    assert page.execute_script(INK, page.find_element(By.ID, "hw-output")) > 200
    assert page.find_element(By.ID, "hw-download").get_attribute("href").startswith("blob:")
    screenshot(page, "web_handwriting.png", tmp_path)
    text.send_keys(" ☃")  # a character no model knows: named before anything is sent
    page.find_element(By.ID, "hw-write").click()
    status = page.find_element(By.ID, "hw-status")
    assert "cannot write" in status.text and "☃" in status.text and "error" in status.get_attribute("class")


def test_my_own_hand_writes_every_letter_from_the_first(page, tmp_path):
    """A style drawn on the small pad (a joined 'mum' and a separate 'a'): the sentence starts at its
    first letter, as the window trace the page received shows; the picked style's preview is drawn."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    page.find_element(By.ID, "tab-handwriting").click()
    styles = page.execute_script("return Object.keys(STYLES)")
    if styles:  # a shipped style's own line is previewed
        Select(page.find_element(By.ID, "hw-style")).select_by_value(styles[0])
        assert page.execute_script(INK, page.find_element(By.ID, "hw-preview-canvas")) > 50
    Select(page.find_element(By.ID, "hw-style")).select_by_value("__own__")
    pad = page.find_element(By.ID, "hw-canvas")
    page.find_element(By.ID, "hw-clear").click()
    actions = ActionChains(page).move_to_element_with_offset(pad, -220, 20).click_and_hold()
    for _ in range(3):  # m u m as joined arches
        for dx, dy in [(3, -10), (4, -8), (4, 0), (3, 9), (3, 9), (3, -10), (4, -8), (4, 0), (3, 9), (3, 9)]:
            actions.move_by_offset(dx, dy)
    actions.release().move_by_offset(20, -6).click_and_hold()
    for dx, dy in [(-5, -4), (-5, 3), (1, 7), (6, 1), (4, -6), (0, 8), (3, 2)]:  # an 'a'
        actions.move_by_offset(dx, dy)
    actions.release().perform()
    own = page.find_element(By.ID, "hw-own-text")
    own.clear()
    own.send_keys("mumum a")
    text = page.find_element(By.ID, "hw-text")
    text.clear()
    text.send_keys("A new sentence in my own hand")
    page.execute_script("document.getElementById('hw-window').textContent = ''")
    page.find_element(By.ID, "hw-write").click()
    wait_for(page, "return document.getElementById('hw-window').textContent.length > 0 || "
                   "document.getElementById('hw-status').classList.contains('error')")
    status = page.find_element(By.ID, "hw-status")
    assert "error" not in status.get_attribute("class"), status.text
    trace = page.find_element(By.ID, "hw-window").text
    assert trace.startswith("The pen's attention went over: “A n"), trace


def test_text_tab_continues_a_prompt(page, tmp_path):
    from selenium.webdriver.common.by import By
    page.find_element(By.ID, "tab-text").click()
    prompt = page.find_element(By.ID, "text-prompt")
    if "R" not in page.execute_script("return INFO.text.characters"):  # tiny test vocabulary
        prompt.clear()
        prompt.send_keys("to be")
    page.find_element(By.ID, "text-generate").click()
    wait_for(page, "return document.getElementById('text-output').textContent.length > 100")
    output = page.find_element(By.ID, "text-output").text
    assert output.startswith(page.find_element(By.ID, "text-prompt").get_attribute("value"))
    screenshot(page, "web_text.png", tmp_path)
