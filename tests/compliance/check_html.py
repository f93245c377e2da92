#!/usr/bin/env python3
"""Checks `tollgate report compliance --format html` against the JSON report of
the same ledger and period, with Python's own HTML parser (html.parser), not
Tollgate's code:

  - the page loads nothing and runs nothing: no script, img, link, iframe,
    object, embed, form or base element, no on* attribute, no src attribute,
    every href a fragment (#entry-N) that names an element of the page;
  - the summary's counts, each control's result, violations (seq and why),
    evidence entries and each waiver's approver, reason and expiry are the
    JSON's, character for character after the parser unescapes them;
  - hostile strings recorded in events (markup in a waiver's reason and
    approver, a service named like a script) come back as text, never markup;
  - a ledger that fails verification is said first, in a banner, and no
    control is satisfied.

Usage: check_html.py TOLLGATE LEDGER.db
(LEDGER.db: testdata/ledger.jsonl and testdata/hostile.jsonl, signed at its
head; ComplianceReport.HtmlSaysWhatTheJsonSays writes it and runs this.)
Exit 0 when every check holds, 1 otherwise.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

# testdata/hostile.jsonl: events on top of the fixture quarter (October
# 2026): a waiver full of markup, and a production deploy of a service whose
# name is a script tag (deploys_gated names it in a violation).
HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "hostile.jsonl")
with open(HOSTILE, encoding="utf-8") as _f:
    _events = [json.loads(line) for line in _f if line.strip()]
HOSTILE_REASON = _events[0]["reason"]
HOSTILE_APPROVER = _events[0]["approver"]
HOSTILE_SERVICE = _events[1]["service"]
FORBIDDEN_TAGS = {"script", "img", "link", "iframe", "object", "embed", "form", "base", "frame", "video", "audio",
                  "source", "svg", "input"}
LABEL = {"satisfied": "satisfied", "not_satisfied": "not satisfied", "not_assessed": "not assessed"}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


class Page(HTMLParser):
    """The parts of the report page the checks read, as the parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []            # every start tag, in order
        self.ids = set()
        self.hrefs = []
        self.bad = []
        self.stack = []           # open elements: (tag, attrs)
        self.controls = {}        # id -> {"badge", "violations": [[cells]], "text"}
        self.current = None
        self.table = None         # class of the table being read
        self.rows = {}            # table class -> [[cell text]]
        self.row = None
        self.cell = None
        self.body_first = None    # (tag, class) of the first element in <body>
        self.in_body = False
        self.badge = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag in FORBIDDEN_TAGS:
            self.bad.append(f"<{tag}>")
        for k, v in attrs:
            if k.startswith("on") or k in ("src", "srcset", "action", "formaction", "background"):
                self.bad.append(f"attribute {k}={v!r} on <{tag}>")
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if self.in_body and self.body_first is None:
            self.body_first = (tag, a.get("class", ""))
        if tag == "body":
            self.in_body = True
        if tag == "section" and "control" in a.get("class", "").split():
            self.current = {"id": a.get("id", ""), "badge": None, "text": ""}
            self.controls[a.get("id", "")] = self.current
        if tag == "span" and "result" in a.get("class", "").split():
            self.badge = True
            if self.current is not None:
                self.current["badge"] = ""
        if tag == "table":
            self.table = a.get("class", "")
            self.rows.setdefault((self.current["id"] if self.current else "") + "/" + self.table, [])
        if tag == "tr":
            self.row = []
        if tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None
        if tag == "span":
            self.badge = False
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.rows[(self.current["id"] if self.current else "") + "/" + (self.table or "")].append(self.row)
            self.row = None
        if tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.badge and self.current is not None:
            self.current["badge"] += data
        if self.current is not None:
            self.current["text"] += data


def run(tollgate, args, cwd, stdin=None):
    return subprocess.run([tollgate] + args, cwd=cwd, input=stdin, capture_output=True, text=True)


def reports(tollgate, cwd, framework):
    common = ["report", "compliance", "--framework", framework, "--from", "2026-10-01", "--to", "2026-11-01"]
    j = run(tollgate, common + ["--format", "json"], cwd)
    h = run(tollgate, common + ["--format", "html"], cwd)
    check(j.returncode == h.returncode, f"{framework}: json exit {j.returncode}, html exit {h.returncode}")
    page = Page()
    page.feed(h.stdout)
    page.close()
    return json.loads(j.stdout), page, h.stdout


