#!/usr/bin/env python3
"""Generates rules/saas-named.toml from rules/gen/saas-names.txt.

The rule `saas-named-credential` flags an opaque token that stands next to
the name of a SaaS/API provider whose keys carry no distinctive prefix:
`apify_api_token = <token>`, `BITBAR_SECRET=<token>`, `"bugsnagKey": "<token>"`,
`chartmogul <token>`. Names match in any letter case, must not be part of a
longer lowercase word (`boxes` is not `box`, `boxToken` and `BOX_KEY` are),
and the token must look random: 16-128 characters of [A-Za-z0-9_+=-] with a
digit and a letter, entropy >= 3.0, and not a placeholder or identifier.

Run `python3 rules/gen/gen.py` after editing the names; the test
`rules_generated_current` (ctest) fails when the output is stale.
"""
import io, os, random, string, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "saas-named.toml")


def aliases():
    # short or everyday names of providers, used only where a credential word follows
    return read_names("saas-aliases.txt")


def names():
    return read_names("saas-names.txt")


def read_names(fname):
    out = []
    with open(os.path.join(HERE, fname), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not all(c in string.ascii_lowercase + string.digits for c in line):
                sys.exit(f"{fname}: bad name {line!r}")
            out.append(line)
    if len(set(out)) != len(out):
        sys.exit(f"{fname}: duplicate names")
    return by_length(out)


def by_length(ns):
    if len(set(ns)) != len(ns):
        sys.exit("saas-names.txt and saas-aliases.txt overlap")
    return sorted(ns, key=lambda n: (-len(n), n))  # longest first: no prefix shadows a longer name


def caseless(name):
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in name)


def regex(ns):
    alt = "(?i:" + "|".join(ns) + ")"  # any letter case; what follows is case-sensitive
    # boundary, name, a follower that is not a lowercase letter or digit, up to
    # 40 characters of label/separators (may cross one line break), the token.
    # boundary, name, a follower that is neither a lowercase letter nor a
    # digit, then either up to 40 characters of label on the same line or one
    # nested `key: value` line (YAML/INI), then a separator and the token. A
    # token right after '/', '.', '@' or '_' is part of a path, host or name.
    return ("(?:^|[^A-Za-z0-9])(?:" + alt + ")"
            "(?:[^a-z0-9\\n][^\\n,;/()]{0,40}?"
            "|[^a-z0-9\\n][^\\n]{0,20}?\\n[ \\t]{0,16}[\"']?[A-Za-z_.-]{1,30}[\"']?[ \\t]{0,4}[:=][ \\t]{0,4}[\"']?)?"
            "[ \\t\"'`:=\\[{<>|*-]([A-Za-z0-9][A-Za-z0-9_+=-]{15,127})(?:[^A-Za-z0-9_+=-]|$)")


def prefilter(ns):
    # For Vectorscan: the regex's bounded repeats make its prefilter slow, so
    # it looks for the names alone (a literal set) and RE2 confirms the rest.
    # The follower may be a lower-case letter: the labelled rule allows a
    # credential word right after the name (`openweatherapikey=`,
    # `shortcutaccess`), so the prefilter must too. (Listing those words
    # here instead made the Vectorscan scan 2.5x slower.)
    return ("(?:^|[^A-Za-z0-9])(?i:" + "|".join(ns) + ")"
            "[^0-9\\n]")


def token(rng, n, alphabet=string.ascii_letters + string.digits):
    while True:
        t = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in t) and any(c.isalpha() for c in t):
            return t


