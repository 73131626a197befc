"""The Studio's modules as served: the same code without its comments, strings, templates and
regular expressions byte for byte (service/studio_js.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.routes import studio
from service.studio_js import comment_spans, stripped

JS = Path(studio.STUDIO_DIR) / "js"


@pytest.mark.parametrize("source, sent", [
    # whole comment lines go, the code's lines stay as written
    ("// a module\nconst a = 1;\n  /** doc\n      more */\nfunction f() {}\n",
     "const a = 1;\nfunction f() {}\n"),
    # a comment after code goes with the blanks before it
    ('const u = "http://x/*y*/";  // the address\n', 'const u = "http://x/*y*/";\n'),
    ("const q = 'it\\'s // no comment'; /* one */\n", "const q = 'it\\'s // no comment';\n"),
    # a regular expression holding "//", "/*" and a quote is no comment
    ('const r = /\\/\\/"[/*]/g; // r\nf(r);\n', 'const r = /\\/\\/"[/*]/g;\nf(r);\n'),
    ("if (!/^a\\/\\/b$/.test(s)) return /x\\/*/.exec(t);\n",
     "if (!/^a\\/\\/b$/.test(s)) return /x\\/*/.exec(t);\n"),
    # a division is no regular expression: what follows is code
    ("x = a / b / c; // half\ny = (d) / 2; z = e[0] / f; /* tail */\n",
     "x = a / b / c;\ny = (d) / 2; z = e[0] / f;\n"),
    # a template's text is kept, a comment in its substitution is not
    ("t = `a // b /* c */ ${x /* why */ + `${\"}\"}`} d`;\n",
     "t = `a // b /* c */ ${x   + `${\"}\"}`} d`;\n"),
    # a comment between code on one line: a space, or a line break where it held one
    ("a = 1 /* one */ + 2;\nb = c /* one\n two */ d;\n", "a = 1   + 2;\nb = c \n d;\n"),
    # cases acorn read otherwise (tests/service/test_studio_js_oracle.py): a regex after the
    # ")" of an if, after "default" or "..."; a division after "++", "of" as a name, a keyword
    # as a property
    ("if (s) /'/.test(s); // q\n", "if (s) /'/.test(s);\n"),
    ("export default /x'/; // c\n", "export default /x'/;\n"),
    ("x = [.../a'/.source]; // c\n", "x = [.../a'/.source];\n"),
    ("x = i++ / 2; y = '/'; // c\n", "x = i++ / 2; y = '/';\n"),
    ("const of = 4; x = of / 2; y = '/'; // c\n", "const of = 4; x = of / 2; y = '/';\n"),
    ("x = a.return / 2; y = '/'; // c\n", "x = a.return / 2; y = '/';\n"),
    # (acorn 8.16 reads a regex after "?.return", node itself a division)
    ("z = b?.return / 3; y = '/'; // c\n", "z = b?.return / 3; y = '/';\n"),
    # a line comment ends before the CR of a CR LF
    ("x = 1; // c\r\ny = 2 /* d\r\n */ + 3;\r\n", "x = 1;\r\ny = 2 \n + 3;\r\n"),
])
def test_only_comments_are_left_out(source: str, sent: str) -> None:
    assert stripped(source) == sent


@pytest.mark.parametrize("source", [
    'const s = "open;\n', "t = `open ${x}\n", "/* open\n", "r = /open\n",
    # nor one it cannot be sure of: a "/" after "}" (a block's or an object's?), a line
    # terminator other than LF or CR LF
    "x = {} / 2; y = '/'; // c\n", "function f() {}\n/'/.test(s); // c\n",
    "x = 1; // c\ry = 2;\n", "x = 1; // c\u2028y = 2;\n"])
def test_a_module_not_read_to_its_end_or_unsure_is_sent_as_written(source: str) -> None:
    assert stripped(source) == source
    with pytest.raises(ValueError):
        comment_spans(source)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    studio.install(app)
    return TestClient(app)


@pytest.mark.parametrize("path", sorted(JS.glob("*.js")), ids=lambda p: p.name)
def test_each_module_is_served_without_its_comments(client: TestClient, path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    r = client.get(f"/studio/assets/js/{path.name}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.content == stripped(source).encode() and int(r.headers["content-length"]) == len(
        r.content)
    assert comment_spans(r.text) == [] and stripped(r.text) == r.text
    assert comment_spans(source), "every module explains itself in its source"
    assert len(r.content) < len(source.encode())
    # what is left is the source less its comments, in order: no code dropped or moved
    kept, at = [], 0
    for start, end in comment_spans(source):
        kept.append(source[at:start])
        at = end
    kept.append(source[at:])
    assert "".join("".join(kept).split()) == "".join(r.text.split())


@pytest.mark.skipif(not shutil.which("node"), reason="node checks the modules' syntax")
def test_each_module_served_parses_as_a_module(client: TestClient, tmp_path: Path) -> None:
    for path in sorted(JS.glob("*.js")):
        body = client.get(f"/studio/assets/js/{path.name}").content
        done = subprocess.run(["node", "--input-type=module", "--check"], input=body,
                              capture_output=True, timeout=60)
        assert done.returncode == 0, (path.name, done.stderr.decode()[-500:])


def test_a_module_is_revalidated_by_the_etag_of_what_was_sent(client: TestClient) -> None:
    first = client.get("/studio/assets/js/app.js")
    again = client.get("/studio/assets/js/app.js", headers={"If-None-Match": first.headers["etag"]})
    other = client.get("/studio/assets/js/app.js", headers={"If-None-Match": '"another"'})
    head = client.head("/studio/assets/js/app.js")
    assert first.headers["cache-control"] == again.headers["cache-control"] == "no-cache"
    assert again.status_code == 304 and again.content == b""
    assert other.status_code == 200 and other.content == first.content
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == first.headers["etag"]
    assert head.headers["content-length"] == str(len(first.content))
