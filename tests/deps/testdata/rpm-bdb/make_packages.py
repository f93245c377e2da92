#!/usr/bin/env python3
"""Writes Packages.dump, the input from which Packages (a Berkeley DB hash
database laid out like RPM's /var/lib/rpm/Packages) was made:

    python3 make_packages.py > Packages.dump
    db5.3_load -f Packages.dump Packages        # Debian 12 package db5.3-util

Keys are RPM header numbers (32-bit, little-endian as RPM on x86 writes
them); values are RPM headers (big-endian index of tag, type, offset, count
entries, then the data store). Key 0 is RPM's "next header number" record.
The 512-byte pages put the larger headers on overflow pages and keep the
small ones inline, so both forms are exercised."""
import struct
import sys


def header(strings, epoch=None, padding=0):
    index, data = b"", b""
    for tag, value in strings:
        index += struct.pack(">IIII", tag, 6, len(data), 1)
        data += value.encode() + b"\0"
    if padding:  # a DESCRIPTION (tag 1005) to make the header large
        index += struct.pack(">IIII", 1005, 6, len(data), 1)
        data += b"x" * padding + b"\0"
    while len(data) % 4:
        data += b"\0"
    count = len(strings) + (1 if padding else 0)
    if epoch is not None:
        index += struct.pack(">IIII", 1003, 4, len(data), 1)
        data += struct.pack(">I", epoch)
        count += 1
    return struct.pack(">II", count, len(data)) + index + data


def nevr(name, version, release, source):
    return [(1000, name), (1001, version), (1002, release), (1044, source)]


records = [
    (0, struct.pack("<I", 5)),
    (1, header(nevr("openssl-libs", "1.0.2k", "19.el7", "openssl-1.0.2k-19.el7.src.rpm"), epoch=1, padding=1500)),
    (2, header([(1000, "gpg-pubkey"), (1001, "f4a80eb5"), (1002, "53a7ff4b")])),
    (3, header(nevr("bash", "4.2.46", "34.el7", "bash-4.2.46-34.el7.src.rpm"))),
    (4, header(nevr("zlib", "1.2.7", "18.el7", "zlib-1.2.7-18.el7.src.rpm"), epoch=0, padding=700)),
]
out = sys.stdout
out.write("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=512\nHEADER=END\n")
for key, value in records:
    out.write(" " + struct.pack("<I", key).hex() + "\n")
    out.write(" " + value.hex() + "\n")
out.write("DATA=END\n")
