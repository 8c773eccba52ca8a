"""Parse Terraform files with python-hcl2 and print them as one JSON document.

Runs under the interpreter that has python-hcl2 (see requirements-hcl2.txt),
not under pytest's, so the tests call it as a subprocess:

    python hcl_dump.py FILE...  ->  {"files": {FILE: tree}, "errors": {FILE: message}}

python-hcl2 8.x keeps HCL's quoting (keys and string literals come back as
'"name"') and marks blocks with "__is_block__"; the tree printed here drops
those markers and the quotes, so a test reads `tree["resource"][0]
["google_storage_bucket"]["artifacts"]["versioning"][0]["enabled"]`.
Expressions stay as python-hcl2 writes them, e.g. "${var.region}".
"""

import json
import sys

import hcl2


def _unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def normalise(node):
    if isinstance(node, dict):
        return {_unquote(k): normalise(v) for k, v in node.items() if not k.startswith("__")}
    if isinstance(node, list):
        return [normalise(v) for v in node]
    return _unquote(node)


def main(paths):
    files, errors = {}, {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                files[path] = normalise(hcl2.load(f))
        except Exception as error:  # any parse failure is reported, never skipped
            errors[path] = f"{type(error).__name__}: {error}"
    json.dump({"files": files, "errors": errors}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
