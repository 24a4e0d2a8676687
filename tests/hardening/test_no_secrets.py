"""No secrets in the repository: private keys, PKCS#12 files, AWS-style keys and non-demo passwords in any
file git tracks (or would add: untracked, not ignored). Demo values are allowed; each is named below and
refused in production by ``manage.py check --deploy`` (motcua.common.checks)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The demo's well-known values (simulators, demo users, demo PKI): public on purpose.
DEMO_VALUES = {
    "motcua-sim",
    "motcua-vneid-secret",
    "motcua-demo",
    "motcua-payment-demo-secret",
    "MotCua@2026",
    "123456",
}
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
AWS_SECRET = re.compile(r"aws_secret_access_key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}", re.I)
NAME = r"[A-Za-z_]*(?:password|passwd|pwd|secret|api_?key|access_key|secret_key|token)"
ASSIGNED = re.compile(
    rf"""(?P<name>{NAME})["']?\s*[:=]\s*(?:[a-z]\w*\()?["'](?P<value>[^"'\s{{}}$%<>]{{6,}})["']""", re.I
)
ENV_DEFAULT = re.compile(
    rf"""env\.\w+\(\s*["'](?P<name>{NAME}[A-Za-z_]*)["']\s*,\s*default=["'](?P<value>[^"']{{6,}})["']""", re.I
)
PKCS12_OID = bytes.fromhex("2a864886f70d010c")  # 1.2.840.113549.1.12 (pkcs-12), in every PKCS#12 file
BINARY_EXT = {".p12", ".pfx"}


def repo_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [ROOT / p for p in out.split("\0") if p and (ROOT / p).is_file()]


def demo_like(value: str) -> bool:
    lowered = value.lower()
    return value in DEMO_VALUES or any(w in lowered for w in ("demo", "sim", "test", "example", "changeme", "dummy"))


def findings(path: str, data: bytes) -> list[str]:
    found = []
    if Path(path).suffix.lower() in BINARY_EXT or (b"\0" in data[:8192] and PKCS12_OID in data[:64]):
        found.append(f"{path}: PKCS#12 file")
    if b"\0" in data[:8192]:
        return found
    text = data.decode("utf-8", errors="replace")
    if PRIVATE_KEY.search(text):
        found.append(f"{path}: private key")
    if AWS_KEY_ID.search(text) or AWS_SECRET.search(text):
        found.append(f"{path}: AWS-style key")
    # Passwords in tests/ are throw-away fixtures of a test database; keys and certificates count everywhere.
    assignments = [] if path.startswith("tests/") else [*ASSIGNED.finditer(text), *ENV_DEFAULT.finditer(text)]
    for m in assignments:
        value = m.group("value")
        if not demo_like(value) and not re.fullmatch(r"[A-Z_]+|[a-z_.]+|\w+\.\w+", value):
            found.append(f"{path}: {m.group('name')} = {value[:4]}…")
    return found


def test_the_scanner_finds_what_it_looks_for():
    key = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE\n"
    assert findings("a.pem", key.encode()) == ["a.pem: private key"]
    assert findings("b.p12", b"\x30\x82\x00") == ["b.p12: PKCS#12 file"]
    assert findings("c.bin", b"\x30\x82\x0a\x00\x02\x01\x03\x30\x82\x00\x06\x09" + PKCS12_OID + b"\0" * 20)
    assert findings("d.env", ("AWS_ACCESS_KEY_ID=AKIA" + "Q" * 16).encode())
    assert findings("e.py", b'DB_PASSWORD = "Tr0ub4dor&3x"')
    assert not findings("tests/e.py", b'password = "Mat-khau-2026"')  # a test database's fixture
    assert not findings("i.py", b'token_type = "Bearer"; tokenUrl = "oauth/token"')
    assert findings("f.py", b'env.str("X_SECRET", default="s3cr3t-prod-value")')
    assert not findings("g.py", b'SIGNING_P12_PASSWORD = env.str("SIGNING_P12_PASSWORD", default="motcua-demo")')
    assert not findings("h.py", b'password = request.POST.get("password")')


def test_no_secrets_in_the_repository():
    files = repo_files()
    assert len(files) > 100
    problems = [f for p in files for f in findings(str(p.relative_to(ROOT)), p.read_bytes())]
    assert not problems, "secrets in the repository:\n" + "\n".join(problems)
