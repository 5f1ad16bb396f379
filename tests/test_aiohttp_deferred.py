"""aiohttp imported after botkit (startup memory): its default TLS contexts load their CA
certificates when first used and verify exactly as when aiohttp loads them at import; the
system's MIME types are read at the first guess, with the same answers.
``BOTKIT_EAGER_IMPORTS=1`` turns every deferral off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# In a fresh interpreter: ``botkit`` imported first (deferred) or not at all (aiohttp as is),
# then HTTPS requests to a local server whose certificate only ``SSL_CERT_FILE`` trusts.
CLIENT = """
import asyncio, json, ssl, sys
if sys.argv[1] == "botkit":
    import botkit
import aiohttp
import aiohttp.web
import aiohttp.connector as connector

async def main():
    pending = connector._SSL_CONTEXT_VERIFIED.__dict__.get("_ca_pending", False)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(sys.argv[2], sys.argv[3])
    app = aiohttp.web.Application()
    app.router.add_get("/", lambda request: aiohttp.web.Response(text="hello"))
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    got = {"pending_at_start": pending, "contexts": [isinstance(c, ssl.SSLContext) for c in (
        connector._SSL_CONTEXT_VERIFIED, connector._SSL_CONTEXT_UNVERIFIED)]}
    for name, how in (("verified", {}), ("unverified", {"ssl": False})):
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"https://127.0.0.1:{port}/", **how) as response:
                    got[name] = await response.text()
        except aiohttp.ClientConnectorCertificateError as exc:
            got[name] = exc.certificate_error.verify_message
    got["ca_certs"] = len(connector._SSL_CONTEXT_VERIFIED.get_ca_certs())
    got["verify"] = [int(connector._SSL_CONTEXT_VERIFIED.verify_mode),
                     connector._SSL_CONTEXT_VERIFIED.check_hostname,
                     int(connector._SSL_CONTEXT_UNVERIFIED.verify_mode)]
    await runner.cleanup()
    print(json.dumps(got))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a certificate for 127.0.0.1 it signed (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    where = tmp_path_factory.mktemp("tls")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=botkit test CA", "-keyout", "ca.key", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")
    (where / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n"
                                   "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    return where


def _client(mode: str, certs: Path, ca_file: Path | None) -> dict[str, object]:
    env = {"PATH": "/usr/bin:/bin"}
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, mode, str(certs / "server.pem"),
         str(certs / "server.key")], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_aiohttp_loads_its_ca_certificates_at_the_first_https_connection(certs: Path) -> None:
    trusted = {mode: _client(mode, certs, certs / "ca.pem") for mode in ("botkit", "plain")}
    assert trusted["botkit"]["pending_at_start"] is True  # nothing loaded at import
    assert trusted["plain"]["pending_at_start"] is False
    assert trusted["botkit"]["contexts"] == trusted["plain"]["contexts"] == [True, True]
    for mode in ("botkit", "plain"):  # the same answers, certificates and settings
        assert trusted[mode]["verified"] == trusted[mode]["unverified"] == "hello"
        assert trusted[mode]["ca_certs"] == 1
    assert trusted["botkit"]["verify"] == trusted["plain"]["verify"] == [2, True, 0]
    # with the system's CAs (which do not know this test CA), verification fails alike
    system = {mode: _client(mode, certs, None) for mode in ("botkit", "plain")}
    for mode in ("botkit", "plain"):
        assert system[mode]["verified"] == "unable to get local issuer certificate"
        assert system[mode]["unverified"] == "hello"
    assert system["botkit"]["ca_certs"] == system["plain"]["ca_certs"]


MIME = """
import json, sys
if sys.argv[1] == "botkit":
    import botkit
import aiohttp.web, aiohttp.web_fileresponse as files, mimetypes
unread = mimetypes._db is None
table = files.CONTENT_TYPES
print(json.dumps({"unread": unread, "table": [table.types_map, table.types_map_inv,
                                            table.encodings_map, table.suffix_map],
                  "guesses": [mimetypes.guess_type(name) for name in
                              ("a.webp", "b.vsd", "c.tar.gz", "d.md", "e.unknown")],
                  "extension": mimetypes.guess_extension("application/vnd.visio"),
                  "files": [table.guess_type(name) for name in ("a.html", "b.vsd")],
                  "types": len(mimetypes.types_map)}))
"""


def test_the_system_mime_types_are_read_at_the_first_guess() -> None:
    runs = {mode: json.loads(subprocess.run(
        [sys.executable, "-c", MIME, mode], capture_output=True, text=True,
        check=True).stdout) for mode in ("botkit", "plain")}
    assert runs["botkit"].pop("unread") is True
    assert runs["plain"].pop("unread") is False
    assert runs["botkit"] == runs["plain"]



EAGER = """
import botkit, botkit_slack.adapter, aiohttp.web, mimetypes, sys, aiohttp.connector as c
print([type(x).__name__ for x in (c._SSL_CONTEXT_VERIFIED, c._SSL_CONTEXT_UNVERIFIED)],
      c._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"] > 0,
      "slack_sdk.web.client" in sys.modules, botkit._agui.__name__)
"""


def test_botkit_eager_imports_turns_every_deferral_off() -> None:
    def run(eager: str) -> str:
        env = {**os.environ, "BOTKIT_EAGER_IMPORTS": eager}
        return subprocess.run([sys.executable, "-c", EAGER], capture_output=True, text=True,
                              check=True, env=env).stdout.split()

    eager, deferred = run("1"), run("")
    assert eager[:3] == ["['SSLContext',", "'SSLContext']", "True"]  # CAs loaded at import
    assert eager[3] == "True"  # slack_sdk's __init__ (its sync WebClient) ran at import
    assert deferred[:2] == ["['CaOnFirstUseContext',", "'CaOnFirstUseContext']"]
    assert deferred[3] == "False"
