#!/usr/bin/python3
"""Time and peak RSS of `digitinfer preprocess` on the decode-budget inputs of issue 11.

    /usr/bin/python3 bench/decode_budgets/measure.py --cli build/examples/cli/digitinfer [--dir DIR] [png] [formats]

png: tools/make_png_cases.py --bombs (IDAT zeros, 13376^2 RGBA16, 1x178,956,970 1-bit); formats:
tools/hostile_images.py --bombs (JPEG scans, GIF screen, BMP header). The inputs are written into
--dir first. Each row: the exit status, wall seconds and peak RSS from /usr/bin/time -v, with the
default limits. Compare two builds by running it once per --cli.
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PNG_INPUTS = ["idat-zeros-1gib.png", "idat-zeros-2gib.png", "rgba16-13376.png", "tall-1bit-178956970.png"]


def png_inputs(directory):
    subprocess.run(["/usr/bin/python3", str(ROOT / "tools/make_png_cases.py"), "--bombs", directory], check=True,
                   stdout=subprocess.DEVNULL)
    return PNG_INPUTS


def format_inputs(directory):
    generator = ["/usr/bin/python3", str(ROOT / "tools/hostile_images.py"), "--bombs", directory]
    subprocess.run(generator, check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(generator + ["--list"], check=True, capture_output=True, text=True).stdout.split()


SETS = {"png": png_inputs, "formats": format_inputs}


def measure(cli, path):
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["/usr/bin/time", "-v", cli, "preprocess", str(path), "-o", f"{tmp}/out.png"],
                           capture_output=True, text=True)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    seconds = float(wall.group(2)) * 60 + float(wall.group(3)) + float(wall.group(1) or 0) * 3600
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return r.returncode, seconds, rss_kb


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cli", required=True, help="the digitinfer executable")
    p.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "digitinfer-decode-bombs"))
    p.add_argument("sets", nargs="*", metavar="SET", help=f"which inputs: {', '.join(SETS)} (default: all)")
    a = p.parse_args()
    unknown = set(a.sets) - set(SETS)
    if unknown:
        p.error(f"unknown input sets: {', '.join(sorted(unknown))}")
    print("| input | exit | seconds | peak RSS (MB) |\n|---|---|---|---|")
    for name in a.sets or SETS:
        for file in SETS[name](a.dir):
            code, seconds, rss_kb = measure(a.cli, Path(a.dir) / file)
            print(f"| {file} | {code} | {seconds:.2f} | {rss_kb / 1024:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
