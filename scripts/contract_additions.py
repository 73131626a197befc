"""Write docs/contract-additions.md: the names the project adds to the shared interface contract.

    .venv/bin/python scripts/contract_additions.py [CONTRACT_MD] [--out PATH]

``CONTRACT_MD`` (default ``../shared/docs/contract.md``, beside the checkout) names the CLI
commands and options, HTTP paths, parameters and fields and the settings that must stay
stable. The project's own surfaces are read from the code: the OpenAPI schema of the app
``recommender serve`` runs (built in-process, with no model and no ``RECOMMENDER_*``
variable, so the page does not depend on the machine), the routes left out of that schema,
the command-line parser and the service settings with the ``RECOMMENDER_*`` names the library
reads. The page lists, per surface, every name present in the project and absent from the
contract, with the schema's or the help's description, and any contract name the project
lacks (exit status 1 when there is one). ``tests/test_contract_additions.py`` keeps it current.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONTRACT = ROOT.parent / "shared" / "docs" / "contract.md"
DEFAULT_OUT = ROOT / "docs" / "contract-additions.md"
ENV_PREFIX = "RECOMMENDER_"
METHODS = ("get", "post", "put", "patch", "delete")
#: a module-level constant naming an environment variable: ``STORE_ENV = "RECOMMENDER_STORE"``
ENV_CONSTANT = re.compile(r'^[A-Z_]+\s*(?::\s*\w+\s*)?=\s*"(RECOMMENDER_[A-Z0-9_]+)"\s*(#.*)?$',
                          re.M)


@dataclass
class Contract:
    """The names contract.md fixes."""

    #: command ("events import" for a nested one) -> its long options
    commands: dict[str, set[str]] = field(default_factory=dict)
    #: long options the prose gives without a command (``--tier`` "wherever ...")
    any_command_options: set[str] = field(default_factory=set)
    #: (METHOD, path) -> query parameters
    operations: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: query parameters the prose gives without a path (``?tier=``)
    any_operation_params: set[str] = field(default_factory=set)
    #: JSON field names of the HTTP table's bodies
    fields: set[str] = field(default_factory=set)
    settings: set[str] = field(default_factory=set)


@dataclass
class Surfaces:
    """The project's names, each with a one-line description."""

    commands: dict[str, str]
    options: dict[tuple[str, str], str]
    operations: dict[tuple[str, str], str]
    params: dict[tuple[tuple[str, str], str], str]
    #: (schema, field) -> ("request" | "response" | "request, response", description)
    fields: dict[tuple[str, str], tuple[str, str]]
    settings: dict[str, tuple[str, str]]


def one_line(text: str | None) -> str:
    """``text`` on one line, safe inside a Markdown table cell."""
    return re.sub(r"\s+", " ", text or "").strip().replace("|", "\\|")


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section of ``text`` (empty when absent)."""
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def parse_contract(text: str) -> Contract:
    """The names in contract.md's command-line block and prose, HTTP table and settings."""
    c = Contract()
    cli = section(text, "Command line")
    block = re.search(r"```\n(.*?)```", cli, re.S)
    current: str | None = None
    for line in (block.group(1) if block else "").splitlines():
        words = line.split()
        if words[:1] == ["recommender"]:
            name = [words[1]]
            if words[1] in ("events", "campaign"):  # nested: the action is a command word
                name.append(words[2])
            current = " ".join(name)
            c.commands[current] = set()
        if current is not None:
            c.commands[current] |= set(re.findall(r"--[a-z][a-z0-9-]*", line))
    prose = cli.replace(block.group(0), "") if block else cli
    # the prose's options for no command in particular (`--tier` "wherever a list of users is
    # returned or exported"); the others it names are those of the block's commands
    c.any_command_options = {o for bullet in prose.split("\n- ") if "wherever" in bullet
                             for o in re.findall(r"`(--[a-z][a-z0-9-]*)", bullet)}
    http = section(text, "HTTP API")
    for row in re.findall(r"^\| (`[A-Z]+ .*?) \| (.*) \|$", http, re.M):
        for method, path, query in re.findall(r"`([A-Z]+) (/[^`?]*)(?:\?([^`]*))?`", row[0]):
            params = {p.split("=")[0] for p in query.split("&") if p}
            c.operations[(method, path)] = params
        # keys, not values: `{"status": "ok"}` names the field status
        c.operations.update({("GET", path): set()  # "(`/` redirects there)"
                             for path in re.findall(r"`(/[^`\s]*)`", row[1])})
        c.fields |= set(re.findall(r'(?<!: )"([a-z_]+)"', row[1]))
    c.any_operation_params = set(re.findall(r"`\?([a-z_]+)=", text))
    c.settings = set(re.findall(rf"`({ENV_PREFIX}[A-Z0-9_]+)`", text))
    return c