ALLOW_NOTE = "  # identifiers: words joined by _ or +, each all-lower, ALL-UPPER or camel/Pascal\n"
IDENTIFIERS = [
    "  '''^[a-z][a-z0-9-]*[g-z][a-z0-9-]*-[a-z0-9-]*$|^[a-z][a-z0-9-]*-[a-z0-9-]*[g-z][a-z0-9-]*$''',  # kebab-case name, not hex (haml2js-preprocessor)\n",
    "  # identifiers: words joined by _ or +, each all-lower, ALL-UPPER or camel/Pascal\n"
    "  # case (crypto_box_curve25519xsalsa20poly1305_BYTES, GL_EXT_s3tc, kAudioTag_MPEG_7_1)\n"
    "  '''^(?:[A-Z0-9]+|[a-z0-9]+|[A-Z]*[a-z0-9]*(?:[A-Z][a-z0-9]+)+)(?:[_+]+(?:[A-Z0-9]+|[a-z0-9]+|[A-Z]*[a-z0-9]*(?:[A-Z][a-z0-9]+)+))+[_+=-]*$''',\n",
    "  # CamelCase identifiers of words, acronyms and numbers, alone or joined by\n"
    "  # hyphens (XF86MonBrightnessUp, the font NimbusRomNo9L-Regu)\n"
    "  '''^(?:(?:[A-Z]+[0-9]*)?(?:[A-Z][a-z]+[0-9]*)+(?:[A-Z]+[0-9]*)?(?:-|$))+$''',\n",
    "  '''^[a-z]+(?:[A-Z][a-z0-9]+)+$''',  # camelCase identifier\n",
]
WORDS_AND_NUMBERS = [
    "  '''^[^0-9]+$''',                        # no digit: a word or identifier\n",
    "  '''^[^A-Za-z]+$''',                     # no letter: a number\n",
    "  '''^[0-9a-f]{16}$''',                   # 64-bit hex: an id or short hash (cfn-lint schema hashes)\n",
]
LABELLED_ALLOW = [
    "  '''^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+_*$''',     # ENVIRONMENT_NAME\n",
    # words joined by _ + or -, each lower, UPPER, Capitalised or camelCase,
    # after two or more words maybe a number, maybe a file extension
    # (coda_open_by_path, scripts-edge, Architecture, GITHUB_ID+org,
    # identity-config.rst, in-a-different-aws-region-1628622402887); random
    # letters (ABCdefGHIjkl...) are no such words.
    "  '''^(?:[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*)(?:(?:[_+-]+(?:[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*))*|(?:[_+-]+(?:[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*))+[_+-]+[0-9]+)(?:\\.[a-z]{1,5})?[_+=-]*$''',  # words\n",
    "  '''^v?[0-9]+(?:\\.[0-9]+)+(?:[-+.][A-Za-z0-9.-]*)?$''',  # a version (1.2.3, v0.0.0-2020...-abcdef)\n",
]
DOTTED = [
    "  '''^[A-Za-z_$][A-Za-z0-9_$]*(?:\\.[A-Za-z_$][A-Za-z0-9_$]*)+$''',  # dotted reference (config.api.key, process.env.KEY)\n",
    "  '''^[a-z]+$''',                        # one lower-case word\n",
]
LABELLED_NEGATIVES = [
    "ALGOLIA_API_KEY=${ALGOLIA_API_KEY}",                 # variable reference
    "chartmogul_secret = settings.CHARTMOGUL_SECRET",     # dotted reference
    "bugsnag_api_key: your-bugsnag-api-key-here",         # placeholder
    "calendarific_token = xyzxyzxyzxyzxyzxyzxyzxyzxyzxyz12",  # low entropy
    "boxes_api_key = 7d26543873f90efc5c31862fc6dabdf6",   # not the provider name
    "mixpanel_token = MIXPANEL_PROJECT_TOKEN_FROM_ENV",   # environment name
    "coda_access = coda_open_by_path",                    # words
    "box_token: scripts-edge-Architecture",                # words
    "cloud-front-origin-access-identity-config.rst",       # words, a file name
    '"id": "to-replicate-a-multi-region-key-in-a-different-aws-region-1628622402887"',  # words, a number
]


def labelled_regex(ns):
    # name, optionally a short label, a credential word, a few more label
    # characters, separators (one line break at most), then the value. The
    # credential word makes the context strong enough for a lower entropy
    # threshold (2.5) and shorter values (12+).
    alt = "(?i:" + "|".join(ns) + ")"
    return ("(?:^|[^A-Za-z0-9_]|[A-Z]_)" + alt +
            "(?:[^A-Za-z0-9\\n][^\\n,;()]{0,24}?)?"
            "(?i:api[_-]?key|key|secret|token|access|private|pat|password|passwd|pwd|auth|credentials?)"
            "[A-Za-z_.-]{0,16}?[ \\t\"'`:=\\[{<>|*.-]{0,5}[ \\t\"'`:=\\[{<>|*.-]"
            "([A-Za-z0-9][A-Za-z0-9_+=.-]{10,254}[A-Za-z0-9_+=-])(?:[^A-Za-z0-9_+=.-]|$)")


def labelled_examples(rng):
    return [
        f"tomtom_access_token={token(rng, 32)}",
        f"vatlayerTOKEN {token(rng, 32, string.ascii_lowercase + string.digits)}",
        f"cloudmersive-secret-key-{token(rng, 8, string.digits + 'abcdef')}-{token(rng, 4, string.digits + 'abcdef')}-4b1d-a456-{token(rng, 12, string.digits + 'abcdef')}",
        f"formbucket KEY {token(rng, 6)}.{token(rng, 6)}.{token(rng, 6)}-{token(rng, 4)}",
        f"openweatherapikey={token(rng, 32, string.digits + 'abcdef')}",  # credential word joined on
        "databox_token = " + "".join(rng.choice(string.ascii_letters) for _ in range(24)),  # random letters, no digit
    ]


