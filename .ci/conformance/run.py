"""Runs schemathesis against a real fieldkit-server, on SQLite and on PostgreSQL.

Called by .ci/conformance.sh (which makes the venv and the server binary). For each backend
(the two at once):
starts the server on 127.0.0.1 and a free port with a throwaway data dir (and, for
PostgreSQL, a throwaway cluster made with initdb/pg_ctl as the Rust tests do), seeds it
through the API (a technician, a job assigned to them, an enrolment code exchanged for a
device token), then runs schemathesis twice against the served document:

  * the device operations (push, pull, blobs) with the device token;
  * every other operation with the admin token (enrolment too: it needs no token).

GET /v1/admin/completions/stream is left out: an event stream does not end, so a tester that
reads whole bodies would wait on it until its timeout (tests/it/conformance.rs covers its
refusals).

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance. The server's log is searched for panics. Prints one summary line
per backend and a total one; exits non-zero on any failure.

Environment: FIELDKIT_SERVER_BIN (the server), SCHEMATHESIS (its CLI), FIELDKIT_SKIP_PG=1
(SQLite only), CONFORMANCE_MAX_EXAMPLES (default 50), CONFORMANCE_SEED (default 1515),
CONFORMANCE_CHECKS (schemathesis's --checks, to try others), CONFORMANCE_KEEP=1 (keep the
temp dirs: the server's log, schemathesis's output).
"""

import concurrent.futures
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ed25519  # noqa: E402  (beside this file)

CHECKS = os.environ.get("CONFORMANCE_CHECKS") or ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
DEVICE_PATHS = r"^/v1/(push|pull|blobs/.*)$"
EXCLUDED = "/v1/admin/completions/stream"
ADMIN_TOKEN = "fka_conformance_" + uuid.uuid4().hex


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def seed(base):
    """A technician with a job and an enrolled device; returns the device token."""
    s, tech = call(base, "POST", "/v1/admin/technicians", ADMIN_TOKEN, {"name": "Conformance"})
    assert s == 201, (s, tech)
    job = {
        "number": "WO-CONFORMANCE-1",
        "kind": "repair",
        "customer": {"name": "Test Customer", "phone": "13800000000"},
        "site": {"address": "1 Test Road", "zone": "urban"},
        "product": {"model": "X-1", "serial": None},
        "reported_fault": "does not start",
        "promised": {"start": "2026-11-16T01:00:00Z", "end": "2026-11-16T03:00:00Z"},
        "billing": "warranty",
        "instructions": None,
        "reported_at": "2026-11-15T08:00:00Z",
        "technician_id": tech["id"],
    }
    s, body = call(base, "POST", "/v1/admin/work-orders", ADMIN_TOKEN, job)
    assert s == 201, (s, body)
    s, code = call(
        base, "POST", "/v1/admin/enrolment-codes", ADMIN_TOKEN, {"technician_id": tech["id"]}
    )
    assert s == 201, (s, code)
    # The device's Ed25519 key and its proof (pushes fuzzed below carry no valid signature:
    # they are refused with 401 after the token check, as documented).
    secret = ed25519.new_secret()
    public_key = ed25519.public_key(secret).hex()
    device_id = str(uuid.uuid4())
    message = f"fieldkit-enrol-v1\n{device_id}\n{public_key}\n{code['code']}".encode()
    enrol = {
        "code": code["code"],
        "device_id": device_id,
        "public_key": public_key,
        "proof": ed25519.sign(secret, message).hex(),
    }
    s, enrolled = call(base, "POST", "/v1/enroll", None, enrol)
    assert s == 200, (s, enrolled)
    return enrolled["token"]


def wait_ready(base, proc, log):
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError("the server stopped:\n" + tail(log))
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer /healthz:\n" + tail(log))


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def schemathesis(base, token, include, workdir, label, max_examples, seed_value):
    args = [
        os.environ["SCHEMATHESIS"],
        "run",
        base + "/v1/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed_value),
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        # One worker: hypothesis describes strategies with ast.parse, which CPython 3.11
        # can break when threads call it at once ("AST constructor recursion depth").
        "--workers",
        "1",
        "--no-color",
        "--header",
        "Authorization: Bearer " + token,
        "--exclude-path",
        EXCLUDED,
    ]
    if include:
        # The device operations have no links between them: no stateful phase.
        args += ["--include-path-regex", DEVICE_PATHS, "--phases", "examples,coverage,fuzzing"]
    else:
        args += ["--exclude-path-regex", DEVICE_PATHS]
    out_path = os.path.join(workdir, f"schemathesis-{label}.txt")
    started = time.monotonic()
    with open(out_path, "w") as out:
        rc = subprocess.run(args, cwd=workdir, stdout=out, stderr=subprocess.STDOUT).returncode
    elapsed = time.monotonic() - started
    text = open(out_path, errors="replace").read()
    ops = re.search(r"Tested:\s*(\d+)", text)
    cases = re.search(r"(\d+) generated", text)
    failures = re.search(r"(\d+) found (\d+) unique failures", text)
    errors = re.search(r"(\d+) errors?\b", text.split("SUMMARY")[-1])
    result = {
        "ops": int(ops.group(1)) if ops else 0,
        "cases": int(cases.group(1)) if cases else 0,
        "failures": int(failures.group(2)) if failures else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "rc": rc,
        "seconds": elapsed,
        "fivexx": len(re.findall(r"Server error", text)),
    }
    if rc != 0 or result["failures"] or not ops:
        print(f"--- schemathesis ({label}) output: {out_path}")
        print(text[-20000:])
    return result


