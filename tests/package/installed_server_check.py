"""The installed digitinfer-server finds its installed model and answers a prediction.

usage: installed_server_check.py PREFIX/bin/digitinfer-server IMAGE EXPECTED_DIGIT
Starts the server on free ports (port 0), reads the port from its stdout, sends IMAGE
as `curl -T` does, checks the answer and that the model came from the prefix's
share/digitinfer/models, then stops it with SIGTERM and checks it exits 0.
"""
import http.client
import os
import subprocess
import sys


def main():
    binary, image, expected = sys.argv[1:4]
    env = dict(os.environ)
    env.pop("DIGITINFER_MODEL", None)  # the installed default, not a developer's override
    args = [binary] + [f"--{api}-address=http://127.0.0.1:0" for api in ("inference", "management", "metrics")]
    server = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        port = None
        for line in server.stdout:  # ends when the server exits: no hang
            if " inference listening on " in line:
                port = int(line.rsplit(":", 1)[1])
            if line.strip() == "digitinfer-server: ready":
                break
        if port is None:
            sys.exit("the server did not start: " + server.stderr.read())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with open(image, "rb") as f:
            conn.request("PUT", "/predictions/convnet", body=f.read())
        response = conn.getresponse()
        body = response.read().decode()
        print(f"PUT /predictions/convnet -> {response.status} {body!r}")
        if response.status != 200 or body != expected:
            sys.exit(f"expected 200 {expected!r}")
    finally:
        server.terminate()
        try:
            code = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            sys.exit("the server did not stop within 15 s of SIGTERM")
    log = server.stderr.read()
    print(log, end="")
    if code != 0:
        sys.exit(f"exit code {code} after SIGTERM")
    if "share/digitinfer/models/convnet.dimodel" not in log:
        sys.exit("the model was not the installed one")
    print("ok")


if __name__ == "__main__":
    main()
