"""`python -m blip_client.fake` runs in the foreground, logs without bodies, stops on SIGTERM."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_cli_serves_logs_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "blip_client.fake", "--port", "0", "--api-key", "Key cli-key",
         "--bot-header", "X-Webhook-Secret: abc"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = process.stderr.readline()
        base_url = re.search(r"listening on (http://\S+)", first).group(1)
        body = {"id": "m1", "to": "5511987654321@wa.gw.msging.net", "type": "text/plain",
                "content": "conteudo-secreto"}
        answer = requests.post(f"{base_url}/messages", json=body,
                               headers={"Authorization": "Key cli-key"}, timeout=5)
        assert answer.status_code == 202
        assert requests.get(f"{base_url}/_fake/requests", timeout=5).json()[0]["status"] == 202
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "POST /messages 202" in rest and "conteudo-secreto" not in rest
    assert "stopping fake Blip" in rest
