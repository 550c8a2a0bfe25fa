#!/usr/bin/env python3
"""Checks that the Conan recipe and the vcpkg port still describe this project.

  tools/check_packaging.py [--vcpkg-schema DIR]

What drifts silently when the project changes and nobody runs the package managers:
- every CMake variable the recipe or the port sets (-D..., cache_variables) is an
  option or cache variable the project declares, or a CMake one (CMAKE_*);
- every file pattern the Conan recipe exports matches a file, and every directory the
  top-level CMakeLists.txt adds is exported;
- vcpkg.json parses, its version is DI_VERSION_STRING of include/digitinfer/version.h,
  and every feature the portfile reads is declared there;
- with --vcpkg-schema DIR (vcpkg-tool's docs/*.schema.json, and the jsonschema
  package), vcpkg.json validates against vcpkg's own schema.
Standard library only (but for --vcpkg-schema). Exits 1 listing every problem.
"""
import argparse
import fnmatch
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONANFILE = ROOT / "packaging/conan/conanfile.py"
PORT = ROOT / "packaging/vcpkg/ports/digitinfer"


def project_variables():
    """Names the project declares with option() or set(... CACHE ...), in any CMake file."""
    names = set()
    files = [ROOT / "CMakeLists.txt", *ROOT.glob("cmake/*.cmake"), *ROOT.glob("packaging/*.cmake"),
             *ROOT.glob("src/**/CMakeLists.txt"), *ROOT.glob("examples/**/CMakeLists.txt")]
    for path in files:
        text = path.read_text()
        names.update(re.findall(r"\boption\(\s*(\w+)", text))
        names.update(re.findall(r"\bset\(\s*(\w+)\s[^)]*\bCACHE\b", text))
        names.update(re.findall(r"\bfind_program\(\s*(\w+)", text))
    return names


# Variables of CMake's own modules that a package manager passes in.
CMAKE_MODULE_VARIABLES = {"PKG_CONFIG_EXECUTABLE"}


def check_variables(where, used, declared, problems):
    for name in sorted(used - CMAKE_MODULE_VARIABLES):
        if not name.startswith("CMAKE_") and name not in declared:
            problems.append(f"{where} sets {name}, which the project's CMake files do not declare")


def check_conan(declared, problems):
    text = CONANFILE.read_text()
    check_variables("conanfile.py", set(re.findall(r'cache_variables\["(\w+)"\]', text)), declared, problems)
    block = re.search(r"_SOURCES = \((.*?)\n\)", text, re.S)
    if not block:
        return problems.append("conanfile.py: no _SOURCES tuple")
    patterns = re.findall(r'"([^"]+)"', block.group(1))
    files = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    for pattern in patterns:
        if not any(fnmatch.fnmatch(f, pattern) for f in files):
            problems.append(f"conanfile.py exports '{pattern}', which matches no file")
    for sub in re.findall(r"add_subdirectory\(\s*([\w/]+)", (ROOT / "CMakeLists.txt").read_text()):
        if not any(fnmatch.fnmatch(f"{sub}/CMakeLists.txt", p) for p in patterns):
            # Directories behind an option the recipe turns off need not be exported.
            guarded = re.search(rf"if\((\w+)\)(?:(?!endif).)*?add_subdirectory\(\s*{re.escape(sub)}\s*\)",
                                (ROOT / "CMakeLists.txt").read_text(), re.S)
            off = guarded and re.search(rf'cache_variables\["{guarded.group(1)}"\] = False', text)
            if not off:
                problems.append(f"CMakeLists.txt adds {sub}/, which conanfile.py does not export")


def check_vcpkg(declared, schema_dir, problems):
    try:
        manifest = json.loads((PORT / "vcpkg.json").read_text())
    except ValueError as e:
        return problems.append(f"vcpkg.json: {e}")
    header = (ROOT / "include/digitinfer/version.h").read_text()
    version = re.search(r'^#define DI_VERSION_STRING "([^"]+)"', header, re.M).group(1)
    if manifest.get("version") != version:
        problems.append(f"vcpkg.json has version {manifest.get('version')}, version.h {version}")
    portfile = (PORT / "portfile.cmake").read_text()
    check_variables("portfile.cmake", set(re.findall(r'"?-D(\w+)=', portfile)), declared, problems)
    features = set(re.findall(r'"(\w+)" IN_LIST FEATURES', portfile))
    block = re.search(r"FEATURES\n(.*?)\n\)", portfile, re.S)
    features.update(line.split()[0] for line in block.group(1).splitlines() if line.strip()) if block else None
    for feature in sorted(features - set(manifest.get("features", {}))):
        problems.append(f"portfile.cmake reads feature '{feature}', which vcpkg.json does not declare")
    if not (PORT / "usage").is_file():
        problems.append("the port has no usage file")
    if schema_dir:
        validate_schema(manifest, pathlib.Path(schema_dir), problems)


def validate_schema(manifest, schema_dir, problems):
    import jsonschema
    from referencing import Registry, Resource
    schemas = {p.name: json.loads(p.read_text()) for p in schema_dir.glob("*.schema.json")}
    base = "https://raw.githubusercontent.com/microsoft/vcpkg-tool/main/docs/"
    registry = Registry().with_resources((base + n, Resource.from_contents(s)) for n, s in schemas.items())
    validator = jsonschema.Draft7Validator(schemas["vcpkg.schema.json"], registry=registry)
    for error in validator.iter_errors(manifest):
        problems.append(f"vcpkg.json {'/'.join(map(str, error.path))}: {error.message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vcpkg-schema", metavar="DIR", help="vcpkg-tool's docs/ with vcpkg.schema.json")
    args = parser.parse_args()
    problems = []
    declared = project_variables()
    check_conan(declared, problems)
    check_vcpkg(declared, args.vcpkg_schema, problems)
    for problem in problems:
        print(f"check_packaging: {problem}", file=sys.stderr)
    if not problems:
        print("check_packaging: the Conan recipe and the vcpkg port match the project"
              + (" (vcpkg.json valid against vcpkg's schema)" if args.vcpkg_schema else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
