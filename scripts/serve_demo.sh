#!/usr/bin/env bash
# Serve the demo model over HTTP and print curl commands to try against it.
#
#   scripts/serve_demo.sh [MODEL_DIR] [DATA_DIR]     (defaults: build/demo-model build/demo-data)
#
# HOST (127.0.0.1), PORT (8000) and BIN (.venv/bin) can be set in the environment. The server
# runs in the foreground once it is healthy; stop it with Ctrl-C.
set -euo pipefail

MODEL=${1:-build/demo-model}
DATA=${2:-build/demo-data}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
BIN=${BIN:-.venv/bin}
BASE="http://$HOST:$PORT"

# a server already answering there (an earlier make demo) would pass the health check below
# while ours fails to listen: the banner then named the other server's address
if ! "$BIN/python" -c "import socket,sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))" "$HOST" "$PORT" 2>/dev/null; then
    echo "error: cannot listen on $HOST:$PORT: is a server already running there? try PORT=8001 make demo, or stop it" >&2
    exit 1
fi

"$BIN/recommender" serve "$MODEL" --host "$HOST" --port "$PORT" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' INT TERM EXIT

# until it answers (a large model takes a while to load) or exits: the banner below must
# name a server that is up, and ours
until "$BIN/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "$BASE/health" 2>/dev/null; do
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "error: the server did not start (is port $PORT free? try PORT=8001 make demo)" >&2
        exit 1
    fi
    sleep 0.2
done

"$BIN/python" - "$MODEL" "$DATA" "$BASE" <<'PY'
import json
import sys

sys.path.insert(0, "scripts")
from readme_examples import example_inputs  # noqa: E402

model_dir, data_dir, base = sys.argv[1:4]
ex = example_inputs(model_dir, data_dir)
film, word, user = ex["film"], ex["word"], ex["user"]
json_h = "-H 'content-type: application/json'"
lookalike = json.dumps(ex["lookalike"])
cold = json.dumps(ex["cold"])
print(f"""
The demo model is served at {base}
  Audience Studio (the web app):  {base}/studio/
  API docs:                       {base}/docs
Try:

  curl -s {base}/health
  curl -s '{base}/films?query={word}&limit=3'
  curl -s {base}/films/{film}
  curl -s '{base}/films/{film}/audience?k=5'
  curl -s {base}/films/{film}/audience/summary
  curl -s -OJ '{base}/films/{film}/audience.csv?k=1000'     # saves audience_{film}.csv
  curl -s '{base}/films/{film}/similar?k=5'
  curl -s '{base}/users/{user}/recommendations?k=5'
  curl -s -X POST {base}/audiences/lookalike {json_h} -d '{lookalike}'
  curl -s -X POST {base}/audiences/cold-start {json_h} -d '{cold}'
  curl -s {base}/segments
  curl -s {base}/metrics | grep '^recommender_http_requests_total'
  # reload the model: admin endpoints stay closed (403) until the server is started with
  # RECOMMENDER_ADMIN_KEY set, e.g. RECOMMENDER_ADMIN_KEY=$KEY make demo, then:
  curl -s -X POST {base}/admin/reload -H "Authorization: Bearer $KEY"

Press Ctrl-C to stop the server.
""", flush=True)
PY

wait "$SERVER"
