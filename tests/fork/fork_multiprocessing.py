"""A multiprocessing child forked after a multi-threaded predict must predict too (the fork start method:
gunicorn --preload and many Python servers use the library this way).

    DIGITINFER_LIBRARY=build/libdigitinfer.so.1 PYTHONPATH=bindings/python python3 tests/fork/fork_multiprocessing.py \
        MODEL [ENGINE]

Loads MODEL on 2 threads, predicts a batch of gray images on 2 threads, then runs the same batch in a
multiprocessing.Process started with the "fork" method. The parent waits at most TIMEOUT seconds for the child's
answer and kills a child that has not given it: a hang fails the test, never hangs it. Exit status 0 and
"child ok" on success.
"""
import multiprocessing
import sys

import digitinfer

TIMEOUT = 30
SIDE = 40
IMAGES = [(bytes((i * 37 + k) % 251 for k in range(SIDE * SIDE)), SIDE, SIDE) for i in range(8)]


def predict(model, num_threads=None):
    return [(p.digit, p.probability) for p in model.predict_gray_batch(IMAGES, num_threads=num_threads)]


def same(got, expected):  # the image-split path may round differently
    return all(g[0] == e[0] and abs(g[1] - e[1]) <= 1e-5 for g, e in zip(got, expected)) and len(got) == len(expected)


def child(model, queue):
    queue.put([predict(model), predict(model, num_threads=16)])  # more threads than images: split


def main():
    path, engine = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "auto"
    model = digitinfer.Model(path, num_threads=2, engine=digitinfer.Engine.from_name(engine))
    expected = predict(model)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(model, queue))
    process.start()
    try:
        got = queue.get(timeout=TIMEOUT)
    except Exception:  # queue.Empty: no answer in time
        process.kill()
        process.join()
        print(f"child hung: no answer within {TIMEOUT} s, killed")
        return 1
    process.join(TIMEOUT)
    if not all(same(g, expected) for g in got) or process.exitcode != 0:
        print(f"child failed: exit code {process.exitcode}, results {got} (expected {expected} twice)")
        return 1
    print("child ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