@contextmanager
def clean_environment() -> Iterator[None]:
    """No ``RECOMMENDER_*`` variable while the app is built: its schema shows the defaults."""
    saved = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    for k in saved:
        del os.environ[k]
    try:
        yield
    finally:
        os.environ.update(saved)


def schema_refs(node: Any) -> Iterator[str]:
    """The component schema names ``node`` refers to (not transitively)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_refs(value)


def reachable(roots: list[Any], schemas: dict[str, Any]) -> set[str]:
    """Every component schema the ``roots`` refer to, transitively."""
    seen: set[str] = set()
    todo = [name for root in roots for name in schema_refs(root)]
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo.extend(schema_refs(schemas[name]))
    return seen


def first_paragraph(obj: Any) -> str:
    """The first paragraph of ``obj``'s docstring, else of its module's."""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    if not doc:
        doc = (getattr(sys.modules.get(getattr(obj, "__module__", "")), "__doc__", None)
               or "").strip()
    return one_line(doc.split("\n\n")[0].replace("``", "`"))


def hidden_routes(routes: list[Any]) -> Iterator[tuple[str, str, str]]:
    """(METHOD, path, description) of the routes and mounts the OpenAPI schema leaves out."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from hidden_routes(list(inner.routes))
        elif getattr(route, "include_in_schema", True) is False:
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield method, route.path, first_paragraph(getattr(route, "endpoint", None))
        elif getattr(route, "app", None) is not None and getattr(route, "methods", None) is None:
            # a mount: static files under its path
            yield "GET", f"{route.path}/{{file}}", f"static files ({type(route.app).__name__})"


def query_forms() -> Iterator[tuple[str, str, str]]:
    """(METHOD, path, description) of the routes that take the id in the query
    (``service.raw_ids.QUERY_FORMS``: ``GET /film?film_id=``...): the raw-id layer rewrites
    them before routing, so no route, in the schema or out of it, names them."""
    from service.raw_ids import QUERY_FORMS

    for form, (key, routes, suffixes) in QUERY_FORMS.items():
        name = key.removesuffix("_id")
        for suffix in suffixes:
            yield ("GET", f"{form}{suffix}", f"`{routes}{{{key}}}{suffix}` with the id in the "
                   f"query, `?{key}=ID` (any {name} id, `.` and `..` too; `service/raw_ids.py`)")


def http_surfaces() -> tuple[dict[tuple[str, str], str], dict[tuple[tuple[str, str], str], str],
                             dict[tuple[str, str], tuple[str, str]]]:
    """The app's operations, query parameters and schema fields, with their descriptions."""
    from service.app import create_app
    from service.settings import Settings

    with clean_environment():
        app = create_app(Settings())
        spec = app.openapi()
    operations: dict[tuple[str, str], str] = {}
    params: dict[tuple[tuple[str, str], str], str] = {}
    requests: list[Any] = []
    responses: list[Any] = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            key = (method.upper(), path)
            operations[key] = one_line(op.get("summary") or op.get("description", "")
                                       .split("\n\n")[0])
            for p in op.get("parameters", []):
                if p.get("in") == "query":
                    params[(key, p["name"])] = one_line(p.get("description")
                                                        or p.get("schema", {}).get("title"))
            requests.append(op.get("requestBody"))
            responses.append(op.get("responses"))
    if app.openapi_url:
        operations[("GET", app.openapi_url)] = "(not in the schema) the OpenAPI schema itself"
    for method, path, doc in hidden_routes(list(app.router.routes)):
        operations.setdefault((method, path), f"(not in the schema) {doc}".rstrip())
    for method, path, doc in query_forms():
        operations.setdefault((method, path), f"(not in the schema) {doc}")
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    sent, received = reachable(requests, schemas), reachable(responses, schemas)
    fields: dict[tuple[str, str], tuple[str, str]] = {}
    for name, schema in schemas.items():
        where = ", ".join(w for w, used in (("request", name in sent),
                                            ("response", name in received)) if used)
        for prop, body in schema.get("properties", {}).items():
            fields[(name, prop)] = (where, one_line(body.get("description") or body.get("title")))
    return operations, params, fields