def write_rule(f, q, rid, description, rx, entropy, examples, negatives, allow, pre):
    f.write("\n[[rule]]\n")
    f.write(f'id = "{rid}"\n')
    f.write(f'description = "{description}"\n')
    f.write('provider = "generic"\n')
    f.write('severity = "medium"\n')
    f.write("regex = '''" + rx + "'''\n")
    f.write("prefilter = '''" + pre + "'''\n")
    # The prefilter ends one byte after a provider's name, and the regex's
    # match starts at most two bytes before it (`[A-Z]_` in REACT_APP_BEAMER_KEY):
    # RE2 tries those starts anchored instead of searching a window.
    f.write("prefilter_word_anchor = 2\n")
    f.write("secret_group = 1\n")
    f.write(f"entropy = {entropy}\n")
    f.write('remediation = "Revoke the key in the provider\'s console, issue a new one into your secret manager, and remove this one from history."\n')
    f.write('references = ["CWE-798"]\n')
    f.write("examples = [\n" + "".join(f"  {q(e)},\n" for e in examples) + "]\n")
    f.write("negative_examples = [\n" + "".join(f"  {q(e)},\n" for e in negatives) + "]\n")
    f.write("[rule.allowlist]\n")
    f.write("regexes = [\n" + "".join(allow) + "]\n")
    f.write('stopwords = ["xxxx", "your", "placeholder", "changeme", "example", "redacted", "dummy", "sample"]\n')
    f.write("paths = ['''(^|/)(node_modules|vendor)/''', '''\\.min\\.js$''', '''(^|/)(package-lock\\.json|yarn\\.lock|pnpm-lock\\.yaml|Cargo\\.lock|go\\.sum|poetry\\.lock)$''']\n")


def main():
    ns = names()
    rng = random.Random(20261128)
    hexd = string.digits + "abcdef"
    examples = [
        f"bitbar_api_key = {token(rng, 32, hexd)}",
        f'BUGSNAG_TOKEN="{token(rng, 32, hexd)}"',
        f'"chartmogulSecret": "{token(rng, 40)}"',
        f"blazemeter {token(rng, 8, hexd)}-{token(rng, 4, hexd)}-{token(rng, 4, hexd)}-{token(rng, 4, hexd)}-{token(rng, 12, hexd)}",
        f"WebflowApiToken: {token(rng, 64, hexd)}",
        f"clockify:\n  api_key: {token(rng, 48)}",
        f"headers = {{'X-Aylien-Key': '{token(rng, 32)}'}}",
    ]
    negatives = [
        "bitbar_api_key = ${BITBAR_API_KEY}",                       # variable reference
        "BUGSNAG_TOKEN=your-bugsnag-token-here",                    # placeholder
        "chartmogulSecret = ChartmogulSecretProvider2Factory",      # identifier
        "%!PS-AdobeFont-1.0: NimbusRomNo9L-Regu 1.05",              # CamelCase words joined by hyphens
        '"AWS::Chatbot::CustomAction": "8dfc85a2f8e2f05e",',         # a 64-bit hex id
        f"boxes_api_key = {token(rng, 32, hexd)}",                  # not the provider name
        "webflow_token = abcdefghijklmnopqrstuvwxyzabcdef",         # no digit
        "clockify_key = 12345678901234567890",                      # no letter
        "aylien_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1",            # low entropy
        "BITBAR_API_KEY_FILE_PATH_NAME_OVERRIDE_2",                 # environment name
    ]
    q = lambda s: "'''" + s + "'''" if "\n" in s or "'" in s else "'" + s + "'"
    f = io.StringIO()
    f.write("# GENERATED by rules/gen/gen.py from rules/gen/saas-names.txt: edit those, not this file.\n")
    f.write(f"# {len(ns)} SaaS/API providers whose credentials have no distinctive prefix.\n")
    write_rule(f, q, "saas-named-credential",
               "API key or token next to the name of a SaaS/API provider",
               regex(ns), "3.0", examples, negatives, IDENTIFIERS + WORDS_AND_NUMBERS, prefilter(by_length(ns + aliases())))
    write_rule(f, q, "saas-named-credential-labelled",
               "Value assigned to a key, secret or token setting named after a SaaS/API provider",
               labelled_regex(by_length(ns + aliases())), "2.5", labelled_examples(rng), LABELLED_NEGATIVES, LABELLED_ALLOW + DOTTED, prefilter(by_length(ns + aliases())))
    text = f.getvalue()
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as cur:
            if cur.read() != text:
                sys.exit("rules/saas-named.toml is stale: run python3 rules/gen/gen.py")
        print("rules/saas-named.toml is current")
        return
    with open(OUT, "w", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main()