def check_page(framework, report, page):
    check(not page.bad, f"{framework}: the page loads or runs something: {page.bad}")
    for href in page.hrefs:
        check(href.startswith("#") and href[1:] in page.ids, f"{framework}: href {href!r} points outside the page")
    summary = page.rows.get("/summary", [])
    check(len(summary) == 2, f"{framework}: the summary table has {len(summary)} rows")
    if len(summary) == 2:
        cells = summary[1]
        s = report["summary"]
        want = [str(report["automation"]["controls"]), str(s["satisfied"]), str(s["not_satisfied"]),
                str(s["not_assessed"])]
        check(cells[:4] == want, f"{framework}: summary {cells[:4]} != JSON {want}")
        level = int(report["automation"]["level"] * 100 + 0.5)  # half up, as printed
        check(cells[4].startswith(f"{level}%"), f"{framework}: automation {cells[4]!r}, JSON {level}%")
        target = report["automation"]["target"]
        if target is not None:
            check(cells[5].startswith(f"{round(target * 100)}%"), f"{framework}: target {cells[5]!r}")
    check(len(page.controls) == len(report["controls"]),
          f"{framework}: {len(page.controls)} control sections, JSON has {len(report['controls'])}")
    for c in report["controls"]:
        key = "control-" + c["id"]
        sec = page.controls.get(key)
        check(sec is not None, f"{framework}: no section for control {c['id']}")
        if sec is None:
            continue
        check(sec["badge"] == LABEL[c["result"]], f"{framework} {c['id']}: badge {sec['badge']!r}, JSON {c['result']}")
        check(c["reason"] in sec["text"], f"{framework} {c['id']}: reason {c['reason']!r} missing")
        rows = page.rows.get(key + "/violations", [])[1:]
        want = [[str(v["seq"]) if "seq" in v else "the ledger as a whole", v["rule"], v["why"]]
                for v in c["violations"]]
        check(rows == want, f"{framework} {c['id']}: violations {rows} != JSON {want}")
        for seq in c["evidence"]:
            check(f"entry-{seq}" in page.ids, f"{framework} {c['id']}: evidence entry {seq} not on the page")
    entries = {r[0]: r for r in page.rows.get("/entries", [])[1:]}
    for seq, e in report["entries"].items():
        check(entries.get(seq, [None] * 4)[3] == e["leaf_hash"], f"{framework}: entry {seq}'s leaf hash")
    waivers = page.rows.get("/exceptions", [])[1:]
    check(len(waivers) == len(report["exceptions"]),
          f"{framework}: {len(waivers)} waiver rows, JSON has {len(report['exceptions'])}")
    for row, w in zip(waivers, report["exceptions"]):
        check(row[0] == str(w["seq"]) and row[3] == w["approver"] and row[4] == w["reason"] and row[6] == w["expires"],
              f"{framework}: waiver row {row} != JSON {w}")


def main():
    tollgate, ledger = os.path.abspath(sys.argv[1]), sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        env_ledger = os.path.join(tmp, ".tollgate", "ledger.db")
        os.makedirs(os.path.dirname(env_ledger))
        shutil.copyfile(ledger, env_ledger)
        hostile_seen = {"reason": False, "approver": False, "service": False}
        for framework in ["sox", "pci-dss", "soc2", "gdpr", "nist-csf", "ffiec"]:
            report, page, text = reports(tollgate, tmp, framework)
            check_page(framework, report, page)
            check(page.body_first == ("h1", ""), f"{framework}: a verified ledger has no banner ({page.body_first})")
            check("<script" not in text.lower() and "<img" not in text.lower(), f"{framework}: raw markup in the page")
            for row in page.rows.get("/exceptions", []):
                hostile_seen["reason"] |= HOSTILE_REASON in row
                hostile_seen["approver"] |= HOSTILE_APPROVER in row
            hostile_seen["service"] |= any(HOSTILE_SERVICE in r[2] for k, rows in page.rows.items()
                                           if k.endswith("/violations") for r in rows)
        for what, seen in hostile_seen.items():
            check(seen, f"the hostile {what} does not come back as text")

        # One byte changed in a stored entry: the banner comes first and
        # nothing is satisfied.
        db = sqlite3.connect(env_ledger)
        db.execute("UPDATE entries SET body = replace(body, 'alice', 'alicf') WHERE seq = 8")
        db.commit()
        db.close()
        report, page, _ = reports(tollgate, tmp, "sox")
        check(page.body_first == ("div", "banner"), f"tampered: the first element is {page.body_first}, not the banner")
        check(report["summary"]["satisfied"] == 0, "tampered: the JSON marks a control satisfied")
        check_page("sox (tampered)", report, page)

    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)" if failures else "ok: the HTML report says what the JSON report says")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
