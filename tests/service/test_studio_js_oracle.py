"""The Studio's modules less their comments read as the same program: acorn, the JavaScript
tokenizer bundled with node, is the oracle for service/studio_js.py's hand-written scanner.

For every module in service/studio/js, for hand-made tricky sources, and for each of those
with a comment put between every two tokens, acorn must find the comments the scanner finds
and must read the stripped text as the same tokens (kind, text, and whether a line break comes
before each, which is what automatic semicolon insertion reads); small programs whose meaning
hangs on a line break run in node before and after stripping and must print the same thing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service.routes import studio
from service.studio_js import comment_spans, stripped

JS = Path(studio.STUDIO_DIR) / "js"
MODULES = sorted(JS.glob("*.js"))

# node prints, for each source given, acorn's tokens and comments, indexed in code points
_ACORN = r"""
const acorn = require('internal/deps/acorn/acorn/dist/acorn');
const sources = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = sources.map((src) => {
  const at = new Int32Array(src.length + 1);  // a UTF-16 index to a code point index
  for (let i = 0, n = 0; i <= src.length; n++) {
    const w = src.codePointAt(i) > 0xffff ? 2 : 1;
    for (let k = 0; k < w && i <= src.length; k++) at[i++] = n;
  }
  const read = (parse) => {
    const comments = [], tokens = [], found = [];
    const options = { ecmaVersion: 'latest', sourceType: 'module', onToken: found,
                      onComment: (block, text, start, end) => comments.push([at[start], at[end]]) };
    if (parse) acorn.parse(src, options); else for (const t of acorn.tokenizer(src, options));
    let prev = 0;
    for (const t of found) {
      const breakBefore = /[\n\r\u2028\u2029]/.test(src.slice(prev, t.start));
      tokens.push([t.type.label, src.slice(t.start, t.end), breakBefore, at[t.start], at[t.end]]);
      prev = t.end;
    }
    return { tokens, comments, parsed: parse };
  };
  try {
    return read(true);  // the parser reads "/" after "await" as a regex, its tokenizer alone not
  } catch (e) {
    try {
      return read(false);  // a comment's line break made the program invalid: its tokens still
    } catch (e) {
      return { error: String(e) };
    }
  }
});
process.stdout.write(JSON.stringify(out));
"""


def _node_reason() -> str | None:
    """Why acorn cannot be the oracle here, or None where it can."""
    if not shutil.which("node"):
        return "node is not installed"
    done = subprocess.run(["node", "--expose-internals", "-e",
                           "require('internal/deps/acorn/acorn/dist/acorn')"],
                          capture_output=True, timeout=60)
    if done.returncode:
        return "this node does not expose its bundled acorn (internal/deps/acorn)"
    return None


_REASON = _node_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"acorn is the oracle: {_REASON}")


def acorn(sources: list[str]) -> list[dict[str, Any]]:
    """acorn's reading of each source: ``tokens`` as [kind, text, line break before, start,
    end], ``comments`` as [start, end] and ``parsed`` (whether it parsed or only tokenized),
    or ``error``."""
    done = subprocess.run(["node", "--expose-internals", "-e", _ACORN],
                          input=json.dumps(sources).encode(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return list(json.loads(done.stdout))


TRICKY = {
    "division chains": "x = a / b / c; // half\ny = (d) / 2 / e[0] / f.g / 1.5e3 / h;\n",
    "regex after return": "function f(s) { return /x\\/y'/.test(s); }\n",
    "regex after if paren": "if (s) /'/.test(s); // q\n",
    "regex after while paren": "while (i--) /[/*]/.exec(s) /* c */;\n",
    "regex after for paren": "for (const k of ks) /\"/g.test(k); // \"\n",
    "regex after of": "for (const k of /a'b/.exec(s)) f(k); // '\n",
    "of as a name": "const of = 4; x = of / 2; y = '/'; // c\n",
    "postfix then division": "x = i++ / 2; y = '/'; // '\nz = j-- / 3 /* ` */;\n",
    "prefix increment": "x = ++i / 2; y = a+++b / 2; // c\n",
    "star slash in a class": "r = /[/*]/; /* after */ s = /[*/]/g; // end\n",
    "slash escaped": "r = /\\//; s = '/*'; t = \"*/\"; // \"\n",
    "nested templates": "t = `a // b ${ `${x /* c */}` } /* d */ ${ {a: 1}.a } e`; // t\n",
    "division in a substitution": "t = `${ a / b }/${ /re/.source }/`; // c\n",
    "escaped quotes": "s = 'it\\'s /* no */'; u = \"say \\\"//\\\"\"; // end\n",
    "html-like comment is code": "x = a <!--b; y = a-->b; // c\n",
    "quotes in comments": "/* it's `x` \"y\" */ z = 1; // ` ' \"\nw = 2;\n",
    "line comment at end": "x = 1; // end",
    "block comment at end": "x = 1 /* end */",
    "return then line comment": "function f() { return // why\n 1 }\n",
    "return then block comment": "function g() { return /* a\n b */ 1 }\n",
    "division across lines": "x = y\n// c\n/re/g.test(z)\n",
    "generator yield": "function* g() { yield /x'/; } // c\n",
    "await a regex": "async function h() { await /x'/; } // c\n",
    "case and default": "switch (a) { case /x'/.source: break; default: } // c\n",
    "default export": "export default /x'/; // c\n",
    "unary keywords": "x = typeof /x'/; y = void /y'/; z = !/w'/; // c\n",
    "in and instanceof": "x = a in /b'/; y = b instanceof /c'/.constructor; // c\n",
    "keyword as a property": "x = a.return / 2; y = '/'; z = a.typeof / b?.c / 3; // c\n",
    "arrow to a regex": "const f = () => /'/; // c\n",
    "object then member division": "x = {a: 1}.a / 2; y = '/'; // c\n",
    "comment between slashes": "x = a / /* c */ b / /re/.source.length; // c\n",
    "comments packed": "x/**/=/**/1/*\n*/;/**//**/y = 2 // a /* b */\n",
    "byte order mark": "\ufeff/re/.test(s); // c\n",
    "crlf line ends": "x = 1; // c\r\ny = 2 /* d\r\n */ + 3;\r\n",
    "astral characters": "s = '\U0001f3ac'; /* \U0001f3ac */ t = `\U0001f3ac${a}`; // c\n",
    "private fields": "class A { #x = 1; f() { return this.#x / 2 / 3; } } // c\n",
    "spread of a regex": "x = [.../a'/.source]; // c\n",
}

# sources the scanner declines to read (it sends them as written), and why
DECLINED = {
    "brace then slash": "x = {} / 2; y = '/'; // c\n",  # block or object: acorn's context
    "regex after a block": "function f() {}\n/'/.test(s); // c\n",
    "lone carriage return": "x = 1; // c\ry = 2;\n",  # ends a line comment, not for the scanner
    "line separator": "x = 1; // c\u2028y = 2;\n",
}

# a comment put between every two tokens (with a blank either side)
FILLERS = {"block": "/* c */", "line": "// c\n", "lines": "/* a\n b */",
           "quoted": "/* ' \" ` // /* */", "line quoted": "// ' \" ` /* */\n"}


def _sources() -> dict[str, str]:
    """Every source the oracle reads: the modules, the tricky ones, and each with fillers."""
    base = {f"module {p.name}": p.read_text(encoding="utf-8") for p in MODULES}
    base.update({f"tricky {k}": v for k, v in TRICKY.items()})
    names = list(base)
    read = acorn([base[n] for n in names])
    every = dict(base)
    for name, reading in zip(names, read, strict=True):
        assert "error" not in reading and reading["parsed"], (name, reading)
        tokens, src = reading["tokens"], base[name]
        for kind, filler in FILLERS.items():
            parts, at = [], 0
            for before, after in zip(tokens, tokens[1:], strict=False):
                if "template" in (before[0], after[0]):  # inside a template's text
                    continue
                if before[1] == "async" and "\n" in filler:  # "async\nfunction" is no
                    continue  # async function, and acorn's tokenizer misreads its "await /x/"
                parts.append(src[at:before[4]] + " " + filler + " ")
                at = before[4]
            parts.append(src[at:])
            every[f"{name} with {kind} comments"] = "".join(parts)
    return every


@pytest.fixture(scope="module")
def readings() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each source's name to (source, acorn's reading of it, acorn's reading of it stripped)."""
    every = _sources()
    names = list(every)
    read = acorn([every[n] for n in names] + [stripped(every[n]) for n in names])
    return {n: (every[n], read[i], read[len(names) + i]) for i, n in enumerate(names)}