def cli_surfaces() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The parser's commands (nested ones as "events import") and their long options."""
    from recommender.cli import build_parser

    commands: dict[str, str] = {}
    options: dict[tuple[str, str], str] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            for name, child in action.choices.items():
                command = f"{prefix} {name}".strip()
                nested = any(isinstance(a, argparse._SubParsersAction) for a in child._actions)
                if not nested:
                    commands[command] = one_line(child.description)
                    formatter = child._get_formatter()
                    for a in child._actions:
                        help_ = ("(hidden from --help)" if a.help == argparse.SUPPRESS
                                 else formatter._expand_help(a) if a.help else "")
                        for option in a.option_strings:
                            if option.startswith("--") and option != "--help":
                                options[(command, option)] = one_line(help_)
                walk(child, command)

    with clean_environment():
        walk(build_parser(), "")
    return commands, options


def settings_surface() -> dict[str, tuple[str, str]]:
    """``RECOMMENDER_*`` name -> (who reads it, description): the service's settings, and the
    names the library and command line read (module constants, with their comment or module
    docstring's first sentence)."""
    from service.settings import Settings

    names: dict[str, tuple[str, str]] = {}
    for name, info in Settings.model_fields.items():
        names[f"{ENV_PREFIX}{name.upper()}"] = ("service", one_line(info.description))
    for folder in ("recommender", "service"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in ENV_CONSTANT.finditer(text):
                env, comment = match.group(1), (match.group(2) or "").lstrip("# ")
                module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                if env in names:
                    who, description = names[env]
                    if folder == "recommender" and "library" not in who:
                        names[env] = ("service, library and command line", description)
                    continue
                doc = re.match(r'\s*"""(.*?)(?:\n\n|""")', text, re.S)
                first = one_line((doc.group(1) if doc else "").replace("``", "`"))
                first = first.split(". ")[0].rstrip(".")
                names[env] = ("library and command line" if folder == "recommender"
                              else "service", one_line(comment or first) + f" ({module})")
    return names


def read_surfaces() -> Surfaces:
    operations, params, fields = http_surfaces()
    commands, options = cli_surfaces()
    return Surfaces(commands, options, operations, params, fields, settings_surface())


class Kind(NamedTuple):
    """One kind of name ``missing`` checks: the contract's names per owner (a command's options,
    an operation's parameters; None: names of no owner, or of any), the owners and (owner,
    name) pairs the project has, and the words of a lacking owner and a lacking name."""

    wanted: dict[Any, set[str]]
    owners: Container[Any]
    names: Container[tuple[Any, str]]
    owner_words: str
    name_words: str


def missing(contract: Contract, s: Surfaces) -> list[str]:
    """The contract's names the project lacks, one line each."""
    def anywhere(names: Iterable[str]) -> set[tuple[None, str]]:
        return {(None, name) for name in names}

    kinds = (
        Kind(contract.commands, s.commands, s.options, "command `recommender {owner}`",
             "option `{name}` of `recommender {owner}`"),
        Kind({None: contract.any_command_options}, (), anywhere(o for _, o in s.options), "",
             "option `{name}` (of any command)"),
        Kind(contract.operations, s.operations, s.params, "operation `{owner[0]} {owner[1]}`",
             "query parameter `{name}` of `{owner[0]} {owner[1]}`"),
        Kind({None: contract.any_operation_params}, (), anywhere(p for _, p in s.params), "",
             "query parameter `{name}` (of any operation)"),
        Kind({None: contract.fields}, (), anywhere(f for _, f in s.fields), "", "field `{name}`"),
        Kind({None: contract.settings}, (), anywhere(s.settings), "", "setting `{name}`"),
    )
    out: list[str] = []
    for kind in kinds:
        for owner, names in sorted(kind.wanted.items()):
            if owner is not None and owner not in kind.owners:
                out.append(kind.owner_words.format(owner=owner))
                continue
            out += [kind.name_words.format(owner=owner, name=name) for name in sorted(names)
                    if (owner, name) not in kind.names]
    return out


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    if not rows:
        return ["None.", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def render(contract: Contract, s: Surfaces, contract_name: str = "contract.md") -> str:
    """The page: the project's additions per surface, then the contract names it lacks."""
    def op(key: tuple[str, str]) -> str:
        return f"`{key[0]} {key[1]}`"

    new_ops = sorted(k for k in s.operations if k not in contract.operations)
    new_params = sorted(
        (k, p) for k, p in s.params
        if p not in contract.operations.get(k, set()) and p not in contract.any_operation_params)
    new_fields = sorted(k for k in s.fields if k[1] not in contract.fields)
    new_commands = sorted(c for c in s.commands if c not in contract.commands)
    new_options = sorted(
        (c, o) for c, o in s.options
        if o not in contract.commands.get(c, set()) and o not in contract.any_command_options)
    new_settings = sorted(n for n in s.settings if n not in contract.settings)
    lacking = missing(contract, s)
    lines = [
        "# Names the project adds to the interface contract",
        "",
        "<!-- generated by scripts/contract_additions.py: do not edit by hand -->",
        "",
        f"`{contract_name}` (the shared interface contract, `../shared/docs/contract.md` beside",
        "the checkout) fixes the names other tools depend on; the project may add names but not",
        "rename or remove those. This page lists every name the project has that the contract",
        "does not: they are the project's own, documented in the README and the schema, and",
        "stable as far as the README says. Regenerate it with",
        "`python scripts/contract_additions.py` (`tests/test_contract_additions.py` fails while",
        "it is stale). The HTTP names come from the OpenAPI schema (`/openapi.json`) of a",
        "server with default settings, plus the routes left out of the schema; the command-line",
        "names from `recommender --help`'s parser (long options per command; an option the",
        "contract's prose gives without a command, such as `--tier`, counts for every command);",
        "the settings from the service's `RECOMMENDER_*` settings and the `RECOMMENDER_*` names",
        "the library reads.",
        "",
        "## Contract names the project lacks",
        "",
        *([f"- {m}" for m in lacking] if lacking else
          ["None: every command, option, operation, query parameter, field and setting the "
           "contract names is present."]),
        "",
        "## HTTP",
        "",
        f"### Operations ({len(new_ops)})",
        "",
        *table(("operation", "description"), [(op(k), s.operations[k]) for k in new_ops]),
        f"### Query parameters ({len(new_params)})",
        "",
        "Per operation: those the contract does not give for it.",
        "",
        *table(("operation", "parameter", "description"),
               [(op(k), f"`{p}`", s.params[(k, p)]) for k, p in new_params]),
        f"### Body fields ({len(new_fields)})",
        "",
        "Per schema of `/openapi.json` (`components.schemas`): the fields whose name no body of",
        "the contract's HTTP table has.",
        "",
        *table(("schema", "field", "in", "description"),
               [(f"`{k[0]}`", f"`{k[1]}`", *s.fields[k]) for k in new_fields]),
        "## Command line",
        "",
        f"### Commands ({len(new_commands)})",
        "",
        *table(("command", "description"),
               [(f"`recommender {c}`", s.commands[c]) for c in new_commands]),
        f"### Options ({len(new_options)})",
        "",
        "Per command: the long options the contract does not give for it.",
        "",
        *table(("command", "option", "description"),
               [(f"`{c}`", f"`{o}`", s.options[(c, o)]) for c, o in new_options]),
        f"## Settings ({len(new_settings)})",
        "",
        "Environment variables; the service reads each of its settings from `RECOMMENDER_<NAME>`.",
        "",
        *table(("variable", "read by", "description"),
               [(f"`{n}`", *s.settings[n]) for n in new_settings]),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("contract", nargs="?", default=str(DEFAULT_CONTRACT),
                   help="the contract (default: ../shared/docs/contract.md)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="the page to write")
    args = p.parse_args(argv)
    contract_path = Path(args.contract)
    if not contract_path.is_file():
        print(f"contract_additions: {contract_path}: no such file (the shared contract is "
              "kept beside the checkout, in ../shared/docs/)", file=sys.stderr)
        return 2
    contract = parse_contract(contract_path.read_text(encoding="utf-8"))
    surfaces = read_surfaces()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render(contract, surfaces), encoding="utf-8")
    tmp.replace(out)
    lacking = missing(contract, surfaces)
    for m in lacking:
        print(f"contract_additions: the project lacks the contract's {m}", file=sys.stderr)
    print(f"wrote {out}")
    return 1 if lacking else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
