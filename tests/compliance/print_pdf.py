#!/usr/bin/env python3
"""Prints a compliance HTML report to PDF with headless Chromium and checks
the PDF has pages (counted from the PDF's own page objects, so no poppler is
needed).

Usage: print_pdf.py TOLLGATE [PNG]   (PNG: also render page 1 with pdftoppm)
Exit 0 when printed, 1 when not, 77 (skip) when /usr/bin/chromium is absent
unless TOLLGATE_REQUIRE_BROWSER=1.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHROMIUM = "/usr/bin/chromium"


def main():
    tollgate = os.path.abspath(sys.argv[1])
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TOLLGATE_REQUIRE_BROWSER", "") not in ("", "0"):
            print(f"FAIL: {CHROMIUM} is absent and TOLLGATE_REQUIRE_BROWSER is set")
            return 1
        print(f"skip: {CHROMIUM} is absent (apt-get install chromium)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        for args in (["ledger", "init"],
                     ["report", "compliance", "--framework", "pci-dss", "--from", "2026-01-01", "--to", "2027-01-01",
                      "--format", "html", "--output", "report.html"]):
            r = subprocess.run([tollgate] + args, cwd=tmp, capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL:", args, r.stderr)
                return 1
        pdf = os.path.join(tmp, "report.pdf")
        r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}/profile",
                            f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                            "file://" + os.path.join(tmp, "report.html")], capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or not os.path.exists(pdf):
            print("FAIL: chromium did not print:", r.stderr[-2000:])
            return 1
        data = open(pdf, "rb").read()
        # Page objects (/Type /Page, not /Pages).
        pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
        if not data.startswith(b"%PDF-") or pages < 2:
            print(f"FAIL: {pdf}: {len(data)} bytes, {pages} page(s); 37 PCI DSS controls fill more than one")
            return 1
        if len(sys.argv) > 2 and shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf,
                            sys.argv[2].removesuffix(".png")], check=True)
        print(f"ok: printed {pages} page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