NAMES = [f"module {p.name}" for p in MODULES] + [f"tricky {k}" for k in TRICKY]
NAMES += [f"{n} with {kind} comments" for n in list(NAMES) for kind in FILLERS]


@pytest.mark.parametrize("name", NAMES)
def test_the_scanner_finds_the_comments_acorn_finds(readings: Any, name: str) -> None:
    source, before, _ = readings[name]
    assert "error" not in before, before
    assert comment_spans(source) == [tuple(c) for c in before["comments"]]
    if name.startswith("module"):
        assert before["comments"], "every module explains itself in its source"


@pytest.mark.parametrize("name", NAMES)
def test_stripped_reads_as_the_same_tokens(readings: Any, name: str) -> None:
    source, before, after = readings[name]
    assert "error" not in after, after
    assert after["comments"] == [] and after["parsed"] == before["parsed"]
    # kind, text and the line break before each token; not where they are
    assert [t[:3] for t in after["tokens"]] == [t[:3] for t in before["tokens"]]


@pytest.mark.parametrize("source", DECLINED.values(), ids=list(DECLINED))
def test_a_source_the_scanner_cannot_be_sure_of_is_sent_as_written(source: str) -> None:
    (reading,) = acorn([source])
    assert "error" not in reading and reading["comments"], reading  # valid, and it has comments
    with pytest.raises(ValueError):
        comment_spans(source)
    assert stripped(source) == source


# programs whose result hangs on a line break that a comment holds
ASI = [
    "function f() { return // why\n 1 }\nconsole.log(String(f()));\n",
    "function f() { return /* a\n b */ 1 }\nconsole.log(String(f()));\n",
    "let a = 1, b = 2, g = 3, x = a /* c\n */ ++b\nconsole.log(x, b);\n",
    "let i = 5, j = 1\nconst y = i // c\n/2/j\nconsole.log(y);\n",
    "const t = `${1 /* c */ + 1}//${2}`; console.log(t); // tail",
]


def test_a_program_prints_the_same_once_stripped() -> None:
    for source in ASI:
        printed = []
        for text in (source, stripped(source)):
            done = subprocess.run(["node", "--input-type=module", "-e", text],
                                  capture_output=True, timeout=60)
            assert done.returncode == 0, done.stderr.decode()[-500:]
            printed.append(done.stdout.decode())
        assert printed[0] == printed[1] and printed[0].strip(), (source, printed)
        assert stripped(source) != source
