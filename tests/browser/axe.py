"""Accessibility checks in the browser: axe-core (vendored, tests/browser/vendor/README.md) and the page's
console. A page passes when axe finds no violation of the WCAG 2.x A/AA rules and best practices it runs by
default, and the browser logged no error (a failed request, a script error, a Content-Security-Policy
violation: what Lighthouse's best-practices audit counts)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary.replace(/\\s+/g, " "))}));
}"""


@cache
def axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe's violations on the page as it is now. The script is evaluated through the DevTools protocol,
    so the app's CSP (script-src 'self') neither blocks it nor reports it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_AXE)


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)


class ConsoleWatch:
    """Collects the console errors and page errors of a page from the moment it is created."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors
