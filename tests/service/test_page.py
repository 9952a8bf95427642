"""The live page in a real headless browser (Debian's chromium, driven by Playwright): it
loads, shows an uploaded recording's verdict with its evidence, spectrum and trends, and
updates by itself when a new diagnosis arrives."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from service_support import CHROMIUM, Server, machine_body, need, snapshots, upload

SNAPS = snapshots(7, seed=3)  # one machine: normal, unbalance, misalignment, …


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("page")
    s = Server(work, "--db", str(work / "page.db"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    need(Path(CHROMIUM).is_file(), f"chromium is not installed ({CHROMIUM})")
    need(importlib.util.find_spec("playwright") is not None, "Playwright is not installed")
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


def test_the_page_shows_a_verdict_and_follows_new_ones(server, browser, tmp_path):
    snap = SNAPS[0]
    t0 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    with server.client() as c:
        body = machine_body(snap, rpm=round(snap.rpm, 1), bearing="9:7.94:39.04:0")
        assert c.put("/v1/machines/page-1", json=body).status_code == 201
        first = upload(c, "page-1", snap, time=t0.isoformat()).json()
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.url}/?machine=page-1&poll=300")

    row = page.locator('#machines tr[data-machine="page-1"]')
    row.wait_for(timeout=30_000)
    verdict = page.locator("#detail-verdict")
    page.wait_for_function(
        f"document.querySelector('#detail-verdict').dataset.id === '{first['id']}'",
        timeout=30_000,
    )
    assert verdict.inner_text() == first["verdict"]
    assert row.locator(".state").inner_text() == first["verdict"]
    evidence = page.locator("#detail-evidence li").all_inner_texts()
    assert evidence == first["evidence"]
    # the spectrum with 1x, 2x … and the bearing's defect frequencies marked
    labels = page.locator("#spectrum text").all_text_contents()
    assert {"1x", "2x", "BPFO", "BPFI"} <= set(labels), labels
    assert page.locator("#spectrum path").count() == 1
    assert page.locator("#trend-severity circle").count() == 1

    # a new diagnosis arrives: the page follows without a reload
    with server.client() as c:
        second = upload(c, "page-1", SNAPS[1], time=(t0 + dt.timedelta(hours=1)).isoformat())
    second = second.json()
    page.wait_for_function(
        f"document.querySelector('#detail-verdict').dataset.id === '{second['id']}'",
        timeout=30_000,
    )
    assert verdict.inner_text() == second["verdict"]
    assert page.locator("#trend-severity circle").count() == 2
    assert page.locator("#trend-orders circle").count() == 4  # 1x and 2x, twice
    assert row.get_attribute("data-latest") == str(second["id"])
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000
    assert not errors, errors
    page.close()


def test_the_page_asks_for_a_key_when_the_server_wants_one(browser, tmp_path):
    (tmp_path / "keys").write_text("page-test-key-0123456789\n")
    s = Server(tmp_path, "--db", str(tmp_path / "k.db"), "--api-key-file", str(tmp_path / "keys"))
    try:
        page = browser.new_page()
        page.goto(f"{s.url}/?poll=300")
        page.locator("#keyform").wait_for(state="visible", timeout=30_000)
        assert "API key" in page.locator("#status").inner_text()
        page.fill("#key", "page-test-key-0123456789")
        page.click("#keyform button")
        page.wait_for_function(
            "document.querySelector('#status').textContent.includes('machine(s)')",
            timeout=30_000,
        )
        assert page.locator("#keyform").is_hidden()
        page.close()
    finally:
        s.stop()
