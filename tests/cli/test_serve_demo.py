"""scripts/serve_demo.sh (the end of `make demo`) refuses a port another server holds."""

from __future__ import annotations

import http.server
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, *args: object) -> None:
        pass


def test_a_port_held_by_another_server_is_refused_before_serving(tmp_path: Path) -> None:
    # an earlier `make demo` still serving: its /health answered the script's check, so the
    # banner named its address while our server failed to listen
    other = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    port = other.server_address[1]
    try:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "python").symlink_to(sys.executable)
        fake = bin_dir / "recommender"
        fake.write_text("#!/bin/sh\necho 'fake serve ran' >&2\nsleep 1\nexit 2\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        env = {**os.environ, "BIN": str(bin_dir), "HOST": "127.0.0.1", "PORT": str(port)}
        done = subprocess.run(["bash", str(ROOT / "scripts" / "serve_demo.sh"),
                               str(tmp_path / "model"), str(tmp_path / "data")],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    finally:
        other.shutdown()
        other.server_close()
    assert done.returncode == 1
    assert "served at" not in done.stdout
    assert "fake serve ran" not in done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
