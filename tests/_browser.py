"""A report page in a real browser: headless Chromium driven over the DevTools protocol (tests and bench use it).

Chromium starts with ``--remote-debugging-pipe`` (the protocol on file descriptors 3 and 4, JSON
messages ended by a NUL byte; no port, no extra package). :func:`render` opens the page, waits for
its load event, waits for every image to decode, reads back the title, the headings and each
image's natural size, and takes a PNG screenshot of the whole page.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip
# Runs in the page once it has loaded: wait for every image to decode, then describe the page.
DESCRIBE = """(async () => {
  const images = [...document.images];
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  return JSON.stringify({
    title: document.title,
    headings: [...document.querySelectorAll("h2")].map((h) => h.textContent),
    images: images.map((img) => ({alt: img.alt, width: img.naturalWidth, height: img.naturalHeight})),
    height: document.documentElement.scrollHeight,
  });
})()"""


def chromium() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


class DevTools:
    """One headless Chromium and a DevTools session on its first page."""

    def __init__(self, timeout: float = 120) -> None:
        executable = chromium()
        if executable is None:
            raise RuntimeError("headless Chromium is not installed (Debian: apt-get install chromium)")
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory()  # a fresh profile each time
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile.name}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(to_chrome_r, 3), os.dup2(from_chrome_w, 4)),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its reply (events that arrive meanwhile are kept)."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.send(method, self.session, **params)

    def wait_for(self, event: str) -> dict[str, Any]:
        while True:
            for i, message in enumerate(self.events):
                if message.get("method") == event:
                    return self.events.pop(i)
            self.events.append(self._receive())

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer within {self.timeout:.0f} s")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        self.profile.cleanup()


def render(page: Path, png: Path | None = None, *, width: int = 1280, max_height: int = 8000) -> dict[str, Any]:
    """Load ``page`` in headless Chromium; its title, headings, images (natural sizes) and height.

    With ``png``, also a screenshot of the whole page (up to ``max_height`` pixels) written there.
    """
    browser = DevTools()
    try:
        browser.page("Page.enable")
        browser.page("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        browser.page("Page.navigate", url=page.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        value = browser.page("Runtime.evaluate", expression=DESCRIBE, awaitPromise=True, returnByValue=True)
        described = json.loads(value["result"]["value"])
        if png is not None:
            height = min(max_height, described["height"])
            browser.page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
            shot = browser.page("Page.captureScreenshot", format="png")
            png.write_bytes(base64.b64decode(shot["data"]))
        return described
    finally:
        browser.close()
