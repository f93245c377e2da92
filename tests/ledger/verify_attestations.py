#!/usr/bin/python3
"""Independent verifier of `tollgate ledger attest` output (CTest ledger_attestations_dsse).

Shares no code with Tollgate: DSSE PAE is re-implemented from the DSSE v1
specification, Ed25519 is checked with Debian's python3-cryptography against
the public key file `tollgate keys gen` writes, leaf hashes and inclusion
proofs are recomputed per RFC 9162 from the bytes `tollgate ledger show`
prints. A tampered payload must fail. Usage: verify_attestations.py TOLLGATE EXAMPLE_SARIF
"""
import base64, hashlib, json, os, subprocess, sys, tempfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TG, SARIF = sys.argv[1], sys.argv[2]
COMMIT = "4f9c2e1d7a3b5c6e8f0a1b2c3d4e5f6a7b8c9d0e"


def run(*args, env, check=True):
    p = subprocess.run([TG, *args], env=env, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def pae(ptype: bytes, body: bytes) -> bytes:
    # DSSE v1: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
    return b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(body), body)


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def root_from_proof(index, size, leaf, proof):
    # RFC 9162 section 2.1.3.2, verifying an inclusion proof.
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify(envelope, pub, name, keyid):
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    body = base64.b64decode(envelope["payload"], validate=True)
    ok = False
    for s in envelope["signatures"]:
        if s.get("keyid") != f"{name}+{keyid}":
            continue
        pub.verify(base64.b64decode(s["sig"]), pae(envelope["payloadType"].encode(), body))  # raises
        ok = True
    assert ok, "no signature by the ledger key"
    return json.loads(body)


def main():
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, TOLLGATE_LEDGER=f"{d}/l.db", TOLLGATE_LEDGER_KEY=f"{d}/k.key", TOLLGATE_NO_PROGRESS="1")
        run("keys", "gen", "--out", f"{d}/k.key", "--name", "ledger", env=env)
        os.mkdir(f"{d}/svc")
        with open(SARIF, "rb") as src, open(f"{d}/svc/sast.sarif", "wb") as dst:
            dst.write(src.read())
        with open(f"{d}/svc/tollgate.yaml", "w") as f:
            f.write("version: 1\nservice: payments-api\ngates:\n  sast: { import: sast.sarif, fail_on: high, bypass: [security] }\n")
        gate = run("gate", f"{d}/svc", "--commit", COMMIT, "--author", "A <a@example>", env=env, check=False)
        assert gate.returncode == 1, gate.stderr  # the example SARIF has a high finding: blocked
        run("event", "deploy", "--service", "payments-api", "--env", "prod", "--commit", COMMIT, env=env)
        entries = run("ledger", "show", env=env).stdout.encode().split(b"\n")[:-1]
        # seq 0 gate.decision, 1 gate.overall, 2 deploy
        types = [json.loads(e)["type"] for e in entries]
        assert types == ["gate.decision", "gate.overall", "deploy"], types

        name, keyid, b64 = open(f"{d}/k.key.pub").read().strip().split("+", 2)
        raw = base64.b64decode(b64)
        assert raw[0] == 1 and hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == keyid
        pub = Ed25519PublicKey.from_public_bytes(raw[1:])

        out = run("ledger", "attest", "--all", env=env).stdout.splitlines()
        assert len(out) == 2, out
        for line, seq, ptype in [(out[0], 0, "https://in-toto.io/attestation/test-result/v0.1"),
                                 (out[1], 2, "https://in-toto.io/attestation/deployment/v1")]:
            env_json = json.loads(line)
            st = verify(env_json, pub, name, keyid)
            assert st["_type"] == "https://in-toto.io/Statement/v1"
            assert st["predicateType"] == ptype
            stored = entries[seq]
            subj = {s["name"]: s["digest"] for s in st["subject"]}
            assert subj["payments-api"] == {"gitCommit": COMMIT}, subj
            entry_subj = [s for s in st["subject"] if "sha256" in s["digest"]]
            assert entry_subj[0]["digest"]["sha256"] == hashlib.sha256(stored).hexdigest()
            ref = st["predicate"]["https://tollgate.dev/ns/ledger-entry/v1"]
            leaf = hashlib.sha256(b"\x00" + stored).digest()
            assert ref["seq"] == seq and ref["leafHash"] == leaf.hex() and ref["treeSize"] == 3
            r = root_from_proof(seq, ref["treeSize"], leaf, [bytes.fromhex(h) for h in ref["inclusionProof"]])
            assert r is not None and r.hex() == ref["rootHash"], "inclusion proof does not verify"
            if seq == 0:
                assert st["predicate"]["result"] == "FAILED" and st["predicate"]["failedTests"] == ["sast"]
            # The same statement with one byte changed must not verify.
            bad = dict(env_json)
            bad["payload"] = base64.b64encode(base64.b64decode(env_json["payload"]).replace(b"FAILED", b"PASSED")
                                              .replace(b"prod", b"dev!")).decode()
            try:
                verify(bad, pub, name, keyid)
                sys.exit(f"FAIL: a tampered payload of seq {seq} verified")
            except InvalidSignature:
                pass

        # Bad input: one-line errors, exit 2 (docs/cli.md), ledger untouched.
        for args, want in [(["--seq", "99"], "no entry 99"), (["--seq", "1"], "cannot be attested"),
                           (["--seq", "0", "--key", f"{d}/missing.key"], "cannot open key file")]:
            p = run("ledger", "attest", *args, env=env, check=False)
            assert p.returncode == 2 and want in p.stderr and p.stderr.count("\n") == 1, (args, p.returncode, p.stderr)
        assert run("ledger", "show", env=env).stdout.encode().split(b"\n")[:-1] == entries
    print("ok: 2 attestations verified independently; tampered payloads and bad input refused")


main()