def pg_cluster(tmp):
    """initdb + pg_ctl start, as tests/it/common/mod.rs Pg::start does; returns (url, stop)."""
    bins = sorted(
        p
        for p in glob.glob("/usr/lib/postgresql/*/bin")
        if os.path.exists(os.path.join(p, "initdb")) and os.path.exists(os.path.join(p, "pg_ctl"))
    )
    if not bins:
        raise RuntimeError(
            "PostgreSQL server binaries not found: run `bash .ci/postgres.sh`, or set "
            "FIELDKIT_SKIP_PG=1"
        )
    bin_dir = bins[-1]
    as_postgres = os.geteuid() == 0
    # Its own temp dir: the cluster's user must reach it (mkdtemp makes 0700 dirs).
    cluster = tempfile.mkdtemp(prefix="fieldkit-conformance-pg-")
    data = os.path.join(cluster, "data")
    os.makedirs(data)
    if as_postgres:
        subprocess.run(["chown", "-R", "postgres:postgres", cluster], check=True)

    def run(tool, *args):
        cmd = [os.path.join(bin_dir, tool), *args]
        if as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True)

    port = free_port()
    r = run("initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", data)
    if r.returncode != 0:
        raise RuntimeError("initdb failed: " + r.stderr)
    opts = f"-p {port} -h 127.0.0.1 -k {data}"
    log = os.path.join(cluster, "pg.log")
    r = run("pg_ctl", "-D", data, "-o", opts, "-l", log, "-w", "start")
    if r.returncode != 0:
        raise RuntimeError("pg_ctl start failed: " + r.stderr + tail(log))

    def stop():
        run("pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(cluster, ignore_errors=True)

    return f"postgres://postgres@127.0.0.1:{port}/postgres", stop


def backend_run(name, max_examples, seed_value):
    tmp = tempfile.mkdtemp(prefix=f"fieldkit-conformance-{name}-")
    stop_pg = None
    proc = None
    started = time.monotonic()
    try:
        env = dict(os.environ)
        env.pop("FIELDKIT_DATABASE_URL", None)
        port = free_port()
        env.update(
            {
                "FIELDKIT_LISTEN": f"127.0.0.1:{port}",
                "FIELDKIT_DATA_DIR": os.path.join(tmp, "data"),
                "FIELDKIT_ADMIN_TOKEN": ADMIN_TOKEN,
                "RUST_LOG": "warn",
                # Enrolment is rate limited per address (20 a minute by default): a higher
                # limit lets the tester reach the code checks too; it still meets 429s.
                "FIELDKIT_ENROLL_PER_MINUTE": "200",
            }
        )
        if name == "postgres":
            url, stop_pg = pg_cluster(tmp)
            env["FIELDKIT_DATABASE_URL"] = url
        log = os.path.join(tmp, "server.log")
        with open(log, "w") as logf:
            proc = subprocess.Popen(
                [os.environ["FIELDKIT_SERVER_BIN"]], env=env, stdout=logf, stderr=subprocess.STDOUT
            )
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc, log)
        device_token = seed(base)
        runs = [
            schemathesis(base, device_token, True, tmp, f"{name}-device", max_examples, seed_value),
            schemathesis(base, ADMIN_TOKEN, False, tmp, f"{name}-admin", max_examples, seed_value),
        ]
        alive = proc.poll() is None
        server_log = open(log, errors="replace").read()
        panics = len(re.findall(r"panicked", server_log))
        total = {
            k: sum(r[k] for r in runs) for k in ("ops", "cases", "failures", "errors", "fivexx")
        }
        total["panics"] = panics
        total["seconds"] = time.monotonic() - started
        total["ok"] = (
            alive
            and panics == 0
            and all(r["rc"] == 0 for r in runs)
            and total["failures"] == 0
            and total["errors"] == 0
            and all(r["ops"] > 0 for r in runs)
        )
        if not alive:
            print(f"--- the server stopped during the run ({name}):\n" + tail(log))
        if panics:
            print(f"--- the server panicked ({name}):\n" + tail(log))
        return total
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if stop_pg:
            stop_pg()
        if os.environ.get("CONFORMANCE_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")


def main():
    max_examples = int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "50"))
    seed_value = int(os.environ.get("CONFORMANCE_SEED", "1515"))
    backends = ["sqlite"]
    if os.environ.get("FIELDKIT_SKIP_PG") == "1":
        print("conformance: PostgreSQL skipped (FIELDKIT_SKIP_PG=1)")
    else:
        backends.append("postgres")
    # The backends side by side: each is one schemathesis process and one server, mostly one
    # core's work between them, and CI has two.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(backends)) as pool:
        futures = {b: pool.submit(backend_run, b, max_examples, seed_value) for b in backends}
        results = {b: f.result() for b, f in futures.items()}
    ok = True
    for b, r in results.items():
        ok &= r["ok"]
        print(
            f"conformance {b}: {r['ops']} operations, {r['cases']} test cases, "
            f"{r['failures']} failures, {r['errors']} errors, {r['fivexx']} 5xx, "
            f"{r['panics']} panics, {r['seconds']:.0f}s: {'ok' if r['ok'] else 'FAILED'}"
        )
    failed = sum(1 for r in results.values() if not r["ok"])
    print(f"conformance: {len(results) - failed} passed, {failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
